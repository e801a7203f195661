import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ADHOC_VALIDITY_MS, type AdhocSummary } from '../../protocol/adhoc.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { systemClock } from '../../signaling/clock.ts';
import { createLogger } from '../../signaling/logger.ts';
import { openPostgresStore } from '../../signaling/store/pg-store.ts';
import { openTechnicianSocket, openTestSocket, startTestServer, type RunningServer, type TestSocket } from '../../testkit/server.ts';
import { startServerProcess } from '../../testkit/server-process.ts';
import { pgRows, startPostgres, startRedis, stopChild, type PostgresServer, type RedisServer } from '../../testkit/services.ts';
import { FakeSupport, logIn, runAgent, waitFor, type Harness, type Tech } from '../adhoc/helpers.ts';

const PASSWORD = 'Lamp-Orbit-97-Quill!';
const TECH_PASSWORD = 'technician-login-pw-1';



/** Counts what crosses a connection's control channel each way (the password proof and its answer). */
function countControl(peer: PeerSession, counts: { sent: number; received: number }): void {
  const send = peer.send.bind(peer);
  peer.send = ((channel, msg) => {
    if (channel === 'control') counts.sent++;
    return send(channel, msg);
  });
  peer.on('control', () => counts.received++);
}

/** An ad hoc agent socket on a node, from one client address. */
async function agentSocket(node: RunningServer, localAddress: string): Promise<TestSocket> {
  return openTestSocket(`${node.wsUrl}/ws/adhoc/agent`, {}, { localAddress });
}

const adhocError = async (socket: TestSocket): Promise<string> => (await socket.next('error', 10_000)).code;

