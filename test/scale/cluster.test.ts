import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { SignalData } from '../../protocol/index.ts';
import { wrtc } from '../../turn/wrtc.ts';
import {
  createTechnician,
  loginCookie,
  openCustomerSocket,
  openTechnicianSocket,
  openTestSocket,
  requestJson,
  startTestServer,
  type RunningServer,
  type TestSocket,
} from '../../testkit/server.ts';
import { startServerProcess } from '../../testkit/server-process.ts';
import { pgRows, startPostgres, startRedis, stopChild, type PostgresServer, type RedisServer } from '../../testkit/services.ts';

const PASSWORD = 'correct-horse-battery';
const GRACE_SECONDS = 3;


/** A Node WebRTC peer whose signaling goes over one of the server's sockets. */
/** The technician offers; the customer answers whatever offer arrives. */
function peerOver(socket: TestSocket, sessionId: string) {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const signal = (data: SignalData): void => socket.send({ type: 'signal', sessionId, data });
  pc.onicecandidate = ({ candidate }) => signal({ kind: 'candidate', candidate: candidate ? (candidate.toJSON() as never) : null });
  socket.ws.on('message', (raw) => {
    const message = JSON.parse(Buffer.from(raw as Buffer).toString("utf8")) as { type: string; data?: SignalData };
    if (message.type !== 'signal' || !message.data) return;
    const data = message.data;
    void (async () => {
      if (data.kind === 'description') {
        await pc.setRemoteDescription(data.description);
        if (data.description.type === 'offer') {
          await pc.setLocalDescription(await pc.createAnswer());
          signal({ kind: 'description', description: pc.localDescription!.toJSON() });
        }
      } else if (data.candidate) {
        await pc.addIceCandidate(data.candidate);
      }
    })();
  });
  return pc;
}

