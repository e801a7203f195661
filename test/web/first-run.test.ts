import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { byRole, byTestId, clickRole, ensureBuilt, launchChromium, newPage, screenshotAt, startWebServer, waitForFn } from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

/**
 * Issue 15, point 4: a fresh install prints a one-time link; the console it
 * opens creates the first administrator. The browser here comes "through a
 * proxy" (X-Forwarded-For), so only the link lets it in, as for a
 * self-hoster who is not on the server itself.
 */
describe('web: first-run setup in the console', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;

  async function remotePage(): Promise<Page> {
    const page = await newPage(await chromium.browser.createBrowserContext());
    await page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.7' });
    return page;
  }

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  it('without the link, a browser elsewhere is told where the link is and how else to make the account', async () => {
    const page = await remotePage();
    await page.goto(`${srv.url}/console`);
    const closed = await byTestId(page, 'setup-closed');
    expect(await closed.evaluate((el) => el.textContent ?? '')).to.match(/set-up link the server printed[\s\S]*npm run admin -- create-admin/);
    await screenshotAt(page, 'console-setup-no-link', 1280, 800);
    await screenshotAt(page, 'console-setup-no-link', 390, 844);
  });

  it('the printed link opens the form, takes the token out of the address bar, creates the administrator and logs in', async () => {
    const link = srv.server.setupLink();
    expect(link).to.match(/\/console#setup=/);
    const page = await remotePage();
    await page.goto(link!);
    await (await byRole(page, 'textbox', 'Your name')).type('Ada Admin');
    expect(await page.evaluate(() => location.hash)).to.equal('');
    await (await byRole(page, 'textbox', 'Email')).type('ada@example.test');
    await (await byRole(page, 'textbox', 'Password')).type('short');
    await (await byRole(page, 'textbox', 'Repeat the password')).type('short');
    await clickRole(page, 'button', 'Create administrator');
    const error = await byTestId(page, 'setup-error');
    await waitForFn(page, () => true);
    expect(await error.evaluate((el) => el.textContent ?? '')).to.equal('The password needs at least 10 characters.');
    await screenshotAt(page, 'console-setup', 1280, 800);
    await screenshotAt(page, 'console-setup', 390, 844);
    for (const field of ['Password', 'Repeat the password']) {
      const input = await byRole(page, 'textbox', field);
      await input.click({ count: 3 });
      await input.type('a long admin password');
    }
    await clickRole(page, 'button', 'Create administrator');
    const me = await byTestId(page, 'me', 20_000);
    expect(await me.evaluate((el) => el.textContent)).to.equal('Ada Admin');
    expect((await srv.server.accounts.findByEmail('ada@example.test'))?.isAdmin).to.equal(true);
  });

  it('once an account exists the link is dead: it opens the login form', async () => {
    expect(srv.server.setupLink()).to.equal(null);
    const page = await remotePage();
    await page.goto(`${srv.url}/console#setup=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    await byRole(page, 'button', 'Log in');
    expect(await page.$('pierce/[data-testid="setup-closed"]')).to.equal(null);
  });
});
