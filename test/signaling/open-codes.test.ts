import { expect } from 'chai';
import { createTechnician, loginCookie, openCustomerSocket, openTechnicianSocket, startTestServer, type RunningServer } from '../../testkit/server.ts';

/** A console (hostile, or a script with a stolen cookie) floods the code space with pending sessions. */
describe('signaling: open codes per technician', () => {
  let server: RunningServer;
  afterEach(async () => {
    await server.close();
  });

  it('one console cannot hold more than CODES_PER_TECHNICIAN codes nobody has entered', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { plugins: [] });
    const cap = server.config.codesPerTechnician;
    expect(cap).to.equal(20);
    await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
    await createTechnician(server, { email: 'bob@example.test', password: 'password-1234', name: 'Bob' });
    const ann = await openTechnicianSocket(server, await loginCookie(server, 'ann@example.test', 'password-1234'));
    for (let i = 0; i < cap + 5; i++) ann.send({ type: 'session.create', id: `c${i}` });
    const created = await Promise.all(Array.from({ length: cap }, () => ann.next('session.created')));
    const refused = await Promise.all(Array.from({ length: 5 }, () => ann.next('error')));
    expect(refused.map((e) => [e.code, e.ref])).to.deep.equal([20, 21, 22, 23, 24].map((i) => ['TOO_MANY_OPEN_CODES', `c${i}`]));
    expect(refused[0]?.message).to.include(`at most ${cap}`);
    expect(server.registry.codes.liveCount).to.equal(cap);
    // Another technician is not affected.
    const bob = await openTechnicianSocket(server, await loginCookie(server, 'bob@example.test', 'password-1234'));
    bob.send({ type: 'session.create', id: 'b' });
    expect((await bob.next('session.created')).ref).to.equal('b');
    // A code that is entered is no longer open: one more may be made.
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'code.submit', id: 's', code: created[0]?.session.code, client: 'agent' });
    await customer.next('code.accepted');
    ann.send({ type: 'session.create', id: 'after-entry' });
    expect((await ann.next('session.created')).ref).to.equal('after-entry');
    // So may ending one.
    ann.send({ type: 'session.end', id: 'end', sessionId: created[1]?.session.sessionId });
    await ann.next('ack');
    ann.send({ type: 'session.create', id: 'after-end' });
    expect((await ann.next('session.created')).ref).to.equal('after-end');
  });
});