function nextMessage(channel: RTCDataChannel): Promise<string> {
  return new Promise((resolve) => channel.addEventListener('message', (event) => resolve(String((event).data)), { once: true }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The same scenarios on the two stores several nodes can share: PostgreSQL
 * (DATABASE_URL, the scale-out store) and one SQLite file on one machine.
 */
for (const storeKind of ['postgres', 'sqlite'] as const) {
describe(`scale: three nodes on one Redis (REDIS_URL) and ${storeKind === 'postgres' ? 'one PostgreSQL (DATABASE_URL)' : 'one SQLite file'}`, function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let postgres: PostgresServer | null = null;
  let dir: string;
  /** Where the nodes keep accounts and the audit trail. */
  let storeEnv: Record<string, string>;
  let nodes: RunningServer[] = [];
  const children: ChildProcess[] = [];
  const sockets: TestSocket[] = [];
  let counter = 0;

  /** A code space of 1,500 so that 1,000 claims collide often. */
  const smallCodes = (): string => String(randomInt(0, 1500)).padStart(6, '0');

  before(async () => {
    redis = await startRedis();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-scale-'));
    if (storeKind === 'postgres') postgres = await startPostgres();
    storeEnv = postgres ? { DATABASE_URL: postgres.url } : { DATABASE_PATH: path.join(dir, 'relay-rescue.db') };
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: dir,
      ...storeEnv,
      RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
      CODES_PER_TECHNICIAN: '1000',
      CODE_SLOWDOWN_AFTER: '10',
      CODE_LOCKOUT_AFTER: '10',
    };
    // Started together: on PostgreSQL the first takes the migration lock, the others wait and find the schema done.
    nodes = await Promise.all([0, 1, 2].map(() => startTestServer(env, { generateCode: smallCodes })));
    for (const node of nodes) expect(node.store.kind).to.equal(storeKind);
  });
  after(async () => {
    for (const socket of sockets) socket.drop();
    for (const child of children) await stopChild(child);
    for (const node of nodes) await node.close();
    await redis?.stop();
    await postgres?.stop();
    postgres = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function technician(node: RunningServer): Promise<{ cookie: string; email: string }> {
    const email = `tech${++counter}@example.test`;
    await createTechnician(node, { email, password: PASSWORD, name: `Tech ${counter}` });
    return { cookie: await loginCookie(node, email, PASSWORD), email };
  }

  async function console(node: RunningServer, cookie: string): Promise<TestSocket> {
    const socket = await openTechnicianSocket(node, cookie);
    sockets.push(socket);
    await socket.next('welcome');
    await socket.next('session.list');
    return socket;
  }

  it('1,000 codes claimed at once across the three nodes are all different', async () => {
    const consoles: TestSocket[] = [];
    for (let i = 0; i < 6; i++) {
      const node = nodes[i % 3]!;
      consoles.push(await console(node, (await technician(node)).cookie));
    }
    const perConsole = Math.ceil(1000 / consoles.length);
    const created = await Promise.all(
      consoles.map(async (socket, c) => {
        const want = Math.min(perConsole, 1000 - c * perConsole);
        for (let i = 0; i < want; i++) socket.send({ type: 'session.create', id: `c${i}` });
        const codes: string[] = [];
        for (let i = 0; i < want; i++) codes.push((await socket.next('session.created', 30_000)).session.code!);
        return codes;
      }),
    );
    const codes = created.flat();
    expect(codes).to.have.length(1000);
    expect(new Set(codes).size).to.equal(1000);
    for (const socket of consoles) socket.close();
  });

  it('a login on A works on B and C; a code made on A is entered on B; a WebRTC connection whose signaling crosses nodes carries a message both ways; a customer that moves to C resumes', async () => {
    const [a, b, c] = nodes as [RunningServer, RunningServer, RunningServer];
    const { cookie } = await technician(a);
    for (const node of [b, c]) expect((await requestJson(node, 'GET', '/api/me', undefined, { headers: { cookie } })).status).to.equal(200);
    const tech = await console(a, cookie);
    tech.send({ type: 'session.create', id: 'create' });
    const { session } = await tech.next('session.created');
    const customer = await openCustomerSocket(b);
    sockets.push(customer);
    await customer.next('welcome');
    customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: 'agent', name: 'Cora' });
    const accepted = await customer.next('code.accepted');
    expect(accepted.sessionId).to.equal(session.sessionId);
    expect((await tech.next('session.state')).state).to.equal('queued');
    tech.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
    expect((await tech.next('session.activated')).peerName).to.equal('Cora');
    expect((await customer.next('session.activated')).role).to.equal('customer');

    const techPeer = peerOver(tech, session.sessionId);
    const customerPeer = peerOver(customer, session.sessionId);
    try {
      const channel = techPeer.createDataChannel('chat');
      const incoming = new Promise<RTCDataChannel>((resolve) => {
        customerPeer.ondatachannel = (event) => resolve(event.channel);
      });
      await techPeer.setLocalDescription(await techPeer.createOffer());
      tech.send({ type: 'signal', sessionId: session.sessionId, data: { kind: 'description', description: techPeer.localDescription!.toJSON() } });
      await new Promise<void>((resolve) => channel.addEventListener('open', () => resolve(), { once: true }));
      const remote = await incoming;
      const atCustomer = nextMessage(remote);
      channel.send('hello from the technician');
      expect(await atCustomer).to.equal('hello from the technician');
      const atTech = nextMessage(channel);
      remote.send('hello from the customer');
      expect(await atTech).to.equal('hello from the customer');
    } finally {
      techPeer.close();
      customerPeer.close();
    }

    // The customer's network drops; it comes back on node C with its token.
    customer.drop();
    expect((await tech.next('session.state')).reason).to.equal('customer_lost');
    const moved = await openCustomerSocket(c);
    sockets.push(moved);
    await moved.next('welcome');
    moved.send({ type: 'customer.resume', id: 'resume', token: accepted.token, client: 'agent' });
    const back = await moved.next('code.accepted').catch((error: unknown) => {
      throw new Error(`${String(error)} ${JSON.stringify(moved.received)}`);
    });
    expect(back.sessionId).to.equal(session.sessionId);
    expect((await moved.next('session.activated')).sessionId).to.equal(session.sessionId);
    const resumed = await tech.next('session.state');
    expect([resumed.state, resumed.reason]).to.deep.equal(['active', 'reconnected']);
    moved.send({ type: 'session.end', sessionId: session.sessionId });
    expect((await tech.next('session.state')).reason).to.equal('customer_ended');
    tech.close();
  });

  it('a node that is stopped (SIGTERM) tells the sessions it held sockets for: the technician on A sees customer_lost', async () => {
    const a = nodes[0]!;
    const leaving = await startTestServer({ REDIS_URL: redis.url, DATA_DIR: dir, ...storeEnv, RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) });
    const tech = await console(a, (await technician(a)).cookie);
    tech.send({ type: 'session.create', id: 'create' });
    const { session } = await tech.next('session.created');
    const customer = await openCustomerSocket(leaving);
    customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: 'agent' });
    await customer.next('code.accepted');
    expect((await tech.next('session.state')).state).to.equal('queued');
    tech.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
    await customer.next('session.activated');
    expect(await tech.next('session.activated')).to.include({ ref: 'activate', sessionId: session.sessionId });
    await leaving.close();
    expect((await customer.closed).code).to.equal(4012);
    const lost = await tech.next('session.state', 10_000);
    expect([lost.state, lost.reason]).to.deep.equal(['suspended', 'customer_lost']);
    tech.send({ type: 'session.end', id: 'end', sessionId: session.sessionId });
    await tech.next('ack');
    tech.close();
  });

  it('customers behind one address entering right codes at the same moment on all nodes are all let in', async () => {
    const tech = await console(nodes[0]!, (await technician(nodes[0]!)).cookie);
    // 45 at once: 15 per node, more than CODE_SLOWDOWN_AFTER (10). A node once held each try open across its Redis
    // round trips, counted it as a possible failure, and refused right codes with CODE_SLOW_DOWN.
    for (let i = 0; i < 45; i++) tech.send({ type: 'session.create', id: `c${i}` });
    const codes: string[] = [];
    for (let i = 0; i < 45; i++) codes.push((await tech.next('session.created')).session.code!);
    const answers = await Promise.all(
      codes.map((code, i) => requestJson(nodes[i % 3]!, 'POST', '/api/code', { code, client: 'browser' }, { localAddress: '127.0.0.9' })),
    );
    expect(answers.map((answer) => answer.code ?? answer.status)).to.deep.equal(codes.map(() => 200));
    // The same over customer sockets (the support app's path), all sent at once.
    for (let i = 0; i < 45; i++) tech.send({ type: 'session.create', id: `w${i}` });
    const more: string[] = [];
    for (let i = 0; i < 45; i++) more.push((await tech.next('session.created')).session.code!);
    const customers = await Promise.all(more.map((_code, i) => openCustomerSocket(nodes[i % 3]!, { localAddress: '127.0.0.10' })));
    sockets.push(...customers);
    await Promise.all(customers.map((customer) => customer.next('welcome')));
    customers.forEach((customer, i) => customer.send({ type: 'code.submit', id: `s${i}`, code: more[i]!, client: 'agent' }));
    const replies = await Promise.all(customers.map((customer) => Promise.race([customer.next('code.accepted').then(() => 'accepted'), customer.next('error').then((e) => e.code)])));
    expect(replies).to.deep.equal(more.map(() => 'accepted'));
    tech.close();
  });

  it('login and code lockouts hold across nodes: guesses spread over A, B and C get no more than on one node', async () => {
    const { email } = await technician(nodes[0]!);
    const loginAnswers: string[] = [];
    for (let i = 0; i < 9; i++) {
      const answer = await requestJson(nodes[i % 3]!, 'POST', '/api/login', { email, password: 'wrong-password-1' }, { localAddress: '127.0.0.7' });
      loginAnswers.push(answer.code ?? String(answer.status));
    }
    // LOGIN_LOCKOUT_AFTER is 5 for one account from one address: on one node, or on three.
    expect(loginAnswers.filter((code) => code === 'INVALID_CREDENTIALS')).to.have.length(5);
    expect(loginAnswers.slice(5).every((code) => code === 'LOGIN_LOCKED')).to.equal(true);

    const codeAnswers: string[] = [];
    for (let i = 0; i < 15; i++) {
      const answer = await requestJson(nodes[i % 3]!, 'POST', '/api/code', { code: '999999', client: 'browser' }, { localAddress: '127.0.0.8' });
      codeAnswers.push(answer.code ?? String(answer.status));
    }
    // CODE_LOCKOUT_AFTER is 10 wrong codes per address.
    expect(codeAnswers.filter((code) => code === 'CODE_INVALID')).to.have.length(10);
    expect(codeAnswers.slice(10).every((code) => code === 'CODE_LOCKED_OUT')).to.equal(true);
  });

  it('node A killed with SIGKILL: the customer on B is told technician_lost after the grace period, and the audit has the end once', async () => {
    const b = nodes[1]!;
    const killed = await startServerProcess({
      REDIS_URL: redis.url,
      DATA_DIR: dir,
      ...storeEnv,
      RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
    });
    children.push(killed.process);
    const { email } = await technician(b);
    const cookie = (
      await fetch(`${killed.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })
    ).headers
      .getSetCookie()[0]!
      .split(';')[0]!;
    const tech = await openTestSocket(`${killed.url.replace(/^http/, 'ws')}/ws/technician`, { cookie, origin: killed.url });
    sockets.push(tech);
    await tech.next('welcome');
    tech.send({ type: 'session.create', id: 'create' });
    const { session } = await tech.next('session.created');
    const customer = await openCustomerSocket(b);
    sockets.push(customer);
    customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: 'agent' });
    await customer.next('code.accepted');
    tech.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
    await customer.next('session.activated');
    expect((await customer.next('session.state')).state).to.equal('active');

    const killedAt = Date.now();
    killed.process.kill('SIGKILL');
    const suspended = await customer.next('session.state', 15_000);
    expect([suspended.state, suspended.reason]).to.deep.equal(['suspended', 'technician_lost']);
    const ended = await customer.next('session.state', 15_000);
    expect([ended.state, ended.reason]).to.deep.equal(['closed', 'technician_lost']);
    expect(Date.now() - killedAt).to.be.at.least(GRACE_SECONDS * 1000);
    expect((await customer.closed).code).to.equal(4000);
    // The reaping node ends the same session after the grace period too: still one end in the audit.
    await sleep(2000);
    const events = (await b.audit.events(session.sessionId)).filter((event) => event.event === 'session.ended');
    expect(events).to.have.length(1);
    expect(events[0]!.detail).to.equal('technician_lost');
    expect((await b.audit.getSession(session.sessionId))?.endReason).to.equal('technician_lost');
    // One trail: the killed node wrote the start, the reaping node the end, into the one database. The killed node's
    // rows were stored before its replies left (SQLite at once; PostgreSQL's replies wait for them: docs/decisions.md).
    const trail = (await b.audit.events(session.sessionId)).map((event) => event.event);
    expect(trail.slice(0, 3)).to.deep.equal(['session.created', 'code.entered', 'session.activated']);
    expect(trail.at(-1)).to.equal('session.ended');
    if (postgres) {
      // Read straight from PostgreSQL, as another node or an auditor would.
      const ends = await pgRows(postgres.url, "SELECT detail FROM audit_events WHERE session_id = $1 AND event = 'session.ended'", [session.sessionId]);
      expect(ends).to.deep.equal([{ detail: 'technician_lost' }]);
      const row = await pgRows(postgres.url, 'SELECT end_reason FROM sessions WHERE id = $1', [session.sessionId]);
      expect(row).to.deep.equal([{ end_reason: 'technician_lost' }]);
    }
    // The dead node's seat is free again and its session's keys are gone.
    const check = new Redis(redis.url);
    try {
      expect(await check.hlen('rr:seats')).to.equal(0);
      expect(await check.exists(`rr:session:${session.sessionId}`)).to.equal(0);
    } finally {
      check.disconnect();
    }
  });
});
}
