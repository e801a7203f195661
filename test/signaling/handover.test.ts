import { expect } from 'chai';
import { activeSession, startTestServer, type RunningServer } from '../../testkit/server.ts';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;

/** Transfer and collaboration at the wire: who may do what, and what each side is told. */
describe('signaling: session transfer and colleagues', () => {
  let server: RunningServer;
  beforeEach(async () => {
    server = await startTestServer({}, { plugins: [] });
  });
  afterEach(async () => {
    await server.close();
  });

  it('transfer: the customer hears the new name first, the old technician is cut off, both sides are activated again', async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    a.technician.send({ type: 'technician.online', id: 'o' });
    const online = await a.technician.next('technician.online');
    expect(online.technicians.map((t) => t.id)).to.deep.equal([b.account.id]);
    a.technician.send({ type: 'session.transfer', id: 't', sessionId: a.sessionId, technicianId: b.account.id, note: 'over to you' });
    const told = await a.customer.next('session.transferred');
    expect(told).to.include({ technicianName: b.account.name, technicianEmail: b.account.email, previousName: a.account.name, note: 'over to you' });
    const activated = await a.customer.next('session.activated');
    expect(activated.peerName).to.equal(b.account.name);
    // The customer's first message after the transfer notice is the new activation.
    expect(a.customer.received.findIndex((m) => m.type === 'session.transferred')).to.be.lessThan(a.customer.received.findIndex((m) => m === activated));
    expect(await a.technician.next('session.state')).to.include({ state: 'closed', reason: 'transferred' });
    expect((await b.technician.next('session.activated')).sessionId).to.equal(a.sessionId);
    // A is no longer a party: nothing of A reaches the customer.
    a.technician.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect(await a.technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    b.technician.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect((await a.customer.next('signal')).lane).to.equal(undefined);
    const trail = (await server.audit.events(a.sessionId)).map((e) => `${e.event} ${e.detail}`);
    expect(trail).to.include(`session.transferred to ${b.account.email}: over to you`);
  });

  it('only the lead transfers or invites, only to someone online, and never to themself', async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    b.technician.send({ type: 'session.transfer', id: 't', sessionId: a.sessionId, technicianId: b.account.id });
    expect(await b.technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    b.technician.send({ type: 'colleague.invite', id: 'i', sessionId: a.sessionId, technicianId: b.account.id });
    expect(await b.technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    a.technician.send({ type: 'session.transfer', id: 't2', sessionId: a.sessionId, technicianId: a.account.id });
    expect(await a.technician.next('error')).to.include({ code: 'TECHNICIAN_NOT_ONLINE' });
    b.technician.close();
    await new Promise((r) => setTimeout(r, 200));
    a.technician.send({ type: 'colleague.invite', id: 'i2', sessionId: a.sessionId, technicianId: b.account.id });
    expect(await a.technician.next('error')).to.include({ code: 'TECHNICIAN_NOT_ONLINE' });
    expect(server.registry.get(a.sessionId)?.technician.id).to.equal(a.account.id);
  });

  it("a colleague reaches only the lead's console, and only once the customer said yes", async () => {
    const a = await activeSession(server);
    const c = await activeSession(server);
    a.technician.send({ type: 'colleague.invite', id: 'i', sessionId: a.sessionId, technicianId: c.account.id });
    expect(await a.customer.next('colleague.state')).to.deep.include({ state: 'invited', leadName: a.account.name });
    // Invited but not approved: the colleague is not a party, and the lead cannot reach them.
    c.technician.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect(await c.technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    a.technician.send({ type: 'signal', sessionId: a.sessionId, lane: 'colleague', data: offer });
    expect(await a.technician.next('error')).to.include({ code: 'PEER_NOT_CONNECTED' });
    // The technician cannot answer for the customer.
    a.technician.send({ type: 'colleague.answer', id: 'x', sessionId: a.sessionId, accept: true });
    expect(await a.technician.next('error')).to.include({ code: 'UNKNOWN_MESSAGE_TYPE' });
    a.customer.send({ type: 'colleague.answer', id: 'yes', sessionId: a.sessionId, accept: true });
    const activated = await c.technician.next('session.activated');
    expect(activated).to.include({ sessionId: a.sessionId, leadName: a.account.name });
    c.technician.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect(await a.technician.next('signal')).to.include({ lane: 'colleague' });
    a.technician.send({ type: 'signal', sessionId: a.sessionId, lane: 'colleague', data: offer });
    expect((await c.technician.next('signal')).lane).to.equal(undefined);
    // Nothing the colleague sends reaches the customer; the customer cannot use the colleague's lane.
    expect(a.customer.received.filter((m) => m.type === 'signal')).to.have.length(0);
    a.customer.send({ type: 'signal', sessionId: a.sessionId, lane: 'colleague', data: offer });
    expect(await a.customer.next('error')).to.include({ code: 'PEER_NOT_CONNECTED' });
    // The customer removes the colleague: their tab is closed and they are no party any more.
    a.customer.send({ type: 'colleague.remove', id: 'rm', sessionId: a.sessionId });
    expect(await c.technician.next('session.state')).to.include({ state: 'closed', reason: 'colleague_removed' });
    c.technician.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect(await c.technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    const trail = (await server.audit.events(a.sessionId)).map((e) => `${e.event} ${e.actor.kind} ${e.detail}`);
    expect(trail).to.include.members([`colleague.invited technician ${c.account.email}`, `colleague.joined customer ${c.account.email}`, `colleague.removed customer ${c.account.email}`]);
  });
});
