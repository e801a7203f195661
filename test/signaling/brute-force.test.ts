import { expect } from 'chai';
import {
  createTechnician,
  fakeClock,
  loginCookie,
  openCustomerSocket,
  openTechnicianSocket,
  requestJson,
  startTestServer,
  type JsonAnswer,
  type RunningServer,
} from '../../testkit/server.ts';
import { sleep } from '../../testkit/wait.ts';

/** A code no session holds: the generator is pinned so the test knows which codes are live. */
const LIVE = '424242';
const WRONG = (i: number): string => String(100000 + i);

describe('signaling: brute-force protection of codes', () => {
  const { clock, fake } = fakeClock();
  let server: RunningServer;

  const submit = async (code: string): Promise<{ status: number; code?: string }> => {
    const res = await fetch(`${server.url}/api/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
  };

  async function livePendingCode(): Promise<string> {
    await createTechnician(server, { email: 't@example.test', password: 'password-1234', name: 'T' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 't@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    return (await tech.next('session.created')).session.code ?? '';
  }

  afterEach(async () => {
    await server.close();
  });

  it('slows an address down after a few wrong codes, then locks it out, then lets it try again', async () => {
    server = await startTestServer(
      { CODE_SLOWDOWN_AFTER: '3', CODE_LOCKOUT_AFTER: '6', CODE_LOCKOUT_SECONDS: '600', CODE_TTL_SECONDS: '3600', HEARTBEAT_MS: '600000' },
      { clock, plugins: [], generateCode: () => LIVE },
    );
    expect(await livePendingCode()).to.equal(LIVE);
    for (let i = 0; i < 3; i++) expect(await submit(WRONG(i))).to.deep.equal({ status: 404, code: 'CODE_INVALID' });
    // Slowed: even the right code is refused without being looked at.
    expect(await submit(LIVE)).to.deep.equal({ status: 429, code: 'CODE_SLOW_DOWN' });
    fake.tick(1000);
    expect(await submit(WRONG(3))).to.include({ code: 'CODE_INVALID' });
    expect(await submit(WRONG(4))).to.include({ code: 'CODE_SLOW_DOWN' }); // the delay doubled
    fake.tick(2000);
    expect(await submit(WRONG(4))).to.include({ code: 'CODE_INVALID' });
    fake.tick(4000);
    expect(await submit(WRONG(5))).to.include({ code: 'CODE_INVALID' }); // the 6th failure locks
    fake.tick(60_000);
    expect(await submit(LIVE)).to.deep.equal({ status: 429, code: 'CODE_LOCKED_OUT' });
    // The WebSocket path shares the same limits.
    const customer = await openCustomerSocket(server);
    customer.send({ type: 'code.submit', id: 'ws', code: LIVE, client: 'agent' });
    expect(await customer.next('error')).to.include({ code: 'CODE_LOCKED_OUT', ref: 'ws' });
    fake.tick(600_000);
    expect((await submit(LIVE)).status).to.equal(200);
  });

  it('a botnet guessing at the global cap cannot keep a customer with the right code out', async () => {
    server = await startTestServer({ CODE_TTL_SECONDS: '3600', HEARTBEAT_MS: '600000' }, { clock, plugins: [], generateCode: () => LIVE });
    expect(server.config.codeGlobalFailuresPerMinute).to.equal(200);
    await livePendingCode();
    // 100 other addresses (127.0.0.10-109), three wrong codes each: 300 in the last minute, over the cap of 200.
    const bots = Array.from({ length: 100 }, (_, i) => `127.0.0.${10 + i}`);
    const guess = (localAddress: string, i: number) => requestJson(server, 'POST', '/api/code', { code: WRONG(i), client: 'browser' }, { localAddress });
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(bots.map((bot, i) => guess(bot, round * 100 + i)));
      expect(answers.map((a) => a.code)).to.deep.equal(bots.map(() => 'CODE_INVALID'));
    }
    // The bots keep guessing while the customer, from an address of its own, enters the right code.
    const storm = Promise.all(bots.map((bot, i) => guess(bot, 300 + i)));
    const customer = await openCustomerSocket(server, { localAddress: '127.0.0.200' });
    customer.send({ type: 'code.submit', id: 'right', code: LIVE, client: 'agent' });
    expect(await customer.next('code.accepted')).to.include({ ref: 'right' });
    // The slowed bots were refused by their own slowdown, not checked.
    expect(new Set((await storm).map((a) => a.code))).to.deep.equal(new Set(['CODE_SLOW_DOWN']));
    // Past their own slowdown, the bots' tries are spaced to the cap (one per 300 ms), held back rather than refused.
    fake.tick(1000);
    expect((await guess(bots[0] ?? '', 400)).code).to.equal('CODE_INVALID');
    let held: JsonAnswer | null = null;
    const second = guess(bots[1] ?? '', 401).then((answer) => (held = answer));
    await sleep(300);
    expect(held, 'answered before its slot').to.equal(null);
    fake.tick(300);
    expect((await second).code).to.equal('CODE_INVALID');
  });

  it('a host cannot get fresh tries by rotating IPv6 addresses within its /64', async () => {
    server = await startTestServer({ TRUST_PROXY: '1', CODE_SLOWDOWN_AFTER: '3', HEARTBEAT_MS: '600000' }, { clock, plugins: [], generateCode: () => LIVE });
    const from = (host: number) => ({ headers: { 'x-forwarded-for': `2001:db8:77:1::${host.toString(16)}` } });
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await requestJson(server, 'POST', '/api/code', { code: WRONG(i), client: 'browser' }, from(i + 1))).code);
    expect(codes).to.deep.equal(['CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'CODE_SLOW_DOWN', 'CODE_SLOW_DOWN', 'CODE_SLOW_DOWN']);
    // The next /64 is someone else.
    const neighbour = await requestJson(server, 'POST', '/api/code', { code: WRONG(9), client: 'browser' }, { headers: { 'x-forwarded-for': '2001:db8:77:2::1' } });
    expect(neighbour.code).to.equal('CODE_INVALID');
  });

  it("a technician's own fresh codes do not wipe an address's wrong codes", async () => {
    let issued = 0;
    server = await startTestServer(
      { CODE_SLOWDOWN_AFTER: '3', CODE_LOCKOUT_AFTER: '10', CODE_LOCKOUT_SECONDS: '900', HEARTBEAT_MS: '600000' },
      { clock, plugins: [], generateCode: () => String(500_000 + issued++) },
    );
    await createTechnician(server, { email: 'own@example.test', password: 'password-1234', name: 'Own' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'own@example.test', 'password-1234'));
    const fresh = async (): Promise<string> => {
      tech.send({ type: 'session.create', id: `c${issued}` });
      return (await tech.next('session.created')).session.code ?? '';
    };
    // 20 wrong codes from one address in a burst, a right code of the attacker's own after every second one.
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push((await submit(WRONG(i))).code);
      if (i % 2 === 1) await submit(await fresh());
    }
    expect(answers.filter((code) => code === 'CODE_INVALID')).to.have.length(3);
    expect(answers.slice(3).every((code) => code === 'CODE_SLOW_DOWN')).to.equal(true);
    // Failures expire with time only.
    fake.tick(900_001);
    expect((await submit(await fresh())).status).to.equal(200);
  });
});
