import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AccountStore } from '../../signaling/accounts.ts';
import { openSqliteStore } from '../../signaling/store/sqlite-store.ts';
import { openTestSocket } from '../../testkit/server.ts';
import { startServerProcess as startProcess, type ServerProcess } from '../../testkit/server-process.ts';

const startServerProcess = (dataDir: string): Promise<ServerProcess> => startProcess({ DATA_DIR: dataDir });

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@example.test', password: 'password-1234' }) });
  expect(res.status).to.equal(200);
  return (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
}

describe('signaling: the audit log after a crash', () => {
  let dir: string;
  const children: ServerProcess['process'][] = [];
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

  it('after SIGKILL, a session the customer joined is restored (suspended, once), and so is a code nobody entered; a code whose seal no longer opens ends once with server_restart', async function () {
    this.timeout(120_000);
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
    // The pending code came back too (test/signaling/restart-codes.test.ts covers it whole).
    const kept = await trail(pending.sessionId);
    expect(kept.session.endedAt).to.equal(null);
    expect(kept.events.map((e) => e.event)).to.deep.equal(['session.created']);
    const restored = await trail(active.sessionId);
    expect(restored.session.endedAt).to.equal(null);
    expect(restored.events.map((e) => e.event)).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'session.suspended']);
    expect(restored.events.at(-1)).to.deep.include({ event: 'session.suspended', detail: 'server restarted' });

    // A code that cannot be restored (its key is gone: CODE_KEY_FILE lost or replaced) ends once, with server_restart.
    second.process.kill('SIGKILL');
    expect(await second.exited).to.equal('SIGKILL');
    fs.rmSync(path.join(dir, 'codes.key'));
    const third = await startServerProcess(dir);
    children.push(third.process);
    const ended = await (async () => {
      const res = await fetch(`${third.url}/api/sessions/${pending.sessionId}/audit`, { headers: { cookie: reader } });
      return (await res.json()) as Awaited<ReturnType<typeof trail>>;
    })();
    expect(ended.session.endReason).to.equal('server_restart');
    expect(ended.session.endedAt).to.be.a('number');
    const last = ended.events.at(-1);
    expect(last, ended.events.map((e) => e.event).join(', ')).to.deep.include({ event: 'session.ended', detail: 'server_restart' });
    expect(last?.actor.kind).to.equal('server');
    expect(ended.events.filter((e) => e.event === 'session.ended')).to.have.length(1);
    // The joined session does not need the key: it is still open.
    const still = (await (await fetch(`${third.url}/api/sessions/${active.sessionId}/audit`, { headers: { cookie: reader } })).json()) as Awaited<ReturnType<typeof trail>>;
    expect(still.session.endedAt).to.equal(null);
    third.process.kill('SIGTERM');
    expect(await third.exited).to.equal(0);
  });
});
