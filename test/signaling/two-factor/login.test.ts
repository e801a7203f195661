import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CLOSE_CODES, RECOVERY_CODE_COUNT, TOTP_PARAMS } from '../../../protocol/index.ts';
import { call, enrolOverApi, login, totpAt } from '../../../testkit/two-factor.ts';
import { createTechnician, fakeClock, loginCookie, openTechnicianSocket, sqliteOf, startTestServer, type RunningServer } from '../../../testkit/server.ts';

const STEP_MS = TOTP_PARAMS.periodSeconds * 1000;
const EMAIL = 'ann@example.test';
const PASSWORD = 'password-1234';

describe('signaling: two-factor login (TOTP, RFC 6238)', () => {
  let server: RunningServer;
  let fake: ReturnType<typeof fakeClock>['fake'];
  let secret: string;
  let recoveryCodes: string[];

  beforeEach(async () => {
    const made = fakeClock(Date.UTC(2026, 5, 1, 12, 0, 10));
    fake = made.fake;
    server = await startTestServer({ LOGIN_LOCKOUT_AFTER: '4', LOGIN_IP_LOCKOUT_AFTER: '50', HEARTBEAT_MS: '600000' }, { plugins: [], clock: made.clock });
    await createTechnician(server, { email: EMAIL, password: PASSWORD, name: 'Ann' });
    ({ secret, recoveryCodes } = await enrolOverApi(server, await loginCookie(server, EMAIL, PASSWORD)));
    // The confirming code's step is used up; the tests start two steps later, so "one step ago" is unused.
    fake.tick(2 * STEP_MS);
  });
  afterEach(async () => {
    await server.close();
  });

  const codeAt = (offsetSteps = 0): string => totpAt(secret, server.clock.now() + offsetSteps * STEP_MS);

  it('the right password without a code answers 401 SECOND_FACTOR_REQUIRED and sets no cookie', async () => {
    const res = await login(server, { email: EMAIL, password: PASSWORD });
    expect(res).to.include({ status: 401, code: 'SECOND_FACTOR_REQUIRED' });
    expect(res.cookie).to.equal(undefined);
  });

  it('a wrong password is still INVALID_CREDENTIALS, with or without a code (the code is not looked at)', async () => {
    expect(await login(server, { email: EMAIL, password: 'wrong-password', totp: codeAt() })).to.include({ status: 401, code: 'INVALID_CREDENTIALS' });
  });

  it('the right code logs in; the same code again is refused as a replay', async () => {
    const code = codeAt();
    const first = await login(server, { email: EMAIL, password: PASSWORD, totp: code });
    expect(first.status).to.equal(200);
    expect(first.cookie).to.match(/^rr_session=/);
    expect(first.body).to.deep.include({ twoFactor: { enrolled: true, required: false, recoveryCodesLeft: RECOVERY_CODE_COUNT } });
    expect(await login(server, { email: EMAIL, password: PASSWORD, totp: code })).to.include({ status: 401, code: 'SECOND_FACTOR_INVALID' });
  });

  it('accepts one time step of clock skew either way, not two; a step before the last used one is refused', async () => {
    expect(await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(2) })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    expect(await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(-2) })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    expect((await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(-1) })).status).to.equal(200);
    expect((await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(1) })).status).to.equal(200);
    // Step +1 is now the last used one: the current step (earlier) no longer passes.
    expect(await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(0) })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    fake.tick(2 * STEP_MS);
    expect((await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt(0) })).status).to.equal(200);
  });

  it('accepts "123 456" as apps show it, and a code split by a dash', async () => {
    const code = codeAt();
    expect((await login(server, { email: EMAIL, password: PASSWORD, totp: `${code.slice(0, 3)} ${code.slice(3)}` })).status).to.equal(200);
    fake.tick(STEP_MS);
    const next = codeAt();
    expect((await login(server, { email: EMAIL, password: PASSWORD, totp: `${next.slice(0, 3)}-${next.slice(3)}` })).status).to.equal(200);
  });

  it('of two logins racing with one code, exactly one gets in', async () => {
    const code = codeAt();
    const results = await Promise.all([0, 1, 2, 3].map(() => login(server, { email: EMAIL, password: PASSWORD, totp: code })));
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 401, 401, 401]);
  });

  it('wrong codes count in the same lockout as wrong passwords; a missing code does not', async () => {
    for (let i = 0; i < 6; i++) expect(await login(server, { email: EMAIL, password: PASSWORD })).to.include({ code: 'SECOND_FACTOR_REQUIRED' });
    expect(await login(server, { email: EMAIL, password: 'wrong-password' })).to.include({ code: 'INVALID_CREDENTIALS' });
    for (let i = 0; i < 3; i++) expect(await login(server, { email: EMAIL, password: PASSWORD, totp: '000000' === codeAt() ? '000001' : '000000' })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    expect(await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt() })).to.include({ status: 429, code: 'LOGIN_LOCKED' });
  });

  it('a recovery code logs in once, in any case and grouping; the second use is refused', async () => {
    const code = recoveryCodes[3] ?? '';
    expect(code).to.match(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const typed = code.replace(/-/g, ' ').toUpperCase();
    const first = await login(server, { email: EMAIL, password: PASSWORD, recoveryCode: typed });
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.include({ twoFactor: { enrolled: true, required: false, recoveryCodesLeft: RECOVERY_CODE_COUNT - 1 } });
    expect(await login(server, { email: EMAIL, password: PASSWORD, recoveryCode: code })).to.include({ status: 401, code: 'SECOND_FACTOR_INVALID' });
    expect(await login(server, { email: EMAIL, password: PASSWORD, recoveryCode: 'aaaa-bbbb-cccc-dddd' })).to.include({ code: 'SECOND_FACTOR_INVALID' });
  });

  it('keeps recovery codes hashed and the TOTP seed sealed in the database', () => {
    const rows = sqliteOf(server).prepare('SELECT code_hash FROM recovery_codes').all() as { code_hash: string }[];
    expect(rows).to.have.length(RECOVERY_CODE_COUNT);
    const stored = rows.map((r) => r.code_hash).join(' ');
    for (const code of recoveryCodes) expect(stored).not.to.include(code.replace(/-/g, ''));
    const sealed = (sqliteOf(server).prepare('SELECT secret_sealed FROM two_factor').get() as { secret_sealed: string }).secret_sealed;
    expect(sealed).to.match(/^v1\./);
    expect(sealed).not.to.include(secret);
    expect(Buffer.from(sealed.slice(3), 'base64url').toString('latin1')).not.to.include(secret);
  });

  it('enrolment needs one valid code: a wrong one leaves it off; enrolling again while on is refused', async () => {
    await createTechnician(server, { email: 'bob@example.test', password: PASSWORD, name: 'Bob' });
    const cookie = await loginCookie(server, 'bob@example.test', PASSWORD);
    const started = await call(server, cookie, 'POST', '/api/2fa/enrol', {});
    expect(started.body.otpauthUri).to.match(/^otpauth:\/\/totp\/Relay%20Rescue:bob%40example\.test\?/);
    expect(started.body.otpauthUri).to.include(`secret=${started.body.secret as string}`);
    expect(Buffer.from((started.body.qrDataUrl as string).split(',')[1] ?? '', 'base64').toString()).to.match(/^<svg /);
    expect(await call(server, cookie, 'POST', '/api/2fa/confirm', { totp: '12345' })).to.include({ status: 400, code: 'INVALID_MESSAGE' });
    const wrong = totpAt(started.body.secret as string, server.clock.now() + 5 * STEP_MS);
    expect(await call(server, cookie, 'POST', '/api/2fa/confirm', { totp: wrong })).to.include({ status: 401, code: 'SECOND_FACTOR_INVALID' });
    expect((await login(server, { email: 'bob@example.test', password: PASSWORD })).status).to.equal(200);
    expect((await call(server, cookie, 'POST', '/api/2fa/confirm', { totp: totpAt(started.body.secret as string, server.clock.now()) })).status).to.equal(200);
    expect(await call(server, cookie, 'POST', '/api/2fa/enrol', {})).to.include({ status: 409, code: 'SECOND_FACTOR_ALREADY_ENROLLED' });
    expect(await login(server, { email: 'bob@example.test', password: PASSWORD })).to.include({ code: 'SECOND_FACTOR_REQUIRED' });
  });

  it('turning it off needs a current code; new recovery codes replace the old ones', async () => {
    const cookie = (await login(server, { email: EMAIL, password: PASSWORD, totp: codeAt() })).cookie ?? '';
    fake.tick(STEP_MS);
    const renewed = await call(server, cookie, 'POST', '/api/2fa/recovery-codes', { totp: codeAt() });
    expect(renewed.body.recoveryCodes).to.have.length(RECOVERY_CODE_COUNT);
    expect(await login(server, { email: EMAIL, password: PASSWORD, recoveryCode: recoveryCodes[0] })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    expect(await call(server, cookie, 'POST', '/api/2fa/disable', { totp: '000000' === codeAt() ? '111111' : '000000' })).to.include({ code: 'SECOND_FACTOR_INVALID' });
    expect((await call(server, cookie, 'POST', '/api/2fa/disable', { recoveryCode: renewed.body.recoveryCodes[0] })).body).to.deep.equal({ enrolled: false, required: false, recoveryCodesLeft: 0 });
    expect((await login(server, { email: EMAIL, password: PASSWORD })).status).to.equal(200);
  });

  it('require-2fa: an account without it logs in only to enrol; API and console refuse it until then', async () => {
    await server.ctx.settings.update({ require2fa: true });
    await createTechnician(server, { email: 'cid@example.test', password: PASSWORD, name: 'Cid' });
    const res = await login(server, { email: 'cid@example.test', password: PASSWORD });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ twoFactor: { enrolled: false, required: true, recoveryCodesLeft: 0 } });
    const cookie = res.cookie ?? '';
    expect((await call(server, cookie, 'GET', '/api/me')).status).to.equal(200);
    expect(await call(server, cookie, 'GET', '/api/sessions')).to.include({ status: 403, code: 'SECOND_FACTOR_ENROLMENT_REQUIRED' });
    const refused = await openTechnicianSocket(server, cookie);
    expect(await refused.next('error')).to.include({ code: 'SECOND_FACTOR_ENROLMENT_REQUIRED' });
    expect((await refused.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    await enrolOverApi(server, cookie);
    expect((await call(server, cookie, 'GET', '/api/sessions')).status).to.equal(200);
    const socket = await openTechnicianSocket(server, cookie);
    expect(await socket.next('welcome')).to.include({ role: 'technician' });
    socket.close();
    // Required: turning it off is refused.
    fake.tick(STEP_MS);
    expect(await call(server, cookie, 'POST', '/api/2fa/disable', { totp: codeAt() })).to.include({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('signaling: the TOTP key file', () => {
  it('is created 0600 in DATA_DIR at the first enrolment, and a sealed seed does not open without it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-2fa-'));
    const env = { DATA_DIR: dir, DATABASE_PATH: path.join(dir, 'rr.db') };
    let server = await startTestServer(env, { plugins: [] });
    try {
      const keyFile = path.join(dir, 'two-factor.key');
      expect(fs.existsSync(keyFile)).to.equal(false);
      await createTechnician(server, { email: EMAIL, password: PASSWORD, name: 'Ann' });
      const { secret } = await enrolOverApi(server, await loginCookie(server, EMAIL, PASSWORD));
      expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
      await server.close();
      // The same key after a restart: the code works.
      server = await startTestServer(env, { plugins: [] });
      await new Promise((r) => setTimeout(r, 10));
      const later = totpAt(secret, Date.now() + STEP_MS);
      expect((await login(server, { email: EMAIL, password: PASSWORD, totp: later })).status).to.equal(200);
      await server.close();
      // Without the key: an error for the login, never a pass.
      fs.rmSync(keyFile);
      server = await startTestServer(env, { plugins: [] });
      const res = await login(server, { email: EMAIL, password: PASSWORD, totp: totpAt(secret, Date.now() + 2 * STEP_MS) });
      expect(res.status).to.equal(500);
      expect(res.cookie).to.equal(undefined);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
