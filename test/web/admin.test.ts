import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import { parseCsv, unguarded } from '../../testkit/csv.ts';
import { runSession } from '../../testkit/sessions.ts';
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
  pollFor,
  startWebServer,
  texts,
  waitForFn,
  type TestServer,
} from '../../testkit/web-harness.ts';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'boss@example.test', name: 'Bea Boss' };
const TECH = { email: 'tess@example.test', name: 'Tess Tech' };

async function typeInto(page: Page, label: string, text: string, role = 'textbox'): Promise<void> {
  const input = await byRole(page, role, label);
  await input.click({ count: 3 });
  await input.type(text);
}

/** The rows of a table in the admin page, as trimmed cell texts. */
async function rows(page: Page, testId: string): Promise<string[][]> {
  const found = await page.$$(`pierce/[data-testid="${testId}"] tbody tr`);
  return Promise.all(found.map((tr) => tr.evaluate((row) => [...row.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()))));
}

async function waitRows(page: Page, testId: string, check: (r: string[][]) => boolean, what: string): Promise<string[][]> {
  for (let i = 0; i < 150; i++) {
    const r = await rows(page, testId).catch(() => []);
    if (check(r)) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: ${JSON.stringify(await rows(page, testId))}`);
}

describe('web: the administration page (Chromium)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let adminCtx: BrowserContext;
  let techCtx: BrowserContext;
  let admin: Page;
  let tech: Page;
  const sessionIds: string[] = [];

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    await srv.server.accounts.create({ ...ADMIN, password: PASSWORD, isAdmin: true });
    await createTechnician(srv.server, TECH.email, TECH.name, PASSWORD);
    chromium = await launchChromium();
    adminCtx = await chromium.browser.createBrowserContext();
    techCtx = await chromium.browser.createBrowserContext();
    admin = await newPage(adminCtx);
    tech = await newPage(techCtx);
  });
  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  it('a technician gets 404 at /admin and 403 from its API; the console shows them no Administration link', async () => {
    await logInToConsole(tech, srv.url, TECH.email, PASSWORD);
    await byTestId(tech, 'me');
    expect(await tech.$('pierce/a[href="/admin"]')).to.equal(null);
    const api = await tech.evaluate(async () => {
      const list = await fetch('/api/admin/technicians');
      const create = await fetch('/api/admin/technicians', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'sneaky@example.test', name: 'S', password: 'password-12345' }),
      });
      return [list.status, ((await list.json()) as { error: { code: string } }).error.code, create.status];
    });
    expect(api).to.deep.equal([403, 'FORBIDDEN', 403]);
    const page = await tech.goto(`${srv.url}/admin`);
    expect(page?.status()).to.equal(404);
    expect(await tech.evaluate(() => document.body.textContent)).to.include('Not found');
    expect(await srv.server.accounts.findByEmail('sneaky@example.test')).to.equal(undefined);
  });

  it('an administrator opens it from the console', async () => {
    await logInToConsole(admin, srv.url, ADMIN.email, PASSWORD);
    await byTestId(admin, 'me');
    await Promise.all([admin.waitForNavigation(), clickRole(admin, 'link', 'Administration')]);
    await byRole(admin, 'heading', 'Relay Rescue administration');
    expect(new URL(admin.url()).pathname).to.equal('/admin');
    await waitRows(admin, 'technicians', (r) => r.length === 2, 'the two accounts');
  });

  it('creates a technician and disables them in the page; the administration log shows both', async () => {
    await typeInto(admin, 'Name', 'Nia New');
    await typeInto(admin, 'Email', 'nia@example.test');
    await typeInto(admin, 'First password (10+ characters)', 'a-first-password');
    await clickRole(admin, 'button', 'Add technician');
    await waitRows(admin, 'technicians', (r) => r.some((cells) => cells[1] === 'nia@example.test'), 'the new row');
    expect((await texts(admin, '[data-testid="technicians-notice"]'))[0]).to.equal('Added nia@example.test.');
    expect(await srv.server.accounts.findByEmail('nia@example.test')).to.include({ name: 'Nia New', isAdmin: false, disabled: false });
    await checkScreen(admin, 'admin-technicians');
    await clickRole(admin, 'button', 'Disable Nia New');
    const after = await waitRows(admin, 'technicians', (r) => r.some((c) => c[1] === 'nia@example.test' && c[4]?.includes('Disabled')), 'Nia disabled');
    expect(after.find((c) => c[1] === 'nia@example.test')?.[4]).to.include('Disabled');
    expect((await srv.server.accounts.findByEmail('nia@example.test'))?.disabled).to.equal(true);
    await clickRole(admin, 'button', 'Administration log');
    const log = await waitRows(admin, 'admin-log', (r) => r.length >= 2, 'the log');
    expect(log.slice(0, 2).map((c) => c.slice(1, 4))).to.deep.equal([
      ['Who: boss@example.test', 'Action: technician.disabled', 'Account or setting: nia@example.test'].map((t) => t.replace(/^[^:]+: /, '')),
      ['boss@example.test', 'technician.created', 'nia@example.test'],
    ]);
    await checkScreen(admin, 'admin-log');
  });

  it('resets a password in its dialog and deletes an account after confirming', async () => {
    await clickRole(admin, 'button', 'Technicians');
    await clickRole(admin, 'button', 'Reset password of Tess Tech');
    await typeInto(admin, 'New password (10+ characters)', 'a-brand-new-password', 'textbox');
    await clickRole(admin, 'button', 'Set password');
    await waitForFn(admin, () => document.querySelector('rr-admin-app')?.shadowRoot?.querySelector('rr-admin-technicians')?.shadowRoot?.querySelector('[data-testid="technicians-notice"]')?.textContent?.includes('New password set for tess@example.test'));
    expect(await srv.server.accounts.verifyPassword(TECH.email, 'a-brand-new-password')).to.include({ email: TECH.email });
    await srv.server.accounts.setPassword(TECH.email, PASSWORD);
    await clickRole(admin, 'button', 'Delete Nia New');
    await (await pollFor(admin, 'pierce/[data-testid="confirm-ok"]')).click();
    await waitRows(admin, 'technicians', (r) => !r.some((c) => c[1] === 'nia@example.test'), 'Nia gone');
    expect(await srv.server.accounts.findByEmail('nia@example.test')).to.equal(undefined);
  });

  it('the audit trail lists three sessions and exports exactly them as CSV', async () => {
    for (const detail of ['name=one.txt', 'name=two,"quoted".txt', '=1+1']) sessionIds.push(await runSession(srv.server, PASSWORD, TECH.email, detail));
    await clickRole(admin, 'button', 'Audit trail');
    const listed = await waitRows(admin, 'sessions', (r) => r.length === 3, 'three sessions');
    for (const cells of listed) {
      expect(cells[1]).to.equal(TECH.email);
      expect(cells[2]).to.equal('127.0.0.1');
      expect(cells[5]).to.equal('technician_ended');
      expect(cells[6]).to.equal('5 events');
    }
    await clickRole(admin, 'button', `Show the 5 events of session ${sessionIds[1] ?? ''}`);
    await pollFor(admin, 'pierce/[data-testid="session-events"] li');
    const events = await texts(admin, '[data-testid="session-events"] li strong');
    expect(events).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'file.sent', 'session.ended']);
    await checkScreen(admin, 'admin-audit');
    const href = await (await byTestId(admin, 'csv-link')).evaluate((a) => (a as HTMLAnchorElement).href);
    const csv = await admin.evaluate(async (url: string) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(await (await fetch(url)).arrayBuffer()), href);
    const [header, ...records] = parseCsv(csv.replace(/^\uFEFF/, ''));
    expect(header?.slice(0, 4)).to.deep.equal(['session_id', 'kind', 'technician', 'customer_address']);
    expect(records.map((r) => unguarded(r[0]))).to.deep.equal([...sessionIds].reverse());
    expect(records.map((r) => [r[2], r[3], r[8]])).to.deep.equal(Array.from({ length: 3 }, () => [TECH.email, '127.0.0.1', 'technician_ended']));
    expect(records[1]?.[9]).to.include('name=two,"quoted".txt');
  });

  it('searches the audit trail by text and by technician', async () => {
    await typeInto(admin, 'Text (address, file, reason, session id…)', 'two,', 'searchbox');
    await clickRole(admin, 'button', 'Search');
    await waitRows(admin, 'sessions', (r) => r.length === 1, 'one match');
    const href = await (await byTestId(admin, 'csv-link')).evaluate((a) => (a as HTMLAnchorElement).href);
    expect(new URL(href).searchParams.get('q')).to.equal('two,');
    await typeInto(admin, 'Text (address, file, reason, session id…)', 'nothing-matches-this', 'searchbox');
    await clickRole(admin, 'button', 'Search');
    await waitForFn(admin, () => document.querySelector('rr-admin-app')?.shadowRoot?.querySelector('rr-admin-audit')?.shadowRoot?.textContent?.includes('No sessions match.'));
    expect(await rows(admin, 'sessions')).to.deep.equal([]);
  });

  it('changes the seats and requires two-factor login from the settings', async () => {
    await clickRole(admin, 'button', 'Settings');
    await clickRole(admin, 'checkbox', 'Unlimited');
    const seats = await byRole(admin, 'spinbutton', 'Seats (technicians with a console open at once)');
    await seats.click({ count: 3 });
    await seats.type('3');
    await clickRole(admin, 'checkbox', 'Require two-factor login for every account');
    await clickRole(admin, 'button', 'Save settings');
    await waitForFn(admin, () => document.querySelector('rr-admin-app')?.shadowRoot?.querySelector('rr-admin-settings')?.shadowRoot?.querySelector('[role="status"]')?.textContent === 'Saved.');
    expect(await srv.server.ctx.settings.all()).to.deep.equal({ seats: 3, require2fa: true, loginSessionHours: 12 });
    await checkScreen(admin, 'admin-settings');
  });
});
