import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import { fakeClock } from '../../testkit/server.ts';
import {
  byRole,
  byTestId,
  clickRole,
  ensureBuilt,
  launchChromium,
  newPage,
  screenshotAt,
  startWebServer,
  texts,
  unnamedControls,
  unreachableByTab,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

const TTL_SECONDS = 60;

describe('web: customer support page and console login in Chromium', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let ctx: BrowserContext;
  let page: Page;
  let fake: ReturnType<typeof fakeClock>['fake'];
  const presetCodes: string[] = [];
  let tech: { id: string; email: string; name: string; isAdmin: boolean };

  /** Creates a pending session directly in the registry; returns its code. */
  function newCode(preset?: string): string {
    if (preset) presetCodes.push(preset);
    const summary = srv.server.registry.create(tech, false);
    if (!summary.code) throw new Error('no code');
    return summary.code;
  }

  async function enterCode(code: string): Promise<string> {
    await page.goto(`${srv.url}/`);
    const field = await byRole(page, 'textbox', 'Enter your 6-digit code');
    await field.type(code);
    await clickRole(page, 'button', 'Start');
    const box = await byTestId(page, 'code-error');
    for (let i = 0; i < 100; i++) {
      const text = (await box.evaluate((el) => el.textContent ?? '')).trim();
      if (text) return text;
      await new Promise((r) => setTimeout(r, 50));
    }
    return '';
  }

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    const clock = fakeClock();
    fake = clock.fake;
    srv = await startWebServer(
      { CODE_TTL_SECONDS: String(TTL_SECONDS), CODE_SLOWDOWN_AFTER: '12', CODE_LOCKOUT_AFTER: '12' },
      {
        clock: clock.clock,
        generateCode: () => presetCodes.shift() ?? String(100000 + Math.floor(Math.random() * 899999)),
      },
    );
    const account = await srv.server.accounts.create({ email: 'pat@example.test', name: 'Pat Helper', password: 'a long enough password', isAdmin: false });
    tech = { id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin };
    chromium = await launchChromium();
    ctx = await chromium.browser.createBrowserContext();
    page = await newPage(ctx);
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  it('the code page has a labelled field, named controls, is keyboard reachable, and fits 1280x800 and 390x844', async () => {
    await page.goto(`${srv.url}/`);
    await byRole(page, 'textbox', 'Enter your 6-digit code');
    const named = await unnamedControls(page);
    expect(named.unnamed).to.deep.equal([]);
    expect(named.controls).to.be.greaterThanOrEqual(4);
    const tab = await unreachableByTab(page);
    expect(tab.missed).to.deep.equal([]);
    await screenshotAt(page, 'customer-code', 1280, 800);
    await screenshotAt(page, 'customer-code', 390, 844);
  });

  it('a wrong code says so', async () => {
    const text = await enterCode('000001');
    expect(text).to.equal('That code is not valid. Check the 6 digits and try again.');
  });

  it('an expired code says so', async () => {
    const code = newCode();
    fake.tick((TTL_SECONDS + 1) * 1000);
    const text = await enterCode(code);
    expect(text).to.equal('That code has expired. Ask your technician for a new one.');
  });

  it('a used code says so', async () => {
    const code = newCode();
    const res = await fetch(`${srv.url}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, client: 'browser' }),
    });
    expect(res.status).to.equal(200);
    const text = await enterCode(code);
    expect(text).to.equal('That code has already been used. Ask your technician for a new one.');
  });

  it('a /c/123456 link fills the code, submits it and shows the technician before anything is shared', async () => {
    const code = newCode('123456');
    expect(code).to.equal('123456');
    await page.goto(`${srv.url}/c/123456`);
    const name = await byTestId(page, 'technician-name');
    expect(await name.evaluate((el) => el.textContent)).to.equal('Pat Helper');
    // Both choices are offered; nothing is shared yet.
    await byRole(page, 'button', 'Run the support app');
    await byRole(page, 'button', 'Share my screen from this browser');
    expect(await page.evaluate(() => window.location.pathname)).to.equal('/');
    await screenshotAt(page, 'customer-choice', 390, 844);
  });

  it('the support app choice offers the one file for this OS (Linux) carrying the session token, with plain steps and a command', async () => {
    await clickRole(page, 'button', 'Run the support app');
    const link = await byRole(page, 'link', 'Download the support app for Linux');
    const href = await link.evaluate((a) => (a as HTMLAnchorElement).href);
    expect(href).to.match(new RegExp(`^${srv.url}/download/linux\\?token=[A-Za-z0-9_-]{16,128}$`));
    expect(await link.evaluate((a) => a.getAttribute('download'))).to.equal('relay-rescue-support-linux-x64');
    const steps = await texts(page, '[data-testid="download"] li');
    expect(steps.join('\n')).to.contain('Allow executing file as program').and.contain('Double-click the file');
    const cmd = await byTestId(page, 'agent-command');
    const text = (await cmd.evaluate((el) => el.textContent ?? '')).trim();
    const file = 'relay-rescue-support-linux-x64';
    expect(text).to.equal(`curl -fsSLo ${file} '${href}' && chmod +x ${file} && ./${file}`);
    await screenshotAt(page, 'customer-agent', 1280, 800);
  });

  it('after too many wrong codes the page shows the lockout', async () => {
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) {
      const res = await fetch(`${srv.url}/api/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: '000002', client: 'browser' }),
      });
      status = res.status;
    }
    expect(status).to.equal(429);
    const text = await enterCode('000003');
    expect(text).to.match(/^Too many wrong codes from this network\. You are locked out for a while/);
  });

  it('the text size control is kept across reloads', async () => {
    await page.goto(`${srv.url}/`);
    await clickRole(page, 'button', 'Larger text');
    await clickRole(page, 'button', 'Larger text');
    const shown = await byTestId(page, 'font-size');
    expect(await shown.evaluate((el) => el.textContent)).to.equal('125%');
    await page.reload();
    await byRole(page, 'textbox', 'Enter your 6-digit code');
    expect(await page.evaluate(() => document.documentElement.style.fontSize)).to.equal('125%');
    await clickRole(page, 'button', 'Smaller text');
    await clickRole(page, 'button', 'Smaller text');
    expect(await page.evaluate(() => document.documentElement.style.fontSize)).to.equal('100%');
  });

  it('the console login has named, reachable controls and shows a wrong password', async () => {
    await page.goto(`${srv.url}/console`);
    await (await byRole(page, 'textbox', 'Email')).type('pat@example.test');
    const named = await unnamedControls(page);
    expect(named.unnamed).to.deep.equal([]);
    const tab = await unreachableByTab(page);
    expect(tab.missed).to.deep.equal([]);
    await (await page.$('pierce/#password'))!.type('wrong password');
    await clickRole(page, 'button', 'Log in');
    const err = await byTestId(page, 'login-error');
    for (let i = 0; i < 100 && !(await err.evaluate((el) => el.textContent ?? '')).trim(); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await err.evaluate((el) => el.textContent ?? '')).trim()).to.equal('Wrong email or password.');
    await screenshotAt(page, 'console-login', 390, 844);
    await screenshotAt(page, 'console-login', 1280, 800);
  });
});
