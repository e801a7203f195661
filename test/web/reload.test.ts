import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import { byRole, byTestId, clickRole, createTechnician, ensureBuilt, launchChromium, logInToConsole, newPage, screenshotAt, startWebServer, texts, type TestServer } from '../../testkit/web-harness.ts';
import { permissionState, sendChat, waitChat, waitEnabled, waitPermission } from '../../testkit/web-session.ts';
import { waitVideoPlaying } from '../../testkit/handover-driver.ts';
import { PERMISSIONS } from '../../protocol/permissions.ts';

const TECH = { email: 'reload@example.test', name: 'Rita Reload', password: 'correct horse battery reload' };

/** What the reload tests measured, printed at the end. */
const measured: Record<string, string | number> = {};



/** Resolves once the console's video has decoded frames, with how long that took. */
async function framesArrive(page: Page, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const video = await page.$('pierce/[data-testid="remote-video"]');
    const frames = video ? await video.evaluate((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames) : 0;
    if (frames > 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = await texts(page, '[data-testid="session-log"] li');
  throw new Error(`no video frames within ${timeoutMs} ms; console log: ${log.slice(-8).join(' | ')}`);
}




/** Every permission's state on a page (the console's open tab, or the customer's page). */
async function permissionStates(page: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of PERMISSIONS) out[p] = await permissionState(page, p);
  return out;
}

/** Selects the console tab of this customer (by the name it shows). */
async function selectTab(page: Page, name: string): Promise<void> {
  for (const tab of await page.$$('pierce/[role="tab"]')) {
    const label = await tab.evaluate((t) => (t.textContent ?? '').trim());
    if (label.replace(/^\d+\.\s*/, '') === name) {
      await tab.click();
      for (let i = 0; i < 50 && !(await tab.evaluate((t) => t.getAttribute('aria-selected') === 'true')); i++) await new Promise((r) => setTimeout(r, 100));
      return;
    }
  }
  throw new Error(`no tab for ${name}`);
}

/** Prompts the customer's page shows (a new question would be one). */
async function promptsShown(page: Page): Promise<number> {
  return (await page.$$('pierce/[data-testid^="prompt-"]')).length;
}

describe('web: reloading the console or the customer page mid-session (issue 15 points 7 and 11)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let techCtx: BrowserContext;
  let custCtx: BrowserContext;
  let tech: Page;
  let cust: Page;

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    techCtx = await chromium.browser.createBrowserContext();
    custCtx = await chromium.browser.createBrowserContext();
    tech = await newPage(techCtx);
    cust = await newPage(custCtx);
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
    console.log('    measured:', JSON.stringify(measured));
  });

  it('a browser share is live: view and files granted, frames arrive, chat both ways', async () => {
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await clickRole(tech, 'button', 'Create session code');
    const code = await (await byTestId(tech, 'session-code')).evaluate((el) => el.textContent ?? '');
    await cust.goto(`${srv.url}/`);
    await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(code);
    await clickRole(cust, 'button', 'Start');
    await clickRole(cust, 'button', 'Share my screen from this browser');
    const row = await byTestId(tech, 'queue-row');
    await (await row.$('button'))!.click();
    const ask = await byRole(tech, 'button', 'Ask to view screen');
    await waitEnabled(ask);
    await ask.click();
    await clickRole(cust, 'button', 'Yes, allow: View your screen');
    await waitPermission(tech, 'view', 'granted');
    await framesArrive(tech);
    await clickRole(tech, 'button', 'Ask for file transfer');
    await clickRole(cust, 'button', 'Yes, allow: Send and receive files');
    await waitPermission(tech, 'files', 'granted');
    await sendChat(tech, 'Before any reload');
    await waitChat(cust, 'Before any reload');
  });

  it('15.7: the console reloads; its tab comes back, the connection is renegotiated, grants kept, no new prompt', async () => {
    const t0 = Date.now();
    await tech.reload();
    await byRole(tech, 'button', 'End session', 30_000);
    measured.consoleTabBackMs = Date.now() - t0;
    measured.consoleFramesAfterReloadMs = (await framesArrive(tech)) + measured.consoleTabBackMs;
    await waitPermission(tech, 'view', 'granted');
    await waitPermission(tech, 'files', 'granted');
    expect(await permissionState(cust, 'view')).to.equal('granted');
    expect(await permissionState(cust, 'files')).to.equal('granted');
    expect(await promptsShown(cust), 'no new question on the customer’s page').to.equal(0);
    const custLog = await texts(cust, '[data-testid="session-log"] li');
    expect(custLog.filter((l) => /asks: View your screen/.test(l)), custLog.join(' | ')).to.have.length(1);
    await sendChat(tech, 'After the console reload');
    await waitChat(cust, 'After the console reload');
    await sendChat(cust, 'Still here');
    await waitChat(tech, 'Still here');
    await screenshotAt(tech, 'console-after-reload', 1280, 800);
    await screenshotAt(tech, 'console-after-reload', 390, 844);
  });

  it('15.11: the customer page reloads and shares again; the console renegotiates and shows the screen; chat and log kept', async () => {
    await cust.reload();
    const card = await byTestId(cust, 'reshare', 30_000);
    const said = await card.evaluate((el) => el.textContent?.replace(/\s+/g, ' ').trim() ?? '');
    expect(said).to.include('Your browser asks again which screen to share.');
    await screenshotAt(cust, 'customer-reshare', 1280, 800);
    await screenshotAt(cust, 'customer-reshare', 390, 844);
    const t0 = Date.now();
    await clickRole(cust, 'button', 'Share my screen again');
    await waitPermission(tech, 'view', 'granted');
    measured.reshareFramesMs = await framesArrive(tech);
    const frames = await tech.$eval('pierce/[data-testid="remote-video"]', async (v) => {
      const el = v as HTMLVideoElement;
      const a = el.getVideoPlaybackQuality().totalVideoFrames;
      await new Promise((r) => setTimeout(r, 1500));
      return el.getVideoPlaybackQuality().totalVideoFrames - a;
    });
    measured.framesIn1500msAfterReshare = frames;
    measured.reshareClickToFramesMs = Date.now() - t0 - 1500;
    // The old page's track ended with it: frames now are the re-shared screen's.
    expect(frames, 'the re-shared screen plays in the console').to.be.greaterThan(0);
    // Chat and log kept on the customer's page; chat goes both ways on the new connection.
    await waitChat(cust, 'After the console reload');
    const log = await texts(cust, '[data-testid="session-log"] li');
    expect(log.some((l) => l.includes('View your screen: granted')), log.join(' | ')).to.equal(true);
    await sendChat(cust, 'After my reload');
    await waitChat(tech, 'After my reload');
  });

  it('15.7 with two sessions: one console reload brings back both tabs, both screens play again, grants kept, neither customer is asked again', async () => {
    // A second customer, by name, in a session of their own beside the first.
    const cust2 = await newPage(await chromium.browser.createBrowserContext());
    await clickRole(tech, 'button', 'Create session code');
    const code = await (await byTestId(tech, 'session-code')).evaluate((el) => el.textContent ?? '');
    await cust2.goto(`${srv.url}/`);
    await (await byRole(cust2, 'textbox', 'Enter your 6-digit code')).type(code);
    await (await byRole(cust2, 'textbox', 'Your name (optional, so your technician knows who is waiting)')).type('Second Customer');
    await clickRole(cust2, 'button', 'Start');
    await clickRole(cust2, 'button', 'Share my screen from this browser');
    await clickRole(tech, 'button', 'Start session with Second Customer');
    await selectTab(tech, 'Second Customer');
    const ask = await byRole(tech, 'button', 'Ask to view screen');
    await waitEnabled(ask);
    await ask.click();
    await clickRole(cust2, 'button', 'Yes, allow: View your screen');
    await waitPermission(tech, 'view', 'granted');
    await waitVideoPlaying(tech, 'the second tab before the reload');
    const asks = async (page: Page) => (await texts(page, '[data-testid="session-log"] li')).filter((l) => /asks: /.test(l)).length;
    const asksBefore = [await asks(cust), await asks(cust2)];
    const customerGrants = async () => [await permissionStates(cust), await permissionStates(cust2)];
    const grantsBefore = await customerGrants();
    /** The open tabs by customer name (the label without its number), in order. */
    const tabNames = async () => (await texts(tech, '[role="tab"]')).map((t) => t.replace(/^\d+\.\s*/, ''));
    const before = await tabNames();
    expect(before).to.have.length(2);
    const tabGrants: Record<string, Record<string, string>> = {};
    for (const name of before) {
      await selectTab(tech, name);
      tabGrants[name] = await permissionStates(tech);
    }
    expect(tabGrants['Second Customer']?.view).to.equal('granted');
    expect(Object.values(tabGrants).filter((g) => g.view === 'granted'), JSON.stringify(tabGrants)).to.have.length(2);

    await tech.reload();
    let after: string[] = [];
    for (let i = 0; i < 300 && after.length < 2; i++) {
      after = await tabNames();
      if (after.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect([...after].sort(), 'both tabs come back').to.deep.equal([...before].sort());
    // Each tab in turn: its screen plays on a renegotiated connection, and it shows the grants it had.
    for (const name of after) {
      await selectTab(tech, name);
      await waitVideoPlaying(tech, `the tab of ${name} after the reload`);
      for (const [permission, state] of Object.entries(tabGrants[name] ?? {})) await waitPermission(tech, permission, state);
    }
    expect(await customerGrants(), 'both customers still grant what they did').to.deep.equal(grantsBefore);
    for (const [who, page] of [['the first customer', cust], ['the second customer', cust2]] as const) {
      expect(await promptsShown(page), `no new question on ${who}'s page`).to.equal(0);
    }
    expect([await asks(cust), await asks(cust2)], 'no new request reached either customer').to.deep.equal(asksBefore);
    await sendChat(cust2, 'Second customer after the reload');
    await waitChat(tech, 'Second customer after the reload');
    await cust2.close();
  });
});
