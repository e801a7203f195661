import { expect } from 'chai';
import { CLOSE_CODES } from '../../protocol/index.ts';
import {
  activeSession,
  createTechnician,
  fakeClock,
  loginCookie,
  openCustomerSocket,
  openTechnicianSocket,
  startTestServer,
  type RunningServer,
} from '../../testkit/server.ts';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;
const answer = { kind: 'description', description: { type: 'answer', sdp: 'v=0\r\n' } } as const;
const candidate = { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } } as const;

describe('signaling: session lifecycle over real sockets', () => {
  let server: RunningServer;
  const { clock, fake } = fakeClock();

  beforeEach(async () => {
    server = await startTestServer(
      { RECONNECT_GRACE_SECONDS: '30', HEARTBEAT_MS: '600000', STUN_URLS: 'stun:stun.example.test:3478', TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 's3cret' },
      { clock, plugins: [] },
    );
  });
  afterEach(async () => {
    await server.close();
  });

  it('pending -> queued -> active: both sides get session.activated with ICE and their politeness', async () => {
    const { techActivated, customerActivated, sessionId, technician } = await activeSession(server);
    expect(techActivated).to.include({ sessionId, role: 'technician', polite: false });
    expect(customerActivated).to.include({ sessionId, role: 'customer', polite: true });
    expect(customerActivated.peerName).to.match(/^Tech \d+$/);
    expect(techActivated.peerName).to.equal('Customer');
    expect(customerActivated.ice.turnConfigured).to.equal(true);
    expect(customerActivated.ice.iceTransportPolicy).to.equal('all');
    const turn = customerActivated.ice.iceServers.find((s) => s.urls[0]?.startsWith('turn:'));
    expect(turn?.username).to.match(new RegExp(`^\\d+:${sessionId}-customer$`));
    expect(techActivated.ice.iceServers.find((s) => s.urls[0]?.startsWith('turn:'))?.username).to.match(/-technician$/);
    expect(customerActivated.ice.iceServers[0]?.urls).to.deep.equal(['stun:stun.example.test:3478']);
    technician.send({ type: 'session.list', id: 'l' });
    expect((await technician.next('session.list')).sessions.map((s) => s.state)).to.deep.equal(['active']);
  });

  it('relays offer, answer and candidates between exactly the two parties', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    const bystander = await activeSession(server);
    technician.send({ type: 'signal', sessionId, data: offer });
    expect(await customer.next('signal')).to.deep.equal({ type: 'signal', sessionId, data: offer });
    customer.send({ type: 'signal', sessionId, data: answer });
    customer.send({ type: 'signal', sessionId, data: candidate });
    customer.send({ type: 'signal', sessionId, data: { kind: 'candidate', candidate: null } });
    expect((await technician.next('signal')).data).to.deep.equal(answer);
    expect((await technician.next('signal')).data).to.deep.equal(candidate);
    expect((await technician.next('signal')).data).to.deep.equal({ kind: 'candidate', candidate: null });
    // A round trip on the bystander pair proves its sockets got nothing of the above.
    bystander.technician.send({ type: 'session.list', id: 'probe' });
    await bystander.technician.next('session.list');
    bystander.customer.send({ type: 'ice.refresh', id: 'probe', sessionId: bystander.sessionId });
    await bystander.customer.next('ice.config');
    expect(bystander.technician.received.filter((m) => m.type === 'signal')).to.have.length(0);
    expect(bystander.customer.received.filter((m) => m.type === 'signal')).to.have.length(0);
  });

  it('relays a signal as the text it came in: the peer parses the value that was checked', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    // Key order, spacing and escapes as a client may write them; the relay sends this text on.
    const text = `{ "data": {"description": {"sdp": "v=0\\r\\n\\u0061=x", "type": "offer"}, "kind": "description"},\n "sessionId": "${sessionId}", "type": "signal" }`;
    const raw = new Promise<string>((resolve) => customer.ws.once('message', (data: Buffer) => resolve(data.toString())));
    technician.sendRaw(text);
    expect(await raw).to.equal(text);
    expect(await customer.next('signal')).to.deep.equal({ type: 'signal', sessionId, data: { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\na=x' } } });
    // What the fast check leaves to the schema (an unknown key) is still refused, not relayed.
    technician.sendRaw(`{"type":"signal","sessionId":"${sessionId}","data":{"kind":"candidate","candidate":null,"extra":1}}`);
    expect((await technician.next('error')).code).to.equal('INVALID_MESSAGE');
    customer.send({ type: 'signal', sessionId, data: answer });
    expect((await technician.next('signal')).data).to.deep.equal(answer);
    expect(customer.received.filter((m) => m.type === 'signal')).to.have.length(1);
  });

  it('signal before activation is refused with SESSION_BAD_STATE', async () => {
    await createTechnician(server, { email: 'early@example.test', password: 'password-1234', name: 'Early' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'early@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    tech.send({ type: 'signal', sessionId: session.sessionId, data: offer });
    expect(await tech.next('error')).to.include({ code: 'SESSION_BAD_STATE' });
  });

  it('active -> closed by the technician: the customer is told and its socket closes with 4000', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    technician.send({ type: 'session.end', id: 'end', sessionId });
    expect(await customer.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'closed', reason: 'technician_ended' });
    expect((await customer.closed).code).to.equal(CLOSE_CODES.SESSION_ENDED);
    expect(await technician.next('session.state')).to.include({ state: 'closed', reason: 'technician_ended' });
    await technician.next('ack');
    expect(server.registry.get(sessionId)).to.equal(null);
  });

  it('active -> closed by the customer: the technician is told', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    customer.send({ type: 'session.end', id: 'end', sessionId });
    expect(await technician.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'closed', reason: 'customer_ended' });
  });

  it('pending -> closed by the technician retires the code', async () => {
    await createTechnician(server, { email: 'p@example.test', password: 'password-1234', name: 'P' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'p@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    tech.send({ type: 'session.end', id: 'e', sessionId: session.sessionId });
    expect(await tech.next('session.state')).to.include({ state: 'closed', reason: 'technician_ended' });
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'code.submit', code: session.code, client: 'browser' });
    expect((await customer.next('error')).code).to.be.oneOf(['CODE_EXPIRED', 'CODE_INVALID']);
  });

  it('a code is single use: a second customer gets CODE_USED', async () => {
    await createTechnician(server, { email: 'u@example.test', password: 'password-1234', name: 'U' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'u@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const first = await openCustomerSocket(server);
    first.send({ type: 'code.submit', id: '1', code: session.code, client: 'browser' });
    expect(await first.next('code.accepted')).to.include({ sessionId: session.sessionId, state: 'queued', technicianName: 'U' });
    const queued = await tech.next('session.state');
    expect(queued).to.include({ state: 'queued', reason: 'code_entered' });
    // The console's queue entry comes with the state: no whole session.list is pushed.
    expect(queued.session).to.include({ sessionId: session.sessionId, state: 'queued' });
    expect(queued.session?.customer).to.include({ kind: 'browser', code: session.code });
    expect((await tech.next('session.list')).sessions).to.have.length(0); // sent on connect
    expect(tech.received.filter((m) => m.type === 'session.list')).to.have.length(1);
    const second = await openCustomerSocket(server);
    second.send({ type: 'code.submit', id: '2', code: session.code, client: 'browser' });
    expect(await second.next('error')).to.include({ code: 'CODE_USED', ref: '2' });
  });

  it('activating needs a queued session with a connected customer', async () => {
    const { technician, sessionId } = await activeSession(server);
    technician.send({ type: 'session.activate', id: 'again', sessionId });
    expect(await technician.next('error')).to.include({ code: 'SESSION_BAD_STATE', ref: 'again' });
  });

  it('active -> suspended when the customer drops, -> active when it resumes with its token', async () => {
    const { technician, customer, sessionId, token } = await activeSession(server);
    customer.drop();
    expect(await technician.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'suspended', reason: 'customer_lost' });
    fake.tick(29_000);
    const back = await openCustomerSocket(server);
    back.send({ type: 'customer.resume', id: 'r', token, client: 'agent' });
    expect(await back.next('code.accepted')).to.include({ ref: 'r', sessionId, state: 'active' });
    expect(await back.next('session.activated')).to.include({ sessionId, polite: true });
    expect(await technician.next('session.state')).to.include({ state: 'active', reason: 'reconnected' });
    fake.tick(10_000); // the old grace timer must not fire any more
    technician.send({ type: 'signal', sessionId, data: offer });
    expect((await back.next('signal')).data).to.deep.equal(offer);
  });

  it('suspended -> closed (customer_lost) when the grace period runs out', async () => {
    const { technician, customer, sessionId, token } = await activeSession(server);
    customer.drop();
    await technician.next('session.state');
    fake.tick(30_000);
    expect(await technician.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'closed', reason: 'customer_lost' });
    const late = await openCustomerSocket(server);
    late.send({ type: 'customer.resume', id: 'r', token, client: 'agent' });
    expect(await late.next('error')).to.include({ code: 'TOKEN_INVALID' });
  });

  it('active -> suspended when the technician drops; reconnecting with the cookie resumes it and lists the sessions', async () => {
    const { technician, customer, sessionId, cookie } = await activeSession(server);
    technician.drop();
    expect(await customer.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'suspended', reason: 'technician_lost' });
    customer.send({ type: 'signal', sessionId, data: answer });
    expect(await customer.next('error')).to.include({ code: 'PEER_NOT_CONNECTED' });
    const again = await openTechnicianSocket(server, cookie);
    await again.next('welcome');
    const list = await again.next('session.list');
    expect(list.sessions.map((s) => [s.sessionId, s.state])).to.deep.equal([[sessionId, 'active']]);
    expect(await customer.next('session.state')).to.include({ state: 'active', reason: 'reconnected' });
    customer.send({ type: 'signal', sessionId, data: answer });
    expect((await again.next('signal')).data).to.deep.equal(answer);
  });

  it('suspended -> closed (technician_lost) when the technician does not come back', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    technician.drop();
    await customer.next('session.state');
    fake.tick(30_000);
    expect(await customer.next('session.state')).to.deep.equal({ type: 'session.state', sessionId, state: 'closed', reason: 'technician_lost' });
    expect((await customer.closed).code).to.equal(CLOSE_CODES.SESSION_ENDED);
  });

  it('a pending session survives its technician dropping', async () => {
    await createTechnician(server, { email: 'd@example.test', password: 'password-1234', name: 'D' });
    const cookie = await loginCookie(server, 'd@example.test', 'password-1234');
    const tech = await openTechnicianSocket(server, cookie);
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    tech.drop();
    await tech.closed;
    fake.tick(60_000);
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'code.submit', code: session.code, client: 'agent' });
    expect(await customer.next('code.accepted')).to.include({ state: 'queued' });
    const again = await openTechnicianSocket(server, cookie);
    expect((await again.next('session.list')).sessions.map((s) => s.state)).to.deep.equal(['queued']);
  });

  it('queued -> closed (customer_lost) when a queued customer drops and does not return', async () => {
    await createTechnician(server, { email: 'q@example.test', password: 'password-1234', name: 'Q' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'q@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'code.submit', code: session.code, client: 'browser' });
    await customer.next('code.accepted');
    await tech.next('session.state');
    customer.drop();
    await customer.closed;
    // Wait until the server has noticed the drop (bounded).
    for (let i = 0; i < 200 && server.registry.get(session.sessionId)?.customerConn; i++) await new Promise((r) => setTimeout(r, 5));
    tech.send({ type: 'session.activate', id: 'a', sessionId: session.sessionId });
    expect(await tech.next('error')).to.include({ code: 'PEER_NOT_CONNECTED' });
    fake.tick(30_000);
    expect(await tech.next('session.state')).to.include({ sessionId: session.sessionId, state: 'closed', reason: 'customer_lost' });
  });

  it('POST /api/code then customer.resume over the socket', async () => {
    await createTechnician(server, { email: 'h@example.test', password: 'password-1234', name: 'Hanna' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'h@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const res = await fetch(`${server.url}/api/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: session.code }) });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { sessionId: string; token: string; technicianName: string; state: string };
    expect(body).to.include({ sessionId: session.sessionId, technicianName: 'Hanna', state: 'queued' });
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'customer.resume', id: 'r', token: body.token, client: 'browser' });
    expect(await customer.next('code.accepted')).to.include({ state: 'queued' });
    fake.tick(31_000); // the grace period started by the HTTP entry was cancelled by the resume
    tech.send({ type: 'session.activate', id: 'a', sessionId: session.sessionId });
    expect(await customer.next('session.activated')).to.include({ sessionId: session.sessionId });
    // The lead's activation is the reply to its request (it carries the ref; no ack beside it).
    expect(await tech.next('session.activated')).to.include({ ref: 'a', sessionId: session.sessionId });
  });

  it('answers ice.refresh with fresh credentials for the asking party only', async () => {
    const { customer, technician, sessionId } = await activeSession(server);
    customer.send({ type: 'ice.refresh', id: 'i', sessionId });
    const reply = await customer.next('ice.config');
    expect(reply).to.include({ ref: 'i', sessionId });
    expect(reply.ice.iceServers.find((s) => s.username)?.username).to.match(/-customer$/);
    technician.send({ type: 'ice.refresh', id: 'j', sessionId });
    expect((await technician.next('ice.config')).ice.iceServers.find((s) => s.username)?.username).to.match(/-technician$/);
  });

  it('forceRelay sessions get iceTransportPolicy relay', async () => {
    const { customerActivated, techActivated } = await activeSession(server, { forceRelay: true });
    expect(customerActivated.ice.iceTransportPolicy).to.equal('relay');
    expect(techActivated.ice.iceTransportPolicy).to.equal('relay');
  });

  it('a socket that stops answering pings is dropped, and the session is suspended', async () => {
    const local = await startTestServer({ HEARTBEAT_MS: '1000' }, { clock, plugins: [] });
    try {
      await createTechnician(local, { email: 'hb@example.test', password: 'password-1234', name: 'HB' });
      const tech = await openTechnicianSocket(local, await loginCookie(local, 'hb@example.test', 'password-1234'));
      tech.send({ type: 'session.create', id: 'c' });
      const { session } = await tech.next('session.created');
      const customer = await openCustomerSocket(local, { autoPong: false });
      customer.send({ type: 'code.submit', code: session.code, client: 'agent' });
      await customer.next('code.accepted');
      tech.send({ type: 'session.activate', id: 'a', sessionId: session.sessionId });
      await customer.next('session.activated');
      expect(await tech.next('session.state')).to.include({ state: 'queued' });
      // The technician answers pings (ws does automatically), the customer does not.
      for (let beat = 0; beat < 3; beat++) {
        fake.tick(1000);
        await new Promise((r) => setTimeout(r, 20));
      }
      await customer.closed;
      expect(await tech.next('session.state')).to.include({ state: 'suspended', reason: 'customer_lost' });
    } finally {
      await local.close();
    }
  });

  it('server shutdown closes sessions with server_shutdown and tells both sides', async () => {
    const { technician, customer, sessionId } = await activeSession(server);
    await server.close();
    expect(await customer.next('session.state')).to.include({ sessionId, state: 'closed', reason: 'server_shutdown' });
    expect(await technician.next('session.state')).to.include({ sessionId, state: 'closed', reason: 'server_shutdown' });
    expect((await technician.closed).code).to.equal(CLOSE_CODES.SERVER_SHUTDOWN);
  });
});
