import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, ElementHandle, Page } from 'puppeteer-core';
import {
  byRole,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  newPage,
  screenshotAt,
  SHOT_DIR,
  startWebServer,
  texts,
  unnamedControls,
  unreachableByTab,
  waitForFn,
  logInToConsole,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';
import { sendChat, waitChat, waitEnabled, waitPermission } from '../../testkit/web-session.ts';

const TECH = { email: 'tech@example.test', name: 'Tessa Tech', password: 'correct horse battery staple' };
const FILE_BYTES = 5 * 1024 * 1024 + 12345;

/** What the e2e measured, printed at the end. */
const measured: Record<string, string | number> = {};

/** Clicks the received file's Save link (a real download into the context's folder) and hashes the saved file. */
async function sha256OfDownload(page: Page, dir: string, name: string, size: number): Promise<string> {
  let link: ElementHandle<Element> | null = null;
  for (let i = 0; i < 600 && !link; i++) {
    const row = await page.$(`pierce/[data-testid="transfer"][data-direction="receive"][data-phase="done"]`);
    link = row ? await row.$('[data-testid="download-link"]') : null;
    if (!link) await new Promise((r) => setTimeout(r, 100));
  }
  if (!link) throw new Error(`no finished download for ${name}; transfers: ${JSON.stringify(await texts(page, '[data-testid="transfer"]'))}`);
  expect(await link.evaluate((a) => a.textContent)).to.equal(`Save ${name}`);
  await link.click();
  const file = path.join(dir, name);
  for (let i = 0; i < 300; i++) {
    if (fs.existsSync(file) && fs.statSync(file).size === size) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}





describe('web e2e: technician console and customer page in Chromium', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let techCtx: BrowserContext;
  let custCtx: BrowserContext;
  let tech: Page;
  let cust: Page;
  let tmp: string;
  let techDownloads: string;
  let custDownloads: string;
  let code = '';

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    techDownloads = fs.mkdtempSync(path.join(srv.dir, 'tech-dl-'));
    custDownloads = fs.mkdtempSync(path.join(srv.dir, 'cust-dl-'));
    techCtx = await chromium.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: techDownloads } });
    custCtx = await chromium.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: custDownloads } });
    tech = await newPage(techCtx);
    cust = await newPage(custCtx);
    tmp = fs.mkdtempSync(path.join(srv.dir, 'files-'));
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
    console.log('    measured:', JSON.stringify(measured));
  });

  it('the technician logs in and creates a code', async () => {
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await clickRole(tech, 'button', 'Create session code');
    const codeEl = await byTestId(tech, 'session-code').catch(async (err: unknown) => {
      const text = await tech.evaluate(() => document.querySelector('rr-console-app')?.shadowRoot?.querySelector('rr-session-queue')?.shadowRoot?.textContent?.replace(/\s+/g, ' '));
      throw new Error(`${String(err)}; console shows: ${text}`);
    });
    code = await codeEl.evaluate((el) => el.textContent ?? '');
    expect(code).to.match(/^\d{6}$/);
    const expiry = await texts(tech, '[data-testid="code-row"] time');
    expect(expiry[0]).to.match(/expires in \d+:\d\d/);
  });

  it('the customer enters the code, sees the technician name, and waits in the queue', async () => {
    await cust.goto(`${srv.url}/`);
    await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(code);
    await clickRole(cust, 'button', 'Start');
    const name = await byTestId(cust, 'technician-name');
    expect(await name.evaluate((el) => el.textContent)).to.equal(TECH.name);
    await byTestId(tech, 'queue-row');
  });

  it('the technician starts the session; view is asked, denied, asked again, granted; frames arrive', async () => {
    // The technician starts before the customer has chosen: the page joins afterwards.
    const row = await byTestId(tech, 'queue-row');
    await (await row.$('button'))!.click();
    await clickRole(cust, 'button', 'Share my screen from this browser');
    const ask = await byRole(tech, 'button', 'Ask to view screen');
    await waitForFn(tech, () => {
      const b = (window as unknown as { __q?: unknown }) && document.querySelector('rr-console-app');
      return !!b;
    });
    // Ask once: the customer says no.
    await waitEnabled(ask);
    await ask.click();
    await byTestId(cust, 'prompt-view');
    await clickRole(cust, 'button', 'No, refuse: View your screen');
    await waitPermission(tech, 'view', 'denied');
    await waitPermission(cust, 'view', 'denied');
    // Ask again: yes, and the browser shares its (fake) screen.
    await waitEnabled(ask);
    await ask.click();
    const yes = await byRole(cust, 'button', 'Yes, allow: View your screen');
    const t0 = Date.now();
    await yes.click();
    await waitPermission(tech, 'view', 'granted');
    await byTestId(cust, 'sharing-status');
    // The logs read as sentences: "Ann Tech asked: View your screen.", "View your screen: granted by …", never "Name: asked: …".
    const techLog = await texts(tech, '[data-testid="session-log"] li');
    expect(techLog.filter((l) => l.includes(`${TECH.name} asked: View your screen.`)), techLog.join(' | ')).to.have.length(2);
    expect(techLog.some((l) => / denied by .+\.$/.test(l) && l.includes('View your screen: denied by ')), techLog.join(' | ')).to.equal(true);
    expect(techLog.filter((l) => /: (asked|asks|Asked):/i.test(l)), 'a doubled colon').to.deep.equal([]);
    const custLog = await texts(cust, '[data-testid="session-log"] li');
    expect(custLog.filter((l) => l.includes(`${TECH.name} asks: View your screen`)), custLog.join(' | ')).to.have.length(2);
    expect(custLog.some((l) => l.includes('View your screen: granted by you')), custLog.join(' | ')).to.equal(true);
    expect(custLog.filter((l) => /: (asked|asks|Asked):/i.test(l)), 'a doubled colon').to.deep.equal([]);
    const video = await byTestId(tech, 'remote-video');
    let frames = 0;
    for (let i = 0; i < 200 && frames === 0; i++) {
      frames = await video.evaluate((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
      if (frames === 0) await new Promise((r) => setTimeout(r, 50));
    }
    measured.firstFrameMs = Date.now() - t0;
    expect(frames, 'decoded frames').to.be.greaterThan(0);
    const size = await video.evaluate((v) => [(v as HTMLVideoElement).videoWidth, (v as HTMLVideoElement).videoHeight]);
    measured.videoSize = size.join('x');
    expect(size[0]).to.be.greaterThan(0);
    // Frame rate over a second of playback.
    const fps = await video.evaluate(async (v) => {
      const el = v as HTMLVideoElement;
      const a = el.getVideoPlaybackQuality().totalVideoFrames;
      await new Promise((r) => setTimeout(r, 2000));
      return (el.getVideoPlaybackQuality().totalVideoFrames - a) / 2;
    });
    measured.fps = fps;
    expect(fps).to.be.greaterThan(0);
  });

  it('connection facts show the path, round trip and frame rate', async () => {
    for (let i = 0; i < 50; i++) {
      const path = (await texts(tech, '[data-testid="fact-path"]'))[0] ?? '';
      if (path.startsWith('Direct') || path.startsWith('Relayed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [path] = await texts(tech, '[data-testid="fact-path"]');
    const [rtt] = await texts(tech, '[data-testid="fact-rtt"]');
    const [bitrate] = await texts(tech, '[data-testid="fact-bitrate"]');
    measured.path = path ?? '';
    measured.rtt = rtt ?? '';
    measured.bitrate = bitrate ?? '';
    expect(path).to.match(/^Direct/);
    const warn = await texts(tech, '[data-testid="turn-warning"]');
    expect(warn[0]).to.equal('TURN not configured: only direct connections');
  });

  it('they chat both ways', async () => {
    await sendChat(tech, 'Hello from the technician');
    await waitChat(cust, 'Hello from the technician');
    await sendChat(cust, 'Hi, my printer is broken');
    await waitChat(tech, 'Hi, my printer is broken');
  });

  it('many chat messages at 390x844: the chat scrolls to the newest, which is on screen and not cut off', async function () {
    this.timeout(240_000);
    try {
      // The messages arrive while the page is wide; then the window narrows (a phone turned, a window resized):
      // the lines re-wrap, and the newest must stay in view.
      for (let i = 1; i <= 15; i++) await sendChat(tech, `Step ${i} of 15: what does line two say?`);
      await waitChat(cust, 'Step 15 of 15');
      await cust.setViewport({ width: 390, height: 844 });
      await new Promise((r) => setTimeout(r, 200));
      // What a person does: scroll the page to the chat's field, then read the newest message.
      const seen = (await cust.evaluate(`(async () => {
        const chat = document.querySelector('rr-support-page').shadowRoot.querySelector('rr-customer-session').shadowRoot.querySelector('rr-chat');
        const root = chat.shadowRoot;
        const list = root.querySelector('[data-testid="chat-messages"]');
        root.querySelector('#chat-input').scrollIntoView({ block: 'end' });
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const last = list.lastElementChild.getBoundingClientRect();
        const box = list.getBoundingClientRect();
        const hit = root.elementFromPoint(last.left + last.width / 2, last.top + Math.min(last.height / 2, 10));
        return {
          scrolls: list.scrollHeight > list.clientHeight,
          listHeight: Math.round(box.height),
          lastInList: last.top >= box.top - 1 && last.bottom <= box.bottom + 1,
          lastOnScreen: last.top >= 0 && last.bottom <= window.innerHeight,
          lastHit: hit !== null && list.lastElementChild.contains(hit),
          text: list.lastElementChild.textContent.replace(/\\s+/g, ' ').trim(),
          logLastInList: (() => {
            const log = document.querySelector('rr-support-page').shadowRoot.querySelector('rr-customer-session').shadowRoot.querySelector('rr-session-log').shadowRoot.querySelector('[data-testid="session-log"]');
            const a = log.lastElementChild.getBoundingClientRect();
            const b = log.getBoundingClientRect();
            return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
          })(),
        };
      })()`)) as { scrolls: boolean; listHeight: number; lastInList: boolean; lastOnScreen: boolean; lastHit: boolean; text: string; logLastInList: boolean };
      fs.mkdirSync(SHOT_DIR, { recursive: true });
      await cust.screenshot({ path: path.join(SHOT_DIR, 'customer-chat-many-viewport-390x844.png') });
      await screenshotAt(cust, 'customer-chat-many', 390, 844);
      await screenshotAt(cust, 'customer-chat-many', 1280, 800);
      measured.chatAt390 = JSON.stringify(seen);
      expect(seen.scrolls, 'the list scrolls (15 messages do not fit)').to.equal(true);
      expect(seen.text).to.include('Step 15 of 15');
      expect(seen, JSON.stringify(seen)).to.include({ lastInList: true, lastOnScreen: true, lastHit: true, logLastInList: true });
    } finally {
      await cust.setViewport({ width: 1280, height: 800 });
    }
  });

  it('a fake name in the console\'s hello ("Microsoft Support") never reaches the customer: the page keeps the verified name', async () => {
    // What a tampered console could send: its own hello, claiming another name.
    const sent = await tech.evaluate(() => {
      type Tab = { engine: { peer: { send(channel: string, msg: unknown): boolean } | null } };
      const app = document.querySelector('rr-console-app') as unknown as { model: { tabs: Tab[] } } | null;
      return app?.model.tabs[0]?.engine.peer?.send('control', {
        type: 'hello', role: 'technician', client: 'browser', name: 'Microsoft Support',
        capabilities: { input: true, screens: true, clipboard: true, files: true },
      }) ?? false;
    });
    expect(sent, 'the console tab has an open control channel').to.equal(true);
    await sendChat(tech, 'After the fake hello');
    await waitChat(cust, 'After the fake hello');
    const name = await byTestId(cust, 'technician-name');
    expect(await name.evaluate((el) => el.textContent)).to.equal(TECH.name);
    // Every element's text, shadow roots included (the chat, the log, the header).
    const pageText = (await texts(cust, '*')).join('\n');
    expect(pageText).to.not.include('Microsoft Support');
  });

  it('a 5 MB file crosses each way with matching SHA-256', async () => {
    await clickRole(tech, 'button', 'Ask for file transfer');
    await clickRole(cust, 'button', 'Yes, allow: Send and receive files');
    await waitPermission(tech, 'files', 'granted');

    const toCustomer = path.join(tmp, 'tools.bin');
    const toTech = path.join(tmp, 'logs.bin');
    fs.writeFileSync(toCustomer, crypto.randomBytes(FILE_BYTES));
    fs.writeFileSync(toTech, crypto.randomBytes(FILE_BYTES - 777));
    const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

    const t0 = Date.now();
    const techInput = (await byTestId(tech, 'file-input')) as ElementHandle<HTMLInputElement>;
    await waitEnabled(techInput);
    await techInput.uploadFile(toCustomer);
    const got = await sha256OfDownload(cust, custDownloads, 'tools.bin', FILE_BYTES);
    measured.fileTechToCustomerMs = Date.now() - t0;
    expect(got).to.equal(hash(toCustomer));

    const t1 = Date.now();
    const custInput = (await byTestId(cust, 'file-input')) as ElementHandle<HTMLInputElement>;
    await waitEnabled(custInput);
    await custInput.uploadFile(toTech);
    const got2 = await sha256OfDownload(tech, techDownloads, 'logs.bin', FILE_BYTES - 777);
    measured.fileCustomerToTechMs = Date.now() - t1;
    expect(got2).to.equal(hash(toTech));
    // The sender's row shows the verified hash too.
    const sent = await tech.$('pierce/[data-testid="transfer"][data-direction="send"][data-phase="done"]');
    expect(await sent!.evaluate((el) => el.getAttribute('data-sha256'))).to.equal(hash(toCustomer));
  });

  it('every control in a live session has an accessible name, is reachable by Tab, and fits 1280x800 and 390x844', async () => {
    for (const [who, page] of [['technician', tech], ['customer', cust]] as const) {
      const named = await unnamedControls(page);
      expect(named.controls, `${who} controls`).to.be.greaterThan(5);
      expect(named.unnamed, `${who} unnamed controls`).to.deep.equal([]);
      const tab = await unreachableByTab(page);
      expect(tab.total, `${who} focusable`).to.be.greaterThan(5);
      expect(tab.missed, `${who} not reachable by Tab`).to.deep.equal([]);
      measured[`${who}Controls`] = named.controls;
      await screenshotAt(page, `${who}-session`, 1280, 800);
      await screenshotAt(page, `${who}-session`, 390, 844);
    }
  });

  it('the customer revokes view, then everything; the technician sees it', async () => {
    await clickRole(cust, 'button', 'Stop: View your screen');
    await waitPermission(tech, 'view', 'revoked');
    await waitForFn(cust, () => !document.querySelector('rr-support-page')?.shadowRoot?.querySelector('rr-customer-session')?.shadowRoot?.querySelector('[data-testid="sharing-status"]'), 5000, 'sharing status gone');
    await clickRole(cust, 'button', 'Stop all access now');
    await waitPermission(tech, 'files', 'revoked');
    await waitPermission(cust, 'files', 'revoked');
    const input = (await byTestId(tech, 'file-input')) as ElementHandle<HTMLInputElement>;
    await waitForFn(tech, () => true);
    expect(await input.evaluate((i) => i.disabled)).to.equal(true);
  });

  it('issue 15.11: a reload mid-session resumes the same session with its chat and log, not the code form', async () => {
    await cust.reload();
    await byRole(cust, 'button', 'Stop all access now');
    await waitChat(cust, 'Hello from the technician');
    expect((await texts(cust, '[data-testid="chat-messages"] li[data-from="me"]')).some((t) => t.includes('Hi, my printer is broken'))).to.equal(true);
    const log = await texts(cust, '[data-testid="session-log"] li');
    expect(log.some((l) => l.includes('View your screen: granted')), log.join(' | ')).to.equal(true);
    expect(await cust.$('pierce/[data-testid="reshare"]'), 'nothing was shared at the reload').to.equal(null);
  });

  it('the customer ends the session and the technician sees it ended', async () => {
    await clickRole(cust, 'button', 'End session');
    await byTestId(cust, 'ended');
    const ended = await byTestId(tech, 'ended');
    expect(await ended.evaluate((el) => el.textContent ?? '')).to.match(/ended/i);
    // Said once in the technician's log (the engine logged it and the console's tab used to log it again).
    const log = await texts(tech, '[data-testid="session-log"] li');
    expect(log.filter((l) => l.includes('The customer ended the session.')), log.join(' | ')).to.have.length(1);
  });
});