describe('scale: ad hoc support on three nodes, one Redis (REDIS_URL) and one PostgreSQL (DATABASE_URL)', function () {
  this.timeout(180_000);
  let redis: RedisServer;
  let postgres: PostgresServer;
  let dir: string;
  let env: Record<string, string>;
  let nodes: RunningServer[] = [];
  const children: ChildProcess[] = [];
  const consoles: Tech[] = [];
  let counter = 0;

  /** A node as test/adhoc/helpers.ts takes it (real clock). */
  const harness = (server: RunningServer): Harness => ({ server, dir, serverClock: systemClock }) as unknown as Harness;

  before(async () => {
    redis = await startRedis();
    postgres = await startPostgres();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-scale-adhoc-'));
    env = { REDIS_URL: redis.url, DATABASE_URL: postgres.url, DATA_DIR: dir, LOGIN_SESSION_HOURS: '48' };
    nodes = await Promise.all([0, 1, 2].map(() => startTestServer(env)));
  });
  after(async () => {
    for (const tech of consoles) tech.client.close();
    for (const child of children) await stopChild(child);
    for (const node of nodes) await node.close();
    await redis?.stop();
    await postgres?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function account(): Promise<string> {
    const email = `adhoc${++counter}@example.test`;
    await nodes[0]!.accounts.create({ email, name: `Tech ${counter}`, password: TECH_PASSWORD, isAdmin: false });
    return email;
  }

  async function consoleOn(node: RunningServer, email: string): Promise<Tech> {
    const tech = await logIn(harness(node), email);
    consoles.push(tech);
    return tech;
  }

  it('a deployment made on A, the agent paired on B, the technician on C connects (a data-channel message both ways); the 24-hour pairing is seen on every node', async () => {
    const [a, b, c] = nodes as [RunningServer, RunningServer, RunningServer];
    const email = await account();
    const onA = await consoleOn(a, email);
    const created = await onA.api.create('user@example.test');
    const token = created.deploymentUrl.split('/adhoc/')[1]!;
    const adhocId = created.session.adhocId;
    const onC = await consoleOn(c, email);

    // The agent is on B: C hears of each step (the row is in PostgreSQL, the change on the bus).
    const run = runAgent(harness(b), { deploymentToken: token, askSecurityCode: async () => created.securityCode });
    await waitFor(() => onC.updates.some((u) => u.adhocId === adhocId && u.state === 'code_entered' && u.online), 'code_entered, online, on C');
    expect(await redisNodeOf(adhocId)).to.equal(b.ctx.cluster!.nodeId);

    // Pairing from C: its signaling goes C -> B over the bus and back.
    const pairing = await onC.client.connect(adhocId, PASSWORD, { pairing: true });
    await waitFor(() => onC.updates.some((u) => u.adhocId === adhocId && u.state === 'paired'), 'paired on C');
    await waitFor(() => onA.updates.some((u) => u.adhocId === adhocId && u.state === 'paired'), 'paired on A');
    pairing.close();

    // A support connection from C: the password proof and its answer cross the data channel both ways, then input reaches the agent.
    const counts = { sent: 0, received: 0 };
    const before = FakeSupport.started.length;
    const conn = await onC.client.connect(adhocId, PASSWORD, { onPeer: (peer) => countControl(peer, counts) });
    await waitFor(() => FakeSupport.started.length > before, 'the support session on the agent');
    conn.peer.send('input', { type: 'key', code: 'KeyA', key: 'a', down: true });
    await waitFor(() => FakeSupport.started.at(-1)!.received.includes('input:key'), 'input from C at the agent on B');
    expect(counts.sent, 'control messages C -> agent').to.be.greaterThan(0);
    expect(counts.received, 'control messages agent -> C').to.be.greaterThan(0);
    conn.close();

    // Every node lists the same pairing: paired, 24 hours from activation, online (the agent's key names B).
    for (const node of nodes) {
      const res = await fetch(`${node.url}/api/adhoc/sessions`, { headers: { cookie: onA.cookie, origin: node.publicUrl } });
      const { sessions } = (await res.json()) as { sessions: AdhocSummary[] };
      const listed = sessions.find((s) => s.adhocId === adhocId)!;
      expect(listed).to.include({ state: 'paired', online: true, computerName: 'test-pc' });
      expect(listed.expiresAt - listed.activatedAt!).to.equal(ADHOC_VALIDITY_MS);
    }
    // The pairing connection and the support connection each proved the password.
    await waitFor(async () => (await a.audit.events(adhocId)).filter((e) => e.event === 'adhoc.connected').length === 2, 'adhoc.connected twice in the audit');
    expect((await a.audit.events(adhocId)).map((e) => e.event)).to.deep.equal(['adhoc.created', 'adhoc.paired', 'adhoc.connected', 'adhoc.connected']);

    // Ended from A: the agent on B is told and exits.
    await onA.api.end(adhocId);
    expect((await run.done).reason).to.equal('technician_ended');
    const ended = await pgRows<{ event: string; n: number }>(postgres.url, "SELECT event, COUNT(*)::int AS n FROM audit_events WHERE session_id = $1 AND event = 'adhoc.ended' GROUP BY event", [adhocId]);
    expect(ended).to.deep.equal([{ event: 'adhoc.ended', n: 1 }]);
  });

  async function redisNodeOf(adhocId: string): Promise<string | null> {
    return nodes[0]!.ctx.cluster!.redis.get(`rr:adhoc:agent:${adhocId}`);
  }

  it('wrong security codes from one address spread over A, B and C get no more than on one node (CODE_LOCKED_OUT after 10)', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tech = await consoleOn(nodes[i]!, await account());
      tokens.push((await tech.api.create('user@example.test')).deploymentUrl.split('/adhoc/')[1]!);
    }
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Four guesses per link (a link voids its code at five), each on the next node.
      const socket = await agentSocket(nodes[i % 3]!, '127.0.0.21');
      socket.send({ type: 'adhoc.hello', id: 'h', deploymentToken: tokens[Math.floor(i / 4)]! });
      await waitFor(() => socket.received.some((m) => (m.type as string) === 'adhoc.code_required'), 'code_required');
      socket.send({ type: 'adhoc.code', id: 'c', deploymentToken: tokens[Math.floor(i / 4)]!, code: '999999999', computerName: 'pc' });
      answers.push(await adhocError(socket));
      socket.drop();
    }
    expect(answers.slice(0, 10)).to.deep.equal(Array(10).fill('SECURITY_CODE_INVALID'));
    expect(answers.slice(10)).to.deep.equal(['CODE_LOCKED_OUT', 'CODE_LOCKED_OUT']);
  });

  it('12 wrong security codes from one address sent at once over A, B and C get 10 checks (tries in flight are counted in Redis)', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tech = await consoleOn(nodes[i]!, await account());
      tokens.push((await tech.api.create('user@example.test')).deploymentUrl.split('/adhoc/')[1]!);
    }
    const sockets = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const socket = await agentSocket(nodes[i % 3]!, '127.0.0.22');
        socket.send({ type: 'adhoc.hello', id: 'h', deploymentToken: tokens[Math.floor(i / 4)]! });
        await waitFor(() => socket.received.some((m) => (m.type as string) === 'adhoc.code_required'), 'code_required');
        return socket;
      }),
    );
    sockets.forEach((socket, i) => socket.send({ type: 'adhoc.code', id: 'c', deploymentToken: tokens[Math.floor(i / 4)]!, code: '999999999', computerName: 'pc' }));
    const answers = await Promise.all(sockets.map((socket) => adhocError(socket)));
    for (const socket of sockets) socket.drop();
    expect(answers.filter((a) => a === 'SECURITY_CODE_INVALID'), answers.join(' ')).to.have.length(10);
    expect(answers.filter((a) => a === 'CODE_LOCKED_OUT'), answers.join(' ')).to.have.length(2);
  });

  it('a node SIGKILLed right after its audited replies: every audited row is in PostgreSQL, exactly once', async () => {
    const killed = await startServerProcess(env);
    children.push(killed.process);
    const email = await account();
    const login = await fetch(`${killed.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: killed.url },
      body: JSON.stringify({ email, password: TECH_PASSWORD }),
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const headers = { cookie, origin: killed.url, 'content-type': 'application/json' };
    // Ad hoc: each 201 and each 200 of an end tells the console a step happened.
    const adhocIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const made = await fetch(`${killed.url}/api/adhoc/sessions`, { method: 'POST', headers, body: JSON.stringify({ email: `u${i}@example.test` }) });
      expect(made.status).to.equal(201);
      const id = ((await made.json()) as { session: AdhocSummary }).session.adhocId;
      adhocIds.push(id);
      const end = await fetch(`${killed.url}/api/adhoc/sessions/${id}/end`, { method: 'POST', headers, body: '{}' });
      expect(end.status).to.equal(200);
    }
    // PIN sessions: 20 session.created replies at once over the technician socket (CODES_PER_TECHNICIAN's default).
    const tech = await openTestSocket(`${killed.url.replace(/^http/, 'ws')}/ws/technician`, { cookie, origin: killed.url });
    await tech.next('welcome');
    for (let i = 0; i < 20; i++) tech.send({ type: 'session.create', id: `c${i}` });
    const pinIds: string[] = [];
    for (let i = 0; i < 20; i++) pinIds.push((await tech.next('session.created', 20_000)).session.sessionId);
    killed.process.kill('SIGKILL');
    tech.drop();
    await killed.exited;

    const audited = await pgRows<{ session_id: string; event: string; n: number }>(
      postgres.url,
      'SELECT session_id, event, COUNT(*)::int AS n FROM audit_events WHERE session_id = ANY($1::text[]) GROUP BY session_id, event',
      [[...adhocIds, ...pinIds]],
    );
    const count = (id: string, event: string): number => audited.find((r) => r.session_id === id && r.event === event)?.n ?? 0;
    expect(adhocIds.map((id) => [count(id, 'adhoc.created'), count(id, 'adhoc.ended')])).to.deep.equal(adhocIds.map(() => [1, 1]));
    expect(pinIds.map((id) => count(id, 'session.created'))).to.deep.equal(pinIds.map(() => 1));
    expect(audited.filter((r) => r.n !== 1)).to.deep.equal([]);
    const closed = await pgRows<{ id: string; end_reason: string }>(postgres.url, 'SELECT id, end_reason FROM sessions WHERE id = ANY($1::text[])', [adhocIds]);
    expect(closed.map((r) => r.end_reason)).to.deep.equal(adhocIds.map(() => 'technician_ended'));
  });

  it('an audit write stored twice (a retry after a lost COMMIT reply) is one row: the idempotency key', async () => {
    const store = await openPostgresStore(postgres.url, createLogger('silent'));
    try {
      store.audit.openSession({ id: 'retried', kind: 'pin', technicianId: null, technicianEmail: 't@example.test', createdAt: 1, forceRelay: false });
      for (let i = 0; i < 3; i++) store.audit.event('retried', 2, 'session.created', { kind: 'server', id: null, label: 'server' }, '', 'the-same-write');
      store.audit.event('retried', 3, 'session.ended', { kind: 'server', id: null, label: 'server' }, 'other key');
      await store.audit.flush();
      expect((await store.audit.events('retried', 10)).map((e) => e.event)).to.deep.equal(['session.created', 'session.ended']);
    } finally {
      await store.close();
    }
  });

  it('the PIN socket of a technician on a PostgreSQL node hears of a session only once its audit row is stored', async () => {
    // A reply held behind the queue: the row is there by the time the console reads the reply.
    const email = await account();
    const node = nodes[1]!;
    const cookie = (await consoleOn(node, email)).cookie;
    const tech = await openTechnicianSocket(node, cookie);
    await tech.next('welcome');
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const rows = await pgRows<{ event: string }>(postgres.url, 'SELECT event FROM audit_events WHERE session_id = $1', [session.sessionId]);
    expect(rows.map((r) => r.event)).to.deep.equal(['session.created']);
    tech.close();
  });
});
