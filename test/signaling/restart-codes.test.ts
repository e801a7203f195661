import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SessionSummary } from '../../protocol/index.ts';
import { AccountStore } from '../../signaling/accounts.ts';
import { openSqliteStore } from '../../signaling/store/sqlite-store.ts';
import { openTestSocket, type TestSocket } from '../../testkit/server.ts';
import { serverProcesses, type ServerProcess } from '../../testkit/server-process.ts';
import { until } from '../../testkit/wait.ts';

const EMAIL = 'ann@example.test';
const PASSWORD = 'password-1234';

interface Trail {
  session: { endReason: string | null; endedAt: number | null };
  events: { event: string; actor: { kind: string }; detail: string }[];
}

async function login(server: ServerProcess): Promise<string> {
  const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
  expect(res.status).to.equal(200);
  return (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
}

/** The technician's console, attached: its first (unsolicited) session list has been read. */
async function console_(server: ServerProcess, cookie: string): Promise<{ tech: TestSocket; list: SessionSummary[] }> {
  const tech = await openTestSocket(`${server.wsUrl}/ws/technician`, { cookie, origin: server.url });
  await tech.next('welcome');
  const { sessions } = await tech.next('session.list');
  return { tech, list: sessions };
}

async function trail(server: ServerProcess, cookie: string, sessionId: string): Promise<Trail> {
  const res = await fetch(`${server.url}/api/sessions/${sessionId}/audit`, { headers: { cookie } });
  return (await res.json()) as Trail;
}

/** A customer socket (from `localAddress`) typing `code`: what it is answered. */
async function typeCode(server: ServerProcess, code: string, localAddress = '127.0.0.1'): Promise<{ accepted: boolean; error?: string; socket: TestSocket }> {
  const socket = await openTestSocket(`${server.wsUrl}/ws/customer`, {}, { localAddress });
  socket.send({ type: 'code.submit', id: 's', code, client: 'agent' });
  const reply = await Promise.race([socket.next('code.accepted').then(() => null), socket.next('error').then((e) => e.code)]);
  return reply === null ? { accepted: true, socket } : { accepted: false, error: reply, socket };
}

describe('signaling: pending codes and code limits across a restart (a real server process)', function () {
  this.timeout(120_000);
  const servers = serverProcesses();
  const dirs: string[] = [];
  const sockets: TestSocket[] = [];

  /** A fresh data folder with Ann's account. */
  async function dataDir(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-restart-codes-'));
    dirs.push(dir);
    const store = openSqliteStore(path.join(dir, 'relay-rescue.db'));
    await new AccountStore(store.accounts, store.settings).create({ email: EMAIL, name: 'Ann', password: PASSWORD, isAdmin: false });
    await store.close();
    return dir;
  }

  const start = servers.start;

  /** Ann logged in on `server` with her console attached, and a session (a code) made there. */
  async function madeCode(server: ServerProcess): Promise<{ cookie: string; tech: TestSocket; made: SessionSummary }> {
    const cookie = await login(server);
    const { tech } = await console_(server, cookie);
    sockets.push(tech);
    tech.send({ type: 'session.create', id: 'c' });
    return { cookie, tech, made: (await tech.next('session.created')).session };
  }

  async function stop(server: ServerProcess, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    server.process.kill(how);
    expect(await server.exited).to.equal(how === 'SIGTERM' ? 0 : 'SIGKILL');
  }

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.drop();
  });
  after(async () => {
    servers.killAll();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a code made before ${how} is still pending after the restart, sealed in the database, and the customer typing it gets in`, async () => {
      const dir = await dataDir();
      const first = await start({ DATA_DIR: dir });
      const { cookie, made } = await madeCode(first);
      expect(made.code).to.match(/^\d{6}$/);
      await stop(first, how);

      // At rest: the row is there, the code is not (in any form a grep finds).
      const db = fs.readFileSync(path.join(dir, 'relay-rescue.db')).toString('latin1') + (fs.existsSync(path.join(dir, 'relay-rescue.db-wal')) ? fs.readFileSync(path.join(dir, 'relay-rescue.db-wal')).toString('latin1') : '');
      expect(db).to.include(made.sessionId);
      expect(db.includes(`"${made.code}"`), 'the plain code in the database').to.equal(false);
      expect(fs.statSync(path.join(dir, 'codes.key')).mode & 0o777).to.equal(0o600);

      const second = await start({ DATA_DIR: dir });
      const again = await console_(second, cookie);
      sockets.push(again.tech);
      expect(again.list.map((s) => [s.sessionId, s.state, s.code, s.codeExpiresAt])).to.deep.equal([[made.sessionId, 'pending', made.code, made.codeExpiresAt]]);
      const customer = await typeCode(second, made.code ?? '');
      sockets.push(customer.socket);
      expect(customer.accepted, customer.error).to.equal(true);
      await again.tech.next('session.state');
      again.tech.send({ type: 'session.activate', id: 'go', sessionId: made.sessionId });
      await customer.socket.next('session.activated');
      const events = (await trail(second, cookie, made.sessionId)).events.map((e) => e.event);
      expect(events).to.deep.equal(['session.created', 'code.entered', 'session.activated']);
      await stop(second, 'SIGTERM');
    });
  }

  it('a code its customer used before a SIGKILL still says CODE_USED to a second customer after the restart', async () => {
    const dir = await dataDir();
    const first = await start({ DATA_DIR: dir });
    const { cookie, tech, made } = await madeCode(first);
    const customer = await typeCode(first, made.code ?? '');
    sockets.push(customer.socket);
    expect(customer.accepted, customer.error).to.equal(true);
    await tech.next('session.state');
    await stop(first, 'SIGKILL');

    const second = await start({ DATA_DIR: dir });
    const again = await console_(second, cookie);
    sockets.push(again.tech);
    expect(again.list.map((s) => s.sessionId), 'the joined session is restored').to.deep.equal([made.sessionId]);
    const late = await typeCode(second, made.code ?? '');
    sockets.push(late.socket);
    expect(late.error).to.equal('CODE_USED');
    await stop(second, 'SIGTERM');
  });

  it('a code that expired while the server was down ends once with code_expired, and typing it says CODE_EXPIRED', async () => {
    const dir = await dataDir();
    const first = await start({ DATA_DIR: dir, CODE_TTL_SECONDS: '10' });
    const cookie = await login(first);
    const { tech } = await console_(first, cookie);
    sockets.push(tech);
    tech.send({ type: 'session.create', id: 'c' });
    const made = (await tech.next('session.created')).session;
    await stop(first, 'SIGKILL');
    await until(() => Date.now() > (made.codeExpiresAt ?? 0) + 200, 'the code expiring while the server is down', 20_000, 100);

    const second = await start({ DATA_DIR: dir });
    const again = await console_(second, cookie);
    sockets.push(again.tech);
    expect(again.list, 'the console lists no dead code').to.deep.equal([]);
    const customer = await typeCode(second, made.code ?? '');
    sockets.push(customer.socket);
    expect(customer.error).to.equal('CODE_EXPIRED');
    const ended = await trail(second, cookie, made.sessionId);
    expect(ended.session.endReason).to.equal('code_expired');
    expect(ended.events.map((e) => `${e.event}/${e.detail}/${e.actor.kind}`)).to.deep.equal(['session.created//technician', 'session.ended/code_expired/server']);
    // Another crash and start adds nothing: the row was ended once.
    await stop(second, 'SIGKILL');
    const third = await start({ DATA_DIR: dir });
    expect((await trail(third, cookie, made.sessionId)).events.filter((e) => e.event === 'session.ended')).to.have.length(1);
    await stop(third, 'SIGTERM');
  });

  it('an address locked out for wrong codes before a SIGKILL is still locked out after the restart; another address is not', async () => {
    const dir = await dataDir();
    const env = { DATA_DIR: dir, CODE_LOCKOUT_AFTER: '3', CODE_SLOWDOWN_AFTER: '3', CODE_LOCKOUT_SECONDS: '900' };
    const first = await start(env);
    const cookie = await login(first);
    const { tech } = await console_(first, cookie);
    sockets.push(tech);
    tech.send({ type: 'session.create', id: 'c' });
    const made = (await tech.next('session.created')).session;
    const wrong = made.code === '000000' ? '000001' : '000000';
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const tried = await typeCode(first, wrong, '127.0.0.3');
      sockets.push(tried.socket);
      answers.push(tried.error);
    }
    expect(answers).to.deep.equal(['CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'CODE_LOCKED_OUT']);
    await stop(first, 'SIGKILL');

    const second = await start(env);
    const locked = await typeCode(second, made.code ?? '', '127.0.0.3');
    sockets.push(locked.socket);
    expect(locked.error, 'the right code from the locked address').to.equal('CODE_LOCKED_OUT');
    const other = await typeCode(second, made.code ?? '', '127.0.0.4');
    sockets.push(other.socket);
    expect(other.accepted, other.error).to.equal(true);
    await stop(second, 'SIGTERM');
  });
});
