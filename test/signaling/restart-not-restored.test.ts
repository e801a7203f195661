import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/index.ts';
import { CustomerEngine, RESTART_ENDED_TEXT } from '../../rtc/customer-engine.ts';
import { SignalingClient, type WebSocketCtor } from '../../rtc/signaling-client.ts';
import { AccountStore } from '../../signaling/accounts.ts';
import { openSqliteStore } from '../../signaling/store/sqlite-store.ts';
import { RTCPeerConnectionNode } from '../../testkit/rtc-pair.ts';
import { serverProcesses, type ServerProcess } from '../../testkit/server-process.ts';
import { until } from '../../testkit/wait.ts';

const WS = WebSocket as unknown as WebSocketCtor;
const RECONNECT = { initialMs: 200, maxMs: 1000 };
const TECH = { email: 'ann@example.test', password: 'password-1234' };
const ADMIN = { email: 'root@example.test', password: 'password-5678' };

interface Trail {
  session: { endReason: string | null; endedAt: number | null };
  events: { event: string; actor: { kind: string }; detail: string }[];
}

async function login(server: ServerProcess, who: { email: string; password: string }): Promise<{ status: number; code?: string; cookie: string }> {
  const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}), cookie: (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '' };
}

async function trail(server: ServerProcess, cookie: string, sessionId: string): Promise<Trail> {
  const res = await fetch(`${server.url}/api/sessions/${sessionId}/audit`, { headers: { cookie } });
  return (await res.json()) as Trail;
}

/**
 * Issue 18 point 3: a session the customer joined that cannot be restored
 * after a restart (its technician's account was disabled while the server was
 * down) is closed once with a clear reason on both sides and in the audit.
 * A real `npm start` process, restarted on the same port so both clients
 * reconnect on their own, as a console and the support app do.
 */
describe('signaling: a joined session that cannot be restored after a restart (a real server process)', function () {
  this.timeout(120_000);
  const servers = serverProcesses();
  const dirs: string[] = [];
  const closers: (() => void)[] = [];

  async function dataDir(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-not-restored-'));
    dirs.push(dir);
    const store = openSqliteStore(path.join(dir, 'relay-rescue.db'));
    const accounts = new AccountStore(store.accounts, store.settings);
    await accounts.create({ email: TECH.email, name: 'Ann', password: TECH.password, isAdmin: false });
    await accounts.create({ email: ADMIN.email, name: 'Root', password: ADMIN.password, isAdmin: true });
    await store.close();
    return dir;
  }

  const start = servers.start;

  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });
  after(() => {
    servers.killAll();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`technician disabled while the server was down (${how}): the customer is told SESSION_NOT_RESTORED in plain words and stops reconnecting, the console is signed out, the audit has one session.ended (server_restart)`, async () => {
      const dir = await dataDir();
      const first = await start({ DATA_DIR: dir });
      const port = new URL(first.url).port;
      const { cookie } = await login(first, TECH);

      // The console: the product's signaling client with the login cookie.
      const console_ = new SignalingClient({ url: `${first.wsUrl}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: first.url }, reconnect: RECONNECT });
      closers.push(() => console_.close());
      const consoleDrops: { code: number; final: boolean }[] = [];
      console_.on('disconnected', (d) => consoleDrops.push({ code: d.code, final: d.final }));
      await console_.connect();
      const created = await console_.request({ type: 'session.create' });
      if (created.type !== 'session.created') throw new Error(`session.create answered ${created.type}`);
      const { sessionId, code } = created.session;

      // The customer: the support app's signaling client and engine, in the session.
      const sig = new SignalingClient({ url: `${first.wsUrl}/ws/customer`, role: 'customer', WebSocket: WS, client: 'agent', reconnect: RECONNECT });
      closers.push(() => sig.close());
      const refused: { code: string; message: string }[] = [];
      sig.on('resume.failed', (f) => refused.push(f));
      let customerSockets = 0;
      sig.on('open', () => customerSockets++);
      await sig.connect();
      await sig.request({ type: 'code.submit', code: code ?? '', client: 'agent' });
      const activated = new Promise<void>((resolve) => sig.once('session.activated', () => resolve()));
      await console_.request({ type: 'session.activate', sessionId });
      await activated;
      // The engine after the activation: no peer connection to open; it reads what the app shows.
      const engine = new CustomerEngine({ signaling: sig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Carl', client: 'agent', capabilities: { input: false, screens: false, clipboard: false, files: false }, ask: async () => false });
      closers.push(() => engine.close());

      first.process.kill(how);
      expect(await first.exited).to.equal(how === 'SIGTERM' ? 0 : 'SIGKILL');
      // An administrator disables Ann while the server is down (the admin CLI's library, on the same database).
      const store = openSqliteStore(path.join(dir, 'relay-rescue.db'));
      await new AccountStore(store.accounts, store.settings).setDisabled(TECH.email, true);
      await store.close();

      const second = await start({ DATA_DIR: dir, PORT: port });
      // The customer's client came back, resumed with its token, and was refused with a reason.
      await until(() => refused.length > 0, 'the customer’s resume answered', 30_000);
      expect(refused).to.deep.equal([{ code: 'SESSION_NOT_RESTORED', message: 'The server restarted and could not restore this session.' }]);
      expect(engine.closed, 'the customer’s end closed').to.equal(true);
      const told = engine.log.entries().map((e) => e.text).filter((t) => t.startsWith('This session ended'));
      expect(told, 'what the support app shows').to.deep.equal([RESTART_ENDED_TEXT]);
      // Once: the client stops reconnecting.
      const socketsThen = customerSockets;
      await new Promise((r) => setTimeout(r, 2000));
      expect(customerSockets, 'no more reconnects').to.equal(socketsThen);
      expect(refused).to.have.length(1);

      // The console came back with its cookie and was signed out (4001): a disabled account's console shows its login page, and logging in says why.
      await until(() => consoleDrops.some((d) => d.final), 'the console’s reconnect refused', 30_000);
      expect(consoleDrops.filter((d) => d.final)).to.deep.equal([{ code: CLOSE_CODES.UNAUTHENTICATED, final: true }]);
      const again = await login(second, TECH);
      expect([again.status, again.code]).to.deep.equal([403, 'ACCOUNT_DISABLED']);

      // The audit: one session.ended, by the server, with server_restart.
      const admin = await login(second, ADMIN);
      const ended = await trail(second, admin.cookie, sessionId);
      expect(ended.session.endReason).to.equal('server_restart');
      expect(ended.events.map((e) => e.event)).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'session.ended']);
      expect(ended.events.at(-1)).to.deep.include({ event: 'session.ended', detail: 'server_restart' });
      expect(ended.events.at(-1)?.actor.kind).to.equal('server');

      // A further crash and start add nothing.
      second.process.kill('SIGKILL');
      await second.exited;
      const third = await start({ DATA_DIR: dir });
      const after = await trail(third, (await login(third, ADMIN)).cookie, sessionId);
      expect(after.events.filter((e) => e.event === 'session.ended')).to.have.length(1);
      third.process.kill('SIGTERM');
      expect(await third.exited).to.equal(0);
    });
  }
});
