import { expect } from 'chai';
import { CLOSE_CODES } from '../../protocol/index.ts';
import { createTechnician, fakeClock, loginCookie, openTechnicianSocket, sqliteOf, startTestServer, type RunningServer } from '../../testkit/server.ts';

const login = (server: RunningServer, email: string, password: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email, password }) });
const codeOf = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code;

describe('signaling: accounts, login and the technician socket', () => {
  let server: RunningServer;
  beforeEach(async () => {
    server = await startTestServer({ LOGIN_LOCKOUT_AFTER: '3', LOGIN_IP_LOCKOUT_AFTER: '5' }, { plugins: [] });
    await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
  });
  afterEach(async () => {
    await server.close();
  });

  it('login sets an HttpOnly, SameSite=Strict rr_session cookie; /api/me and logout work', async () => {
    const res = await login(server, 'ANN@example.test', 'password-1234');
    expect(res.status).to.equal(200);
    const cookie = res.headers.getSetCookie()[0] ?? '';
    expect(cookie).to.match(/^rr_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).to.include('HttpOnly').and.include('SameSite=Strict').and.include('Path=/');
    const session = cookie.split(';')[0] ?? '';
    const me = await fetch(`${server.url}/api/me`, { headers: { cookie: session } });
    expect(await me.json()).to.include({ email: 'ann@example.test', name: 'Ann', isAdmin: false });
    await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { cookie: session } });
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie: session } })).status).to.equal(401);
  });

  it('a wrong password is INVALID_CREDENTIALS, the same as an unknown email', async () => {
    expect(await codeOf(await login(server, 'ann@example.test', 'wrong-password'))).to.equal('INVALID_CREDENTIALS');
    expect(await codeOf(await login(server, 'nobody@example.test', 'wrong-password'))).to.equal('INVALID_CREDENTIALS');
  });

  it('a disabled account cannot log in, and its existing login stops working', async () => {
    const cookie = await loginCookie(server, 'ann@example.test', 'password-1234');
    await server.accounts.setDisabled('ann@example.test', true);
    expect(await codeOf(await login(server, 'ann@example.test', 'password-1234'))).to.equal('ACCOUNT_DISABLED');
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie } })).status).to.equal(401);
  });

  it('an open console of an account disabled in another process closes within one heartbeat (4001)', async () => {
    const { clock, fake } = fakeClock();
    const swept = await startTestServer({ DATABASE_PATH: ':memory:' }, { plugins: [], clock });
    try {
      await createTechnician(swept, { email: 'bob@example.test', password: 'password-1234', name: 'Bob' });
      const technician = await openTechnicianSocket(swept, await loginCookie(swept, 'bob@example.test', 'password-1234'));
      await technician.next('welcome');
      // As the admin CLI does: straight to the database, not through this server.
      sqliteOf(swept).prepare('UPDATE accounts SET disabled = 1 WHERE email = ?').run('bob@example.test');
      fake.tick(swept.config.heartbeatMs);
      expect((await technician.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    } finally {
      await swept.close();
    }
  });

  it('locks an account after repeated failures, even with the right password', async () => {
    for (let i = 0; i < 3; i++) await login(server, 'ann@example.test', `wrong-${i}`);
    const res = await login(server, 'ann@example.test', 'password-1234');
    expect(res.status).to.equal(429);
    expect(await codeOf(res)).to.equal('LOGIN_LOCKED');
  });

  it('locks an address that tries many accounts', async () => {
    for (let i = 0; i < 5; i++) await login(server, `user${i}@example.test`, 'wrong-password');
    expect(await codeOf(await login(server, 'ann@example.test', 'password-1234'))).to.equal('LOGIN_LOCKED');
  });

  it('refuses a login posted from a foreign Origin', async () => {
    const res = await login(server, 'ann@example.test', 'password-1234', { origin: 'https://evil.example' });
    expect(res.status).to.equal(403);
    expect(await codeOf(res)).to.equal('ORIGIN_NOT_ALLOWED');
  });

  it('the technician socket needs the cookie (4001) and an allowed Origin (4003)', async () => {
    const cookie = await loginCookie(server, 'ann@example.test', 'password-1234');
    const noCookie = await openTechnicianSocket(server, '');
    expect(await noCookie.next('error')).to.include({ code: 'UNAUTHENTICATED' });
    expect((await noCookie.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    const forged = await openTechnicianSocket(server, 'rr_session=forged-token-value');
    expect((await forged.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    const evil = await openTechnicianSocket(server, cookie, { origin: 'https://evil.example' });
    expect(await evil.next('error')).to.include({ code: 'ORIGIN_NOT_ALLOWED' });
    expect((await evil.closed).code).to.equal(CLOSE_CODES.ORIGIN_NOT_ALLOWED);
    const noOrigin = await openTechnicianSocket(server, cookie, { origin: null });
    expect((await noOrigin.closed).code).to.equal(CLOSE_CODES.ORIGIN_NOT_ALLOWED);
    const good = await openTechnicianSocket(server, cookie);
    expect(await good.next('welcome')).to.deep.include({ role: 'technician', technician: { id: (await (await fetch(`${server.url}/api/me`, { headers: { cookie } })).json() as { id: string }).id, name: 'Ann', email: 'ann@example.test' } });
  });

  it('a second console of the same technician replaces the first (4011)', async () => {
    const cookie = await loginCookie(server, 'ann@example.test', 'password-1234');
    const first = await openTechnicianSocket(server, cookie);
    await first.next('welcome');
    const second = await openTechnicianSocket(server, cookie);
    await second.next('welcome');
    expect((await first.closed).code).to.equal(CLOSE_CODES.REPLACED);
  });

  it('seats limit how many technicians have a console open at once', async () => {
    await createTechnician(server, { email: 'bob@example.test', password: 'password-1234', name: 'Bob' });
    await server.accounts.setSeats(1);
    const ann = await openTechnicianSocket(server, await loginCookie(server, 'ann@example.test', 'password-1234'));
    await ann.next('welcome');
    const bob = await openTechnicianSocket(server, await loginCookie(server, 'bob@example.test', 'password-1234'));
    expect(await bob.next('error')).to.include({ code: 'NO_SEAT_FREE' });
    await bob.closed;
    ann.close();
    await ann.closed;
    for (let i = 0; i < 200 && server.registry.isTechnicianConnected((await server.accounts.findByEmail('ann@example.test'))?.id ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const bobAgain = await openTechnicianSocket(server, await loginCookie(server, 'bob@example.test', 'password-1234'));
    await bobAgain.next('welcome');
  });

  it('rejects weak passwords and duplicate emails', async () => {
    let error: unknown;
    try {
      await createTechnician(server, { email: 'weak@example.test', password: 'short', name: 'W' });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'PASSWORD_TOO_WEAK');
    error = undefined;
    try {
      await createTechnician(server, { email: 'Ann@Example.test', password: 'password-1234', name: 'Ann 2' });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'ACCOUNT_EXISTS');
  });
});
