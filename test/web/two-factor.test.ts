import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import { RECOVERY_CODE_COUNT, TOTP_PARAMS } from '../../protocol/index.ts';
import { totpAt } from '../../testkit/two-factor.ts';
import {
  byRole,
  checkScreen,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  logInToConsole,
  newPage,
  startWebServer,
  texts,
  waitForFn,
  type TestServer,
} from '../../testkit/web-harness.ts';

const TECH = { email: 'tess@example.test', name: 'Tess Tech', password: 'correct horse battery staple' };
const STEP_MS = TOTP_PARAMS.periodSeconds * 1000;

/** Text of the first element with a data-testid, shadow roots included. */
const textOf = async (page: Page, id: string): Promise<string> => (await (await byTestId(page, id)).evaluate((el) => el.textContent ?? '')).trim();

async function typeInto(page: Page, label: string, text: string): Promise<void> {
  const input = await byRole(page, 'textbox', label);
  await input.click({ count: 3 });
  await input.type(text);
}

async function logOut(page: Page): Promise<void> {
  await clickRole(page, 'button', 'Log out');
  await byRole(page, 'textbox', 'Email');
}

describe('web: two-factor login in the console (Chromium)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let ctx: BrowserContext;
  let page: Page;
  let secret = '';
  let recovery: string[] = [];
  let usedCode = '';

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer({ LOGIN_LOCKOUT_AFTER: '20' });
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    ctx = await chromium.browser.createBrowserContext();
    page = await newPage(ctx);
  });
  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  it('enrols from the console: QR code and secret shown, one code computed from the secret confirms it, ten recovery codes shown once', async () => {
    await logInToConsole(page, srv.url, TECH.email, TECH.password);
    await byTestId(page, 'me');
    await clickRole(page, 'button', 'Two-factor login');
    await clickRole(page, 'button', 'Set up two-factor login');
    secret = (await textOf(page, 'totp-secret')).replace(/\s/g, '');
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    const qr = await byRole(page, 'image', 'QR code to scan with your authenticator app');
    await waitForFn(page, () => true);
    expect(await qr.evaluate((img) => (img as HTMLImageElement).naturalWidth)).to.be.greaterThan(100);
    await checkScreen(page, '2fa-enrol-scan');
    // A wrong code first: refused, still off.
    await typeInto(page, 'Enter the 6-digit code the app shows', totpAt(secret, Date.now() + 5 * STEP_MS));
    await clickRole(page, 'button', 'Verify and turn on');
    await waitForFn(page, () => true);
    expect(await textOf(page, 'two-factor-error')).to.equal('That code is not valid, or it was already used.');
    await typeInto(page, 'Enter the 6-digit code the app shows', totpAt(secret, Date.now()));
    await clickRole(page, 'button', 'Verify and turn on');
    await byTestId(page, 'recovery-codes');
    recovery = await texts(page, '[data-testid="recovery-codes"] li');
    expect(recovery).to.have.length(RECOVERY_CODE_COUNT);
    for (const code of recovery) expect(code).to.match(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    await checkScreen(page, '2fa-recovery-codes');
    await clickRole(page, 'button', 'I have saved them');
    expect(await textOf(page, 'recovery-left')).to.equal(`${RECOVERY_CODE_COUNT} of ${RECOVERY_CODE_COUNT} recovery codes left.`);
    expect(await texts(page, '[data-testid="recovery-codes"] li')).to.deep.equal([]);
  });

  it('after logging out, the password alone asks for the code; the code from the secret logs in', async () => {
    await logOut(page);
    await logInToConsole(page, srv.url, TECH.email, TECH.password);
    await byRole(page, 'textbox', 'Code from your authenticator app');
    await checkScreen(page, '2fa-login-code');
    // The next time step (clock skew of +1 is accepted): the enrolment's own step is used up.
    usedCode = totpAt(secret, Date.now() + STEP_MS);
    await typeInto(page, 'Code from your authenticator app', usedCode);
    await clickRole(page, 'button', 'Verify');
    expect(await textOf(page, 'me')).to.equal(TECH.name);
    await waitForFn(page, () => document.querySelector('rr-console-app')?.shadowRoot?.querySelector('[data-testid="connection"]')?.textContent === 'Online');
  });

  it('the same code again is refused as a replay', async () => {
    await logOut(page);
    await logInToConsole(page, srv.url, TECH.email, TECH.password);
    await typeInto(page, 'Code from your authenticator app', usedCode);
    await clickRole(page, 'button', 'Verify');
    await waitForFn(page, () => !!document.querySelector('rr-console-app')?.shadowRoot?.querySelector('rr-second-factor')?.shadowRoot?.querySelector('[data-testid="second-factor-error"] p'));
    expect(await textOf(page, 'second-factor-error')).to.equal('That code is not valid, or it was already used.');
    expect(await page.$('pierce/[data-testid="me"]')).to.equal(null);
  });

  it('a recovery code logs in once; used again it is refused', async () => {
    await clickRole(page, 'button', 'Use a recovery code instead');
    const code = recovery[0] ?? '';
    await typeInto(page, 'Recovery code', code);
    await clickRole(page, 'button', 'Verify');
    expect(await textOf(page, 'me')).to.equal(TECH.name);
    const notice = await page.$eval('rr-console-app', (app) => app.shadowRoot?.querySelector('.notice')?.textContent ?? '');
    expect(notice).to.include(`recovery code; ${RECOVERY_CODE_COUNT - 1} left`);
    await logOut(page);
    await logInToConsole(page, srv.url, TECH.email, TECH.password);
    await clickRole(page, 'button', 'Use a recovery code instead');
    await typeInto(page, 'Recovery code', code);
    await clickRole(page, 'button', 'Verify');
    await waitForFn(page, () => !!document.querySelector('rr-console-app')?.shadowRoot?.querySelector('rr-second-factor')?.shadowRoot?.querySelector('[data-testid="second-factor-error"] p'));
    expect(await textOf(page, 'second-factor-error')).to.equal('That code is not valid, or it was already used.');
    await clickRole(page, 'button', 'Back to the password');
    await byRole(page, 'textbox', 'Email');
  });

  it('with two-factor login required, an account without it must enrol at login before the console opens', async () => {
    await srv.server.ctx.settings.update({ require2fa: true });
    await createTechnician(srv.server, 'new@example.test', 'Nico New', TECH.password);
    const fresh = await newPage(await chromium.browser.createBrowserContext());
    await logInToConsole(fresh, srv.url, 'new@example.test', TECH.password);
    await byRole(fresh, 'heading', 'Set up two-factor login to continue');
    // No console behind it: no queue, no socket.
    expect(await fresh.$('pierce/rr-session-queue')).to.equal(null);
    expect(srv.server.registry.isTechnicianConnected((await srv.server.accounts.findByEmail('new@example.test'))?.id ?? '')).to.equal(false);
    await checkScreen(fresh, '2fa-required');
    await clickRole(fresh, 'button', 'Set up two-factor login');
    const newSecret = (await textOf(fresh, 'totp-secret')).replace(/\s/g, '');
    await typeInto(fresh, 'Enter the 6-digit code the app shows', totpAt(newSecret, Date.now()));
    await clickRole(fresh, 'button', 'Verify and turn on');
    await byTestId(fresh, 'recovery-codes');
    await clickRole(fresh, 'button', 'I have saved them');
    await waitForFn(fresh, () => document.querySelector('rr-console-app')?.shadowRoot?.querySelector('[data-testid="connection"]')?.textContent === 'Online');
    await byRole(fresh, 'button', 'Create session code');
  });
});
