import { expect } from 'chai';
import type { ElementHandle, Page } from 'puppeteer-core';
import { byRole, byTestId, clickRole, createTechnician, ensureBuilt, launchChromium, logInToConsole, newPage, screenshotAt, startWebServer, texts } from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

const TECH = { email: 'early@example.test', name: 'Eli Early', password: 'correct horse battery staple' };

async function textOf(page: Page, testId: string): Promise<string> {
  return (await byTestId(page, testId)).evaluate((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** The "Ask to view screen" button of the open session tab, as soon as the tab exists. */
async function askButton(page: Page): Promise<ElementHandle<Element>> {
  for (let i = 0; i < 400; i++) {
    const button = await page.$('pierce/li[data-permission="view"] button');
    if (button) return button;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the session tab has no Ask to view screen button');
}

/**
 * For the customer's page: its peer connections gather no candidate (relay
 * only, and no relay server), so the connection to the console never comes up.
 */
const NO_PEER_CONNECTION = `(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) { super({ ...(config ?? {}), iceServers: [], iceTransportPolicy: 'relay' }, ...rest); }
  };
})()`;

/** Waits (bounded) until the console's session log has a line matching `pattern`; answers the log. */
async function waitLogLine(page: Page, pattern: RegExp, timeoutMs = 15_000): Promise<string[]> {
  let log: string[] = [];
  for (let i = 0; i < timeoutMs / 100; i++) {
    log = await texts(page, '[data-testid="session-log"] li');
    if (log.some((l) => pattern.test(l))) return log;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no log line matched ${pattern}; the log: ${log.slice(-8).join(' | ')}`);
}

/**
 * Issue 15 point 5: Start, then "Ask to view screen" 0.1 to 0.5 s later,
 * before the peer connection is up. The click is not lost: the console says
 * the question waits for the connection, and the customer's page asks it as
 * soon as the connection is up.
 */
describe('web: an Ask pressed right after Start reaches the customer (issue 15 point 5)', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let tech: Page;

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    // A customer whose page closes is given up on after 3 s (the default 30 s would only make the test wait).
    srv = await startWebServer({ RECONNECT_GRACE_SECONDS: '3' });
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  for (const delayMs of [100, 300, 500]) {
    it(`Ask ${delayMs} ms after Start: queued, said so, and the customer is asked once the connection is up`, async () => {
      // A fresh console each time: one session, one tab.
      tech = await newPage(await chromium.browser.createBrowserContext());
      await logInToConsole(tech, srv.url, TECH.email, TECH.password);
      await clickRole(tech, 'button', 'Create session code');
      const code = await textOf(tech, 'session-code');
      expect(code).to.match(/^\d{6}$/);
      const cust = await newPage(await chromium.browser.createBrowserContext());
      await cust.goto(`${srv.url}/`);
      await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(code);
      await clickRole(cust, 'button', 'Start');
      await clickRole(cust, 'button', 'Share my screen from this browser');
      const row = await byTestId(tech, 'queue-row');
      await (await row.$('button'))!.click();
      const startedAt = Date.now();
      const button = await askButton(tech);
      const wait = delayMs - (Date.now() - startedAt);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const enabled = await button.evaluate((b) => !(b as HTMLButtonElement).disabled);
      expect(enabled, 'the Ask button works while the connection is being set up').to.equal(true);
      await button.click();
      const state = await textOf(tech, 'perm-view');
      expect(['asking once connected', 'asked, waiting']).to.include(state);
      if (delayMs === 100) {
        await screenshotAt(tech, 'console-early-ask', 1280, 800);
        await screenshotAt(tech, 'console-early-ask', 390, 844);
      }
      // The customer's page asks it.
      const prompt = await textOf(cust, 'prompt-view');
      expect(prompt).to.contain(TECH.name);
      for (let i = 0; i < 100 && (await textOf(tech, 'perm-view')) !== 'asked, waiting'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await textOf(tech, 'perm-view')).to.equal('asked, waiting');
      await clickRole(cust, 'button', 'No, refuse: View your screen');
      for (let i = 0; i < 100 && (await textOf(tech, 'perm-view')) !== 'denied'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await textOf(tech, 'perm-view')).to.equal('denied');
      await cust.close();
      await tech.close();
    });
  }

  /** A session started with a customer page whose peer connection never comes up, and an Ask queued in it; the customer's page. */
  async function askQueuedWithNoConnection(): Promise<Page> {
    tech = await newPage(await chromium.browser.createBrowserContext());
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await clickRole(tech, 'button', 'Create session code');
    const code = await textOf(tech, 'session-code');
    const cust = await newPage(await chromium.browser.createBrowserContext());
    await cust.evaluateOnNewDocument(NO_PEER_CONNECTION);
    await cust.goto(`${srv.url}/`);
    await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(code);
    await clickRole(cust, 'button', 'Start');
    await clickRole(cust, 'button', 'Share my screen from this browser');
    await (await (await byTestId(tech, 'queue-row')).$('button'))!.click();
    await (await askButton(tech)).click();
    expect(await textOf(tech, 'perm-view')).to.equal('asking once connected');
    return cust;
  }

  it('an Ask queued while the connection never comes up and the session stays open: after 30 s the console says it was not asked, and it can be asked again', async function () {
    this.timeout(90_000);
    const cust = await askQueuedWithNoConnection();
    const log = await waitLogLine(tech, /Could not ask for View your screen: the connection to the customer did not come up within 30 seconds/, 45_000);
    expect(await textOf(tech, 'perm-view'), `the row once given up; log: ${log.slice(-4).join(' | ')}`).to.equal('not asked');
    expect(await (await askButton(tech)).evaluate((b) => (b as HTMLButtonElement).disabled), 'Ask works again').to.equal(false);
    await cust.close();
    await tech.close();
  });

  for (const how of ['the customer ends the session', "the customer's page closes"] as const) {
    it(`an Ask queued while the connection never comes up, then ${how}: the console says it was not asked, and shows no "asked" state`, async () => {
      const cust = await askQueuedWithNoConnection();
      // Still queued a while later: the connection really is not up.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await textOf(tech, 'perm-view')).to.equal('asking once connected');
      if (how === 'the customer ends the session') await clickRole(cust, 'button', 'End session');
      else await cust.close();
      await byTestId(tech, 'ended', 30_000);
      const log = await waitLogLine(tech, /Could not ask for View your screen|Not asked: View your screen/);
      const state = await textOf(tech, 'perm-view');
      expect(state, `the permission row after the end; log: ${log.slice(-6).join(' | ')}`).to.not.be.oneOf(['asking once connected', 'asked, waiting']);
      if (how === 'the customer ends the session') {
        await screenshotAt(tech, 'console-ask-not-delivered', 1280, 800);
        await screenshotAt(tech, 'console-ask-not-delivered', 390, 844);
      }
      if (!cust.isClosed()) await cust.close();
      await tech.close();
    });
  }
});
