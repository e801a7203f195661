import { expect } from 'chai';
import { createTechnician, fakeClock, loginCookie, openCustomerSocket, openTechnicianSocket, startTestServer, type RunningServer } from '../helpers/server.ts';

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

  it('a global cap on wrong codes per minute protects the code space against many addresses', async () => {
    server = await startTestServer(
      { CODE_SLOWDOWN_AFTER: '1000', CODE_LOCKOUT_AFTER: '1000', CODE_GLOBAL_FAILURES_PER_MINUTE: '5', HEARTBEAT_MS: '600000' },
      { clock, plugins: [], generateCode: () => LIVE },
    );
    await livePendingCode();
    // Different addresses are simulated by feeding the guard directly; the last tries come over HTTP.
    for (let i = 0; i < 4; i++) server.registry.guard.failed(`198.51.100.${i}`);
    expect(await submit(WRONG(1))).to.include({ code: 'CODE_INVALID' });
    expect(await submit(LIVE)).to.deep.equal({ status: 503, code: 'CODE_BUSY' });
    fake.tick(61_000);
    expect((await submit(LIVE)).status).to.equal(200);
  });
});
