import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { AccountStore } from '../../signaling/accounts.ts';
import { openSqliteStore } from '../../signaling/store/sqlite-store.ts';
import { openTestSocket } from '../../testkit/server.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** `npm start` as a real process (node + tsx, no wrapper that would outlive a SIGKILL); resolves once it listens. */
function startServerProcess(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'signaling', 'main.ts')], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30_000);
    void exited.then((how) => reject(new Error(`the server exited (${String(how)}) before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && entry.url) {
          clearTimeout(timer);
          resolve({ process: child, url: entry.url, exited });
        }
      } catch {
        // not a log line
      }
    });
  });
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@example.test', password: 'password-1234' }) });
  expect(res.status).to.equal(200);
  return (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
}

describe('signaling: the audit log after a crash', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-crash-'));
    const store = openSqliteStore(path.join(dir, 'relay-rescue.db'));
    await new AccountStore(store.accounts, store.settings).create({ email: 'ann@example.test', name: 'Ann', password: 'password-1234', isAdmin: false });
    await store.close();
  });
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after SIGKILL, a session the customer joined is restored (suspended, once); a code nobody entered ends once with server_restart', async function () {
    this.timeout(60_000);
    const first = await startServerProcess(dir);
    children.push(first.process);
    const cookie = await login(first.url);
    const wsUrl = first.url.replace(/^http/, 'ws');
    const tech = await openTestSocket(`${wsUrl}/ws/technician`, { cookie, origin: first.url });
    await tech.next('welcome');
    tech.send({ type: 'session.create', id: 'a' });
    const active = (await tech.next('session.created')).session;
    tech.send({ type: 'session.create', id: 'p' });
    const pending = (await tech.next('session.created')).session;
    const customer = await openTestSocket(`${wsUrl}/ws/customer`, {});
    customer.send({ type: 'code.submit', id: 's', code: active.code, client: 'agent' });
    await customer.next('code.accepted');
    tech.send({ type: 'session.activate', id: 'go', sessionId: active.sessionId });
    await customer.next('session.activated');

    first.process.kill('SIGKILL');
    expect(await first.exited).to.equal('SIGKILL');

    const second = await startServerProcess(dir);
    children.push(second.process);
    const reader = await login(second.url);
    const trail = async (sessionId: string) => {
      const res = await fetch(`${second.url}/api/sessions/${sessionId}/audit`, { headers: { cookie: reader } });
      return (await res.json()) as { session: { endReason: string | null; endedAt: number | null }; events: { event: string; actor: { kind: string }; detail: string }[] };
    };
    const ended = await trail(pending.sessionId);
    expect(ended.session.endReason).to.equal('server_restart');
    expect(ended.session.endedAt).to.be.a('number');
    const last = ended.events.at(-1);
    expect(last, ended.events.map((e) => e.event).join(', ')).to.deep.include({ event: 'session.ended', detail: 'server_restart' });
    expect(last?.actor.kind).to.equal('server');
    expect(ended.events.filter((e) => e.event === 'session.ended')).to.have.length(1);
    const restored = await trail(active.sessionId);
    expect(restored.session.endedAt).to.equal(null);
    expect(restored.events.map((e) => e.event)).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'session.suspended']);
    expect(restored.events.at(-1)).to.deep.include({ event: 'session.suspended', detail: 'server restarted' });
    second.process.kill('SIGTERM');
    expect(await second.exited).to.equal(0);
  });
});
