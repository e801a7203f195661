import { expect } from 'chai';
import { PinCodeBook, randomPinCode } from '../../signaling/pin-codes.ts';
import { RescueError } from '../../protocol/index.ts';
import { createTechnician, fakeClock, loginCookie, openCustomerSocket, openTechnicianSocket, startTestServer } from '../../testkit/server.ts';

describe('signaling/pin-codes', () => {
  it('generates 6 decimal digits, leading zeros kept, spread over the space', () => {
    const seen = new Set<string>();
    const firstDigits = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = randomPinCode();
      expect(code).to.match(/^\d{6}$/);
      seen.add(code);
      firstDigits.add(code[0] ?? '');
    }
    expect(seen.size).to.be.greaterThan(1950); // 2000 draws from 10^6: collisions are rare
    expect(firstDigits.size).to.equal(10);
  });

  it('issues codes unique among live codes even when the generator repeats', () => {
    const draws = ['111111', '111111', '111111', '222222', '111111', '333333'];
    const book = new PinCodeBook(60_000, () => 0, () => draws.shift() ?? '999999');
    expect(book.issue('s1')).to.equal('111111');
    expect(book.issue('s2')).to.equal('222222');
    expect(book.issue('s3')).to.equal('333333');
    expect(book.liveCount).to.equal(3);
  });

  it('adopt takes back a restored code once: it is live for its session, a second claim is refused, and issue never hands it out', () => {
    const draws = ['424242', '424242', '515151'];
    const book = new PinCodeBook(60_000, () => 0, () => draws.shift() ?? '999999');
    expect(book.adopt('424242', 'restored')).to.equal(true);
    expect(book.adopt('424242', 'other')).to.equal(false);
    expect(book.lookup('424242')).to.deep.equal({ sessionId: 'restored' });
    expect(book.issue('new')).to.equal('515151');
  });

  it('a code buried as used (a restored session\'s) says CODE_USED for one TTL, is not issued again meanwhile, and never hides a live code', () => {
    let now = 0;
    const draws = ['313131', '313131', '626262'];
    const book = new PinCodeBook(60_000, () => now, () => draws.shift() ?? '999999');
    book.bury('313131', 'used');
    expect(book.lookup('313131')).to.deep.equal({ error: 'CODE_USED' });
    expect(book.issue('s1'), 'the buried code is skipped').to.equal('626262');
    book.bury('626262', 'used');
    expect(book.lookup('626262'), 'a live code stays live').to.deep.equal({ sessionId: 's1' });
    now += 60_001;
    expect(book.lookup('313131')).to.deep.equal({ error: 'CODE_INVALID' });
  });

  it('a used code is single use and says so; a never-issued code is invalid', () => {
    let now = 0;
    const book = new PinCodeBook(60_000, () => now);
    const code = book.issue('s1');
    expect(book.lookup(code)).to.deep.equal({ sessionId: 's1' });
    book.retire(code, 'used');
    expect(book.lookup(code)).to.deep.equal({ error: 'CODE_USED' });
    now += 60_001;
    expect(book.lookup(code)).to.deep.equal({ error: 'CODE_INVALID' });
    const other = code === '000000' ? '000001' : '000000';
    expect(book.lookup(other)).to.deep.equal({ error: 'CODE_INVALID' });
  });

  it('gives up with INTERNAL rather than loop forever when no code is free', () => {
    const book = new PinCodeBook(60_000, () => 0, () => '123456');
    book.issue('s1');
    expect(() => book.issue('s2')).to.throw(RescueError).with.property('code', 'INTERNAL');
  });

  describe('expiry on a real server (fake clock)', () => {
    it('a pending code expires after CODE_TTL_SECONDS: the technician is told and the code answers CODE_EXPIRED', async () => {
      const { clock, fake } = fakeClock();
      const server = await startTestServer({ CODE_TTL_SECONDS: '120', HEARTBEAT_MS: '600000' }, { clock, plugins: [] });
      try {
        await createTechnician(server, { email: 'exp@example.test', password: 'password-1234', name: 'Exp' });
        const tech = await openTechnicianSocket(server, await loginCookie(server, 'exp@example.test', 'password-1234'));
        tech.send({ type: 'session.create', id: 'c' });
        const { session } = await tech.next('session.created');
        expect(session.state).to.equal('pending');
        expect(session.codeExpiresAt).to.equal(fake.now + 120_000);
        fake.tick(119_999);
        expect(server.registry.get(session.sessionId)?.lifecycle.state).to.equal('pending');
        fake.tick(1);
        const state = await tech.next('session.state');
        expect(state).to.deep.equal({ type: 'session.state', sessionId: session.sessionId, state: 'closed', reason: 'code_expired' });
        const customer = await openCustomerSocket(server);
        customer.send({ type: 'code.submit', id: 'x', code: session.code, client: 'browser' });
        expect(await customer.next('error')).to.include({ code: 'CODE_EXPIRED', ref: 'x' });
      } finally {
        await server.close();
      }
    });
  });
});
