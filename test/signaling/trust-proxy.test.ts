import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import type { Logger } from '../../signaling/logger.ts';
import { addressKey, forwardedFor } from '../../signaling/client-address.ts';
import { createTechnician, loginCookie, openTechnicianSocket, requestJson, startTestServer, type RunningServer } from '../../testkit/server.ts';

/** A logger whose lines the test can read. */
function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('signaling/client-address', () => {
  it('takes the entry the trusted proxies appended: N hops from the right, IPs only', () => {
    expect(forwardedFor('203.0.113.9, 198.51.100.7', 1)).to.equal('198.51.100.7');
    expect(forwardedFor('203.0.113.9, 198.51.100.7, 10.0.0.2', 2)).to.equal('198.51.100.7');
    expect(forwardedFor('198.51.100.7', 3)).to.equal('198.51.100.7');
    expect(forwardedFor('2001:DB8::1', 1)).to.equal('2001:db8::1');
    expect(forwardedFor('::ffff:192.0.2.1', 1)).to.equal('192.0.2.1');
    expect(forwardedFor(undefined, 1)).to.equal(null);
    expect(forwardedFor('198.51.100.7', 0)).to.equal(null);
    expect(forwardedFor('unknown, 198.51.100.7', 1)).to.deep.equal({ invalid: 'unknown, 198.51.100.7' });
    expect(forwardedFor('198.51.100.7:4711', 1)).to.have.property('invalid');
    expect(forwardedFor('', 1)).to.have.property('invalid');
  });

  it('counts IPv6 by /64', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002::9')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('192.0.2.1')).to.equal('192.0.2.1');
  });
});

describe('signaling: client addresses behind TRUST_PROXY', () => {
  let server: RunningServer;
  afterEach(async () => {
    await server.close();
  });

  it('with TRUST_PROXY=1 a client cannot pick its own address with a forged X-Forwarded-For entry', async () => {
    server = await startTestServer({ TRUST_PROXY: '1', HEARTBEAT_MS: '600000' }, { plugins: [] });
    await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
    // The client sends a new forged entry each time; the proxy (this test) appends the client's real address.
    const viaProxy = (forged: string) => ({ headers: { 'x-forwarded-for': `${forged}, 198.51.100.7` } });
    const answers = [];
    for (let i = 0; i < 22; i++) {
      answers.push((await requestJson(server, 'POST', '/api/login', { email: `user${i}@example.test`, password: 'wrong-password' }, viaProxy(`203.0.113.${i}`))).code);
    }
    expect(answers.slice(0, 20).every((code) => code === 'INVALID_CREDENTIALS')).to.equal(true);
    expect(answers.slice(20)).to.deep.equal(['LOGIN_LOCKED', 'LOGIN_LOCKED']);
    // Another client behind the same proxy is not affected.
    const other = await requestJson(server, 'POST', '/api/login', { email: 'ann@example.test', password: 'password-1234' }, { headers: { 'x-forwarded-for': '198.51.100.8' } });
    expect(other.status).to.equal(200);

    // The session list and the audit log show the address the proxy saw.
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'ann@example.test', 'password-1234'));
    await tech.next('session.list'); // the initial, empty queue
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const entered = await requestJson(server, 'POST', '/api/code', { code: session.code, client: 'browser' }, viaProxy('10.9.9.9'));
    expect(entered.status).to.equal(200);
    const queued = await tech.next('session.state');
    expect(queued.session?.customer?.address).to.equal('198.51.100.7');
    tech.send({ type: 'session.list', id: 'l' });
    const list = await tech.next('session.list');
    expect(list.sessions.find((s) => s.sessionId === session.sessionId)?.customer?.address).to.equal('198.51.100.7');
    const audit = (await server.audit.events(session.sessionId)).find((e) => e.event === 'code.entered');
    expect(audit?.detail).to.include('address=198.51.100.7').and.not.include('10.9.9.9');
  });

  it('with TRUST_PROXY=2 takes the second entry from the right', async () => {
    server = await startTestServer({ TRUST_PROXY: '2', HEARTBEAT_MS: '600000' }, { plugins: [] });
    for (let i = 0; i < 20; i++) {
      await requestJson(server, 'POST', '/api/login', { email: `x${i}@example.test`, password: 'wrong-password' }, { headers: { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.7, 10.0.0.${i}` } });
    }
    const locked = await requestJson(server, 'POST', '/api/login', { email: 'y@example.test', password: 'wrong-password' }, { headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.99' } });
    expect(locked.code).to.equal('LOGIN_LOCKED');
  });

  it('ignores an X-Forwarded-For that is not a list of IPs, and logs that once', async () => {
    const { logger, lines } = capturedLogger();
    server = await startTestServer({ TRUST_PROXY: '1', HEARTBEAT_MS: '600000' }, { plugins: [], logger });
    await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'ann@example.test', 'password-1234'));
    await tech.next('session.list'); // the initial, empty queue
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    await requestJson(server, 'POST', '/api/code', { code: '000000', client: 'browser' }, { headers: { 'x-forwarded-for': 'evil; rm -rf' } });
    await requestJson(server, 'POST', '/api/code', { code: session.code, client: 'browser' }, { headers: { 'x-forwarded-for': '<script>' } });
    expect((await tech.next('session.state')).session?.customer?.address).to.equal('127.0.0.1');
    const warnings = lines().filter((line) => String(line.msg).includes('X-Forwarded-For'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ header: 'evil; rm -rf' });
  });
});
