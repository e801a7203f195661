import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SignalData } from '../../protocol/index.ts';
import { createTechnician, loginCookie, openCustomerSocket, openTechnicianSocket, startTestServer, type RunningServer, type TestSocket } from '../../testkit/server.ts';
import { startRedis, type RedisServer } from '../../testkit/services.ts';

const PASSWORD = 'correct-horse-battery';
const OFFER: SignalData = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };
const ANSWER: SignalData = { kind: 'description', description: { type: 'answer', sdp: 'v=0\r\n' } };

/**
 * Transfer and collaboration when the technicians are on different nodes
 * (docs/scale.md): the session lives on the node its lead created it on (A);
 * the customer, the colleague and the technician taking over are on node B.
 * What crosses the wire is what a single node sends: names from the accounts,
 * the customer's answer, the colleague's and the new lead's activation, their
 * signals, and one audit row per step.
 */
/** The next `session.state` of `state` (earlier ones, e.g. queued, are passed over). */
async function stateOf(socket: TestSocket, state: string): Promise<{ sessionId: string; state: string; reason?: string | undefined }> {
  for (;;) {
    const m = await socket.next('session.state');
    if (m.state === state) return m;
  }
}

describe('scale: transfer and a colleague across two nodes (REDIS_URL)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let dir: string;
  let a: RunningServer;
  let b: RunningServer;
  const sockets: TestSocket[] = [];

  before(async () => {
    redis = await startRedis();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-scale-handover-'));
    const env = { REDIS_URL: redis.url, DATA_DIR: dir, DATABASE_PATH: path.join(dir, 'relay-rescue.db') };
    a = await startTestServer(env);
    b = await startTestServer(env);
  });
  after(async () => {
    for (const socket of sockets) socket.drop();
    await a?.close();
    await b?.close();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function consoleOn(node: RunningServer, email: string, name: string): Promise<TestSocket> {
    await createTechnician(node, { email, password: PASSWORD, name });
    const socket = await openTechnicianSocket(node, await loginCookie(node, email, PASSWORD));
    sockets.push(socket);
    await socket.next('welcome');
    await socket.next('session.list');
    return socket;
  }

  it('the lead on A lists, invites and removes a colleague on B, then transfers the session to a technician on B; the customer on B is told each by name', async () => {
    const ada = await consoleOn(a, 'ada@example.test', 'Ada Lead');
    const ben = await consoleOn(b, 'ben@example.test', 'Ben Next');
    const cleo = await consoleOn(b, 'cleo@example.test', 'Cleo Colleague');
    ada.send({ type: 'session.create', id: 'create' });
    const { session } = await ada.next('session.created');
    const sessionId = session.sessionId;
    const customer = await openCustomerSocket(b);
    sockets.push(customer);
    await customer.next('welcome');
    customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: 'browser', name: 'Cora' });
    await customer.next('code.accepted');
    ada.send({ type: 'session.activate', id: 'activate', sessionId });
    await ada.next('session.activated');
    await customer.next('session.activated');

    // Everyone online on any node, by their accounts' names.
    ada.send({ type: 'technician.online', id: 'online' });
    const online = (await ada.next('technician.online')).technicians;
    expect(online.map((t) => t.email).sort()).to.deep.equal(['ben@example.test', 'cleo@example.test']);
    const cleoId = online.find((t) => t.email === 'cleo@example.test')!.id;
    const benId = online.find((t) => t.email === 'ben@example.test')!.id;

    // The colleague on B: invited, named to the customer, let in, signals with the lead across nodes, removed.
    ada.send({ type: 'colleague.invite', id: 'invite', sessionId, technicianId: cleoId });
    await ada.next('ack');
    const invited = await customer.next('colleague.state');
    expect(invited).to.deep.include({ state: 'invited', leadName: 'Ada Lead' });
    expect(invited.colleague).to.deep.include({ name: 'Cleo Colleague', email: 'cleo@example.test' });
    expect((await cleo.next('colleague.state')).state).to.equal('invited');
    customer.send({ type: 'colleague.answer', id: 'yes', sessionId, accept: true });
    await customer.next('ack');
    const activated = await cleo.next('session.activated');
    expect(activated).to.deep.include({ sessionId, leadName: 'Ada Lead', role: 'technician' });
    expect((await ada.next('colleague.state')).state).to.equal('invited');
    expect((await ada.next('colleague.state')).state).to.equal('joined');
    ada.send({ type: 'signal', sessionId, lane: 'colleague', data: OFFER });
    expect((await cleo.next('signal')).data).to.deep.equal(OFFER);
    cleo.send({ type: 'signal', sessionId, data: ANSWER });
    const atLead = await ada.next('signal');
    expect([atLead.lane, atLead.data]).to.deep.equal(['colleague', ANSWER]);
    ada.send({ type: 'colleague.remove', id: 'remove', sessionId });
    await ada.next('ack');
    expect(await stateOf(cleo, 'closed')).to.deep.include({ sessionId, state: 'closed', reason: 'colleague_removed' });
    expect((await customer.next('colleague.state')).state).to.equal('joined');
    expect((await customer.next('colleague.state')).state).to.equal('removed');

    // The transfer to Ben on B: the customer hears who first, Ada is out, Ben and the customer start anew.
    ada.send({ type: 'session.transfer', id: 'transfer', sessionId, technicianId: benId, note: 'printer driver' });
    await ada.next('ack');
    const transferred = await customer.next('session.transferred');
    expect(transferred).to.deep.include({ technicianName: 'Ben Next', technicianEmail: 'ben@example.test', previousName: 'Ada Lead', note: 'printer driver' });
    expect(await stateOf(ada, 'closed')).to.deep.include({ sessionId, state: 'closed', reason: 'transferred' });
    expect((await ben.next('session.activated')).sessionId).to.equal(sessionId);
    expect((await customer.next('session.activated')).peerName).to.equal('Ben Next');
    ben.send({ type: 'signal', sessionId, data: OFFER });
    expect((await customer.next('signal')).data).to.deep.equal(OFFER);
    customer.send({ type: 'signal', sessionId, data: ANSWER });
    expect((await ben.next('signal')).data).to.deep.equal(ANSWER);
    // Ada has no say any more.
    ada.send({ type: 'signal', sessionId, data: OFFER });
    expect((await ada.next('error')).code).to.equal('SESSION_NOT_FOUND');

    const trail = (await a.audit.events(sessionId)).map((e) => `${e.event} ${e.actor.label} ${e.detail}`.trim());
    expect(trail).to.include('colleague.invited ada@example.test cleo@example.test');
    expect(trail).to.include('colleague.removed ada@example.test cleo@example.test');
    expect(trail).to.include('session.transferred ada@example.test to ben@example.test: printer driver');
  });

  it('a technician that is online nowhere cannot be invited or handed a session: TECHNICIAN_NOT_ONLINE', async () => {
    const dan = await consoleOn(a, 'dan@example.test', 'Dan Lead');
    dan.send({ type: 'session.create', id: 'create' });
    const { session } = await dan.next('session.created');
    const customer = await openCustomerSocket(b);
    sockets.push(customer);
    await customer.next('welcome');
    customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: 'browser', name: 'Cy' });
    await customer.next('code.accepted');
    dan.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
    await dan.next('session.activated');
    dan.send({ type: 'session.transfer', id: 't', sessionId: session.sessionId, technicianId: 'no-such-technician' });
    expect((await dan.next('error')).code).to.equal('TECHNICIAN_NOT_ONLINE');
    dan.send({ type: 'colleague.invite', id: 'i', sessionId: session.sessionId, technicianId: 'no-such-technician' });
    expect((await dan.next('error')).code).to.equal('TECHNICIAN_NOT_ONLINE');
  });
});
