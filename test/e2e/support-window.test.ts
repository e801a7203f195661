import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import { openDisplay, xcall, type XConnection, type XEvent } from '../../agent/platform/linux-x11/display.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { buildApplet, type BuiltApplet } from '../../scripts/build-applet.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';
import { drawRect, startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
import {
  byRole,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  newPage,
  screenshotAt,
  startWebServer,
  texts,
  unnamedControls,
  unreachableByTab,
  type TestServer,
} from '../../testkit/web-harness.ts';
import { createCode, sendChat, sha256, sha256OfDownload, sleep, start, until, videoPoint, waitPermission, watchRed } from './console-driver.ts';

const TECH = { email: 'window-tech@example.test', name: 'Wanda Window', password: 'correct horse battery staple' };
const SCREEN = { width: 1280, height: 720 };
const RED = { x: 100, y: 100, w: 200, h: 100, rgb: 0xdd2211 };
const TARGET = { x: 800, y: 400, w: 300, h: 200, rgb: 0x22aa44 };
const CLICK = { x: 950, y: 500 };
const APPLET = 'relay-rescue-support-linux-x64';

/** Text of the first element matching `selector` in the support window (shadow roots searched). */
async function windowText(page: Page, selector: string): Promise<string> {
  const el = await page.waitForSelector(`pierce/${selector}`, { timeout: 15_000 });
  return (await el!.evaluate((e) => e.textContent ?? '')).replace(/\s+/g, ' ').trim();
}

/**
 * Issue 12's end-to-end test: the real server, the real console, and the
 * single-file Linux applet as a customer gets it: downloaded from the support
 * page's own link into an empty folder, run under Xvfb with --no-open, its
 * support window (the browser page's Lit customer components over the local
 * WebSocket) opened from the printed URL in a second Chromium page. Every
 * answer is given in that window; the terminal is never typed into.
 *
 * The agent's file picker is the desktop's own (`zenity --file-selection`,
 * agent/platform/linux-x11/pick-file.ts): the test puts a `zenity` first on
 * the applet's PATH that prints the path of the file to send, as the real one
 * prints the picked path. The agent then reads the file from disk.
 */
describe('e2e: the support app window (single-file applet, real console, Xvfb)', function () {
  this.timeout(120_000);
  let built: BuiltApplet;
  let xvfb: TestXvfb;
  let x: XConnection;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let srv: TestServer;
  let techCtx: BrowserContext;
  let tech: Page;
  let customer: Page;
  let win: Page;
  let applet: AgentProcess;
  let folder: string;
  let home: string;
  let temp: string;
  let bin: string;
  let browserDownloads: string;
  let sessionId = '';
  const buttons: { name: string; x: number; y: number }[] = [];
  const toSend = crypto.randomBytes(600_000);

  before(async function () {
    this.timeout(300_000);
    ensureBuilt();
    built = await buildApplet({ log: (line) => process.stderr.write(`${line}\n`) });
    [xvfb, chromium] = await Promise.all([startXvfb(SCREEN.width, SCREEN.height), launchChromium()]);
    x = await openDisplay(xvfb.display);
    drawRect(x, RED.x, RED.y, RED.w, RED.h, RED.rgb);
    // A window that records button presses, as an application would.
    const target = x.client.AllocID();
    x.client.CreateWindow(target, x.root, TARGET.x, TARGET.y, TARGET.w, TARGET.h, 0, 0, 0, 0, { backgroundPixel: TARGET.rgb, overrideRedirect: 1, eventMask: 4 | 8 });
    x.client.MapWindow(target);
    await xcall((cb) => x.client.GetInputFocus(cb));
    x.client.on('event', (ev: XEvent) => {
      if (ev.name === 'ButtonPress' || ev.name === 'ButtonRelease') buttons.push({ name: ev.name, x: Number(ev['rootx']), y: Number(ev['rooty']) });
    });
    // The download must outlast the HTTP code entry's grace on a loaded machine.
    srv = await startWebServer({ RECONNECT_GRACE_SECONDS: '120' }, { agentRoot: path.dirname(built.file) });
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    folder = fs.mkdtempSync(path.join(srv.dir, 'customer-downloads-'));
    home = fs.mkdtempSync(path.join(srv.dir, 'customer-home-'));
    temp = fs.mkdtempSync(path.join(srv.dir, 'customer-tmp-'));
    bin = fs.mkdtempSync(path.join(srv.dir, 'picker-'));
    browserDownloads = fs.mkdtempSync(path.join(srv.dir, 'console-downloads-'));
    const report = path.join(bin, 'report.bin');
    fs.writeFileSync(report, toSend);
    fs.writeFileSync(path.join(bin, 'zenity'), `#!/bin/sh\nprintf '%s\\n' '${report}'\n`, { mode: 0o755 });
    techCtx = await chromium.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: browserDownloads } });
    tech = await newPage(techCtx);
    customer = await newPage(await chromium.browser.createBrowserContext());
  });

  after(async () => {
    await applet?.kill();
    await chromium?.close();
    await srv?.close();
    x?.close();
    await xvfb?.stop();
  });

  it('the support page offers the Linux file; downloaded into an empty folder and run, it prints its window and the page says it is running', async () => {
    const created = await createCode(tech, srv.url, TECH, false);
    sessionId = created.sessionId;
    await customer.goto(`${srv.url}/`);
    await (await byRole(customer, 'textbox', 'Enter your 6-digit code')).type(created.code);
    await clickRole(customer, 'button', 'Start');
    await clickRole(customer, 'button', 'Run the support app');
    const link = await byRole(customer, 'link', 'Download the support app for Linux');
    const href = await link.evaluate((a) => (a as HTMLAnchorElement).href);
    const res = await fetch(href);
    expect(res.status).to.equal(200);
    const file = path.join(folder, APPLET);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    fs.chmodSync(file, 0o755);
    applet = spawnAgent(['--no-open', '--fps', '15'], { HOME: home, TMPDIR: temp, DISPLAY: xvfb.display, USER: 'customer', PATH: `${bin}:${process.env['PATH'] ?? ''}` }, { command: file, cwd: folder });
    const line = await applet.waitLine(/^Support window: http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{22,}\/$/, 60_000);
    await applet.waitLine(/Connected to session/, 60_000);
    expect(await windowText(customer, '[data-testid="agent-connected"]')).to.equal('The support app is running: continue in its window.');
    win = await newPage(await chromium.browser.createBrowserContext());
    await win.goto(line.slice('Support window: '.length));
  });

  it('the window names the technician and account as the server verified them', async () => {
    expect(await windowText(win, '[data-testid="technician-name"]')).to.equal(TECH.name);
    expect(await windowText(win, '[data-testid="technician-account"]')).to.equal(TECH.email);
    await start(tech, sessionId);
  });

  it('Yes to view in the window: the X screen shows at the console', async () => {
    await clickRole(tech, 'button', 'Ask to view screen');
    await byTestId(win, 'prompt-view');
    expect(await windowText(win, '[data-testid="prompt-view"] p')).to.equal(`${TECH.name} asks: View your screen?`);
    await clickRole(win, 'button', 'Yes, allow: View your screen');
    await watchRed(tech, RED, SCREEN);
    await waitPermission(tech, 'view', 'granted');
  });

  it('Yes to control in the window: a click at the console lands in X', async () => {
    await clickRole(tech, 'button', 'Ask for remote control');
    await clickRole(win, 'button', 'Yes, allow: Control your mouse and keyboard');
    await waitPermission(tech, 'control', 'granted');
    const at = await videoPoint(tech, CLICK.x, CLICK.y, SCREEN);
    await tech.mouse.click(at.x, at.y);
    await until(() => buttons.some((b) => b.name === 'ButtonRelease'), 'a click on the X window');
    const press = buttons.find((b) => b.name === 'ButtonPress')!;
    expect(Math.abs(press.x - CLICK.x)).to.be.at.most(2);
    expect(Math.abs(press.y - CLICK.y)).to.be.at.most(2);
  });

  it('chat crosses both ways', async () => {
    await sendChat(tech, 'Hello from the console');
    await until(async () => (await texts(win, '[data-testid="chat-messages"] li')).some((t) => t.includes('Hello from the console')), 'the console line in the window');
    await sendChat(win, 'Hello from the window');
    await until(async () => (await texts(tech, '[data-testid="chat-messages"] li')).some((t) => t.includes('Hello from the window')), 'the window line at the console');
  });

  it(`a 100,000-character paste in the window stops at ${LIMITS.chatChars} characters and says so; it and a later line reach the console`, async () => {
    const lines = async (): Promise<string[]> => texts(tech, '[data-testid="chat-messages"] li');
    const before = (await lines()).length;
    const input = await byRole(win, 'textbox', 'Chat message');
    await input.focus();
    await win.keyboard.sendCharacter('w'.repeat(100_000));
    expect(await input.evaluate((el) => (el as HTMLInputElement).value.length)).to.equal(LIMITS.chatChars);
    expect(await texts(win, '[data-testid="chat-limit"]')).to.deep.equal(['At most 4,000 characters a message; the rest was not added.']);
    await input.press('Enter');
    await sendChat(win, 'after the long one');
    await until(async () => (await lines()).some((t) => t.includes('after the long one')), 'the later line at the console');
    const got = (await lines()).slice(before);
    expect(got).to.have.length(2);
    expect(got[0]).to.include('w'.repeat(LIMITS.chatChars)).and.not.include('w'.repeat(LIMITS.chatChars + 1));
  });

  it('a file sent from the window’s picker arrives at the console with the same SHA-256', async () => {
    await clickRole(tech, 'button', 'Ask for file transfer');
    await clickRole(win, 'button', 'Yes, allow: Send and receive files');
    await waitPermission(tech, 'files', 'granted');
    const pick = await byTestId(win, 'file-pick');
    await until(async () => !(await pick.evaluate((b) => (b as HTMLButtonElement).disabled)), 'the picker enabled');
    await pick.click();
    expect(await sha256OfDownload(tech, browserDownloads, 'report.bin', toSend.length)).to.equal(sha256(toSend));
    await until(async () => (await texts(win, '[data-testid="transfer"]')).some((t) => /report\.bin.*Done/.test(t)), 'the window shows the sent file done');
  });

  it('the font size changes in the window', async () => {
    const before = await win.evaluate(() => getComputedStyle(document.documentElement).fontSize);
    await clickRole(win, 'button', 'Larger text');
    expect(await windowText(win, '[data-testid="font-size"]')).to.equal('112.5%');
    expect(await win.evaluate(() => getComputedStyle(document.documentElement).fontSize)).to.not.equal(before);
  });

  it('screenshots at 1280x800 and 390x844: every control named and reachable with Tab', async () => {
    await screenshotAt(win, 'support-window', 1280, 800);
    await screenshotAt(win, 'support-window', 390, 844);
    const named = await unnamedControls(win);
    expect(named.unnamed, `of ${named.controls} controls`).to.deep.equal([]);
    const tab = await unreachableByTab(win);
    expect(tab.missed, `of ${tab.total}`).to.deep.equal([]);
  });

  it('“Stop all access now”: the console loses view and control, and the next click injects nothing', async () => {
    await clickRole(win, 'button', 'Stop all access now');
    await waitPermission(tech, 'control', 'revoked');
    await waitPermission(tech, 'view', 'revoked');
    const seen = buttons.length;
    const pointer = await xcall<{ rootX: number; rootY: number }>((cb) => x.client.QueryPointer(x.root, cb));
    const box = await (await byTestId(tech, 'remote-video')).boundingBox();
    if (box) await tech.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await sleep(600);
    expect(buttons.length).to.equal(seen);
    expect(await xcall<{ rootX: number; rootY: number }>((cb) => x.client.QueryPointer(x.root, cb))).to.deep.include({ rootX: pointer.rootX, rootY: pointer.rootY });
  });

  it('End in the window: the window says so, the agent exits 0 and the folder holds nothing it created, the applet included', async () => {
    await clickRole(win, 'button', 'End session');
    const ended = await win.waitForFunction(
      `(() => { const el = document.querySelector('rr-support-window')?.shadowRoot?.querySelector('[data-testid="ended"]'); return el ? el.textContent.replace(/\\s+/g, ' ').trim() : ''; })()`,
      { timeout: 15_000 },
    );
    expect(await ended.jsonValue()).to.match(/^The session has ended You ended the session\./);
    const status = await Promise.race([applet.exited, sleep(20_000).then(() => 'still running')]);
    expect(status, applet.lines.slice(-10).join('\n')).to.equal(0);
    expect(fs.readdirSync(folder)).to.deep.equal([]);
    expect(fs.readdirSync(temp)).to.deep.equal([]);
  });
});
