import { expect } from 'chai';
import { CLOSE_CODES, LIMITS } from '../../protocol/index.ts';
import { MAX_CONSECUTIVE_ERRORS, MESSAGE_BURST, MESSAGES_PER_SECOND } from '../../signaling/signaling-socket.ts';
import { activeSession, fakeClock, openCustomerSocket, openTechnicianSocket, startTestServer, type RunningServer } from '../../testkit/server.ts';

describe('signaling: malformed, oversized and unknown messages', () => {
  let server: RunningServer;
  beforeEach(async () => {
    server = await startTestServer({}, { plugins: [] });
  });
  afterEach(async () => {
    await server.close();
  });

  const cases: [string, string | Buffer, string][] = [
    ['not JSON', '{"type":', 'BAD_JSON'],
    ['an unknown type', JSON.stringify({ type: 'launch.missiles', id: 'u' }), 'UNKNOWN_MESSAGE_TYPE'],
    ['a schema mismatch', JSON.stringify({ type: 'signal', sessionId: 'short', data: {} }), 'INVALID_MESSAGE'],
    ['an unexpected field', JSON.stringify({ type: 'ice.refresh', id: 'x', sessionId: 'aaaaaaaaaaaa', admin: true }), 'INVALID_MESSAGE'],
    ['an oversized message', JSON.stringify({ type: 'signal', pad: 'x'.repeat(LIMITS.wsMessageBytes + 10) }), 'MESSAGE_TOO_LARGE'],
    ['a 100,000-character message', JSON.stringify({ type: 'session.end', id: 'long', sessionId: 'aaaaaaaaaaaa', reason: 'x'.repeat(100_000) }), 'MESSAGE_TOO_LARGE'],
    ['a binary frame', Buffer.from([1, 2, 3]), 'INVALID_MESSAGE'],
    ['a JSON array', '[1,2,3]', 'UNKNOWN_MESSAGE_TYPE'],
  ];

  for (const [what, raw, code] of cases) {
    it(`answers ${what} with ${code}; the socket and the server stay up`, async () => {
      const { technician, customer, sessionId } = await activeSession(server);
      for (const socket of [technician, customer]) {
        socket.sendRaw(raw);
        expect((await socket.next('error')).code).to.equal(code);
      }
      technician.send({ type: 'signal', sessionId, data: { kind: 'candidate', candidate: null } });
      expect((await customer.next('signal')).sessionId).to.equal(sessionId);
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    });
  }

  it('echoes the request id as ref on errors', async () => {
    const { technician } = await activeSession(server);
    technician.send({ type: 'session.activate', id: 'req-7', sessionId: 'no-such-session-id' });
    expect(await technician.next('error')).to.include({ code: 'SESSION_NOT_FOUND', ref: 'req-7' });
  });

  it('a customer that sends anything before a code gets UNAUTHENTICATED', async () => {
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'ice.refresh', id: 'i', sessionId: 'aaaaaaaaaaaa' });
    expect(await customer.next('error')).to.include({ code: 'UNAUTHENTICATED', ref: 'i' });
  });

  it(`closes with 4008 after ${MAX_CONSECUTIVE_ERRORS} bad messages in a row`, async () => {
    const customer = await openCustomerSocket(server);
    for (let i = 0; i < MAX_CONSECUTIVE_ERRORS; i++) customer.sendRaw('nope');
    expect((await customer.closed).code).to.equal(CLOSE_CODES.TOO_MANY_ERRORS);
    expect(customer.received.filter((m) => m.type === 'error')).to.have.length(MAX_CONSECUTIVE_ERRORS);
    const fresh = await openCustomerSocket(server);
    await fresh.next('welcome');
  });

  it('HTTP: bad JSON, oversized bodies and unknown API routes get catalogue errors', async () => {
    const post = (body: string) => fetch(`${server.url}/api/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const bad = await post('{"code":');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal('BAD_JSON');
    const big = await post(JSON.stringify({ code: '123456', pad: 'x'.repeat(100_000) }));
    expect(big.status).to.equal(413);
    const wrongShape = await post(JSON.stringify({ code: 'abc' }));
    expect(((await wrongShape.json()) as { error: { code: string } }).error.code).to.equal('INVALID_MESSAGE');
    const unknown = await fetch(`${server.url}/api/nothing`);
    expect(unknown.status).to.equal(400);
  });

  describe('message flood', () => {
    let flooded: RunningServer;
    let clock: ReturnType<typeof fakeClock>;
    beforeEach(async () => {
      clock = fakeClock();
      flooded = await startTestServer({}, { plugins: [], clock: clock.clock });
    });
    afterEach(async () => {
      await flooded.close();
    });

    it(`answers ${MESSAGE_BURST} messages at once, then drops with one RATE_LIMITED, refills at ${MESSAGES_PER_SECOND}/s, and closes a socket that keeps flooding with 4008`, async () => {
      const { cookie } = await activeSession(flooded);
      const technician = await openTechnicianSocket(flooded, cookie);
      await technician.next('welcome');
      const lists = (): number => technician.received.filter((m) => m.type === 'session.list' && m.ref !== undefined).length;
      for (let i = 0; i < MESSAGE_BURST + 20; i++) technician.send({ type: 'session.list', id: `l${i}` });
      const limited = await technician.next('error');
      expect(limited.code).to.equal('RATE_LIMITED');
      technician.send({ type: 'session.list', id: 'probe' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lists()).to.equal(MESSAGE_BURST);
      expect(technician.received.filter((m) => m.type === 'error')).to.have.length(1);

      clock.fake.tick(1000);
      technician.send({ type: 'session.list', id: 'after-refill' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(technician.received.some((m) => m.type === 'session.list' && m.ref === 'after-refill')).to.equal(true);

      for (let i = 0; i < MESSAGES_PER_SECOND + MESSAGE_BURST; i++) technician.send({ type: 'session.list', id: `f${i}` });
      expect((await technician.closed).code).to.equal(CLOSE_CODES.TOO_MANY_ERRORS);
      const other = await openCustomerSocket(flooded);
      await other.next('welcome');
    });
  });
});
