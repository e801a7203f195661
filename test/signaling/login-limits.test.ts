import { verify } from '@node-rs/argon2';
import { expect } from 'chai';
import { createTechnician, fakeClock, requestJson, startTestServer, type JsonAnswer, type RunningServer } from '../../testkit/server.ts';
import { until } from '../../testkit/wait.ts';

const PASSWORD = 'password-1234';

describe('signaling: login limits under concurrency and from many addresses', () => {
  let server: RunningServer;
  /** Every password the server actually checked, in order. */
  let checked: string[];
  const counting = { verifyPassword: (hash: string, password: string) => (checked.push(password), verify(hash, password)) };
  const login = (email: string, password: string, localAddress?: string): Promise<JsonAnswer> =>
    requestJson(server, 'POST', '/api/login', { email, password }, localAddress ? { localAddress } : {});

  beforeEach(() => {
    checked = [];
  });
  afterEach(async () => {
    await server.close();
  });

  it('60 parallel wrong passwords for one account get at most LOGIN_LOCKOUT_AFTER checks, and the right one sent among them does not get in', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { plugins: [], ...counting });
    const limit = server.config.loginLockoutAfter;
    expect(limit).to.equal(5);
    await createTechnician(server, { email: 'ann@example.test', password: PASSWORD, name: 'Ann' });
    const burst = Array.from({ length: 60 }, (_, i) => login('ann@example.test', `wrong-password-${i}`));
    // The right password goes while the burst is being checked.
    await until(() => checked.length >= 1, 'the first check');
    const right = await login('ann@example.test', PASSWORD);
    const answers = await Promise.all(burst);
    expect(checked.length, `${checked.length} passwords checked`).to.be.within(1, limit);
    expect(checked).not.to.include(PASSWORD);
    expect(right).to.include({ status: 429, code: 'LOGIN_LOCKED' });
    const codes = answers.map((a) => a.code);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS').length).to.equal(checked.length);
    expect(codes.filter((c) => c !== 'INVALID_CREDENTIALS').every((c) => c === 'LOGIN_LOCKED')).to.equal(true);
    // Locked now: the right password is refused without being checked.
    const before = checked.length;
    expect((await login('ann@example.test', PASSWORD)).code).to.equal('LOGIN_LOCKED');
    expect(checked.length).to.equal(before);
  });

  it('60 parallel wrong passwords for 60 accounts from one address get at most LOGIN_IP_LOCKOUT_AFTER checks', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { plugins: [], ...counting });
    const limit = server.config.loginIpLockoutAfter;
    expect(limit).to.equal(20);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`user${i}@example.test`, 'wrong-password')));
    expect(checked.length, `${checked.length} passwords checked`).to.be.within(1, limit);
    expect(answers.filter((a) => a.code === 'INVALID_CREDENTIALS')).to.have.length(checked.length);
    expect(answers.filter((a) => a.code === 'LOGIN_LOCKED')).to.have.length(60 - checked.length);
  });

  it('an attacker guessing from other addresses cannot lock the technician out of their usual address', async () => {
    const { clock, fake } = fakeClock();
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { plugins: [], clock, ...counting });
    await createTechnician(server, { email: 'ann@example.test', password: PASSWORD, name: 'Ann' });
    const usual = '127.0.0.2';
    expect((await login('ann@example.test', PASSWORD, usual)).status).to.equal(200);
    // Ten other addresses each guess every 15 s, for ten minutes of the server's time.
    const attackers = Array.from({ length: 10 }, (_, i) => `127.0.0.${30 + i}`);
    const seen = new Map<string, number>();
    checked = [];
    for (let second = 0; second < 600; second += 15) {
      for (const attacker of attackers) {
        const answer = await login('ann@example.test', `guess-${second}-${attacker}`, attacker);
        seen.set(answer.code ?? String(answer.status), (seen.get(answer.code ?? String(answer.status)) ?? 0) + 1);
      }
      fake.tick(15_000);
    }
    // Five per attacker address locked that pair; the account-wide slowdown spaced the rest.
    expect(seen.get('LOGIN_LOCKED')).to.be.greaterThan(0);
    expect(seen.get('LOGIN_SLOW_DOWN')).to.be.greaterThan(0);
    // 5 before the slowdown, then one per 1, 2, 4, 8, 16, 32 s and 60 s after that: 18 at this 15 s pace.
    expect(checked.length, `${checked.length} guesses checked in 10 min from 10 addresses`).to.be.at.most(18);
    // The technician, from the usual address, gets in at once.
    const mine = await login('ann@example.test', PASSWORD, usual);
    expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
    // An attacker address that used up its tries is locked for this account, even with the right password.
    expect((await login('ann@example.test', PASSWORD, attackers[0])).code).to.equal('LOGIN_LOCKED');
    // A new address is slowed, never locked: after the wait it gets in.
    const fresh = await login('ann@example.test', PASSWORD, '127.0.0.99');
    expect(fresh.code).to.equal('LOGIN_SLOW_DOWN');
    const wait = Number(/wait (\d+) s/.exec(String((fresh.body?.error as { message?: string } | undefined)?.message))?.[1]);
    expect(wait).to.be.within(1, server.config.loginSlowdownMaxSeconds);
    fake.tick(wait * 1000);
    expect((await login('ann@example.test', PASSWORD, '127.0.0.99')).status).to.equal(200);
  });
});
