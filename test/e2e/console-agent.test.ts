import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { BrowserContext, ElementHandle, Page } from 'puppeteer-core';
import { openDisplay, xcall, type XConnection, type XEvent } from '../../agent/platform/linux-x11/display.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';
import { drawRect, startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
import { startCoturn, type Coturn } from '../turn/helpers/coturn.ts';
import { byTestId, clickRole, createTechnician, ensureBuilt, launchChromium, newPage, pollFor, RECORD_PEER_CONNECTIONS, startWebServer, texts } from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';
import { createCode, isRed, permissionState, sampleVideo, sendChat, sha256, sha256OfDownload, sleep, start, until, videoPoint, waitPermission, watchRed } from './console-driver.ts';

/**
 * The real technician console (production web build, headless Chromium) against
 * the real agent process sharing a private Xvfb: video, remote control with and
 * without the grant, files both ways, the end of the session, and the same pair
 * relay-only through a real coturn.
 */

const TECH = { email: 'console-agent@example.test', name: 'Carla Console', password: 'correct horse battery staple' };
const SCREEN = { width: 1280, height: 720 };
/** A red region on the X screen (0xRRGGBB) and a green window that records keys and buttons. */
const RED = { x: 100, y: 100, w: 200, h: 100, rgb: 0xdd2211 };
const TARGET = { x: 800, y: 400, w: 300, h: 200, rgb: 0x22aa44 };
/** Where the technician clicks, in X pixels (inside TARGET, away from the screen centre where the pointer starts). */
const CLICK = { x: 950, y: 500 };
const KEYSYM = { o: 0x6f, k: 0x6b, Return: 0xff0d };

describe('e2e: the real technician console with the real agent', function () {
  this.timeout(120_000);
  let xvfb: TestXvfb;
  let x: XConnection;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  /** Keysyms of KeyPress events and the names of button events the target window received. */
  const keys: number[] = [];
  const buttons: { name: string; x: number; y: number }[] = [];
  let keysyms = new Map<number, number>();

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    [xvfb, chromium] = await Promise.all([startXvfb(SCREEN.width, SCREEN.height), launchChromium()]);
    x = await openDisplay(xvfb.display);
    drawRect(x, RED.x, RED.y, RED.w, RED.h, RED.rgb);
    // A focused window that records key presses and button presses, as an application would.
    const win = x.client.AllocID();
    const KEY_PRESS_MASK = 1;
    const BUTTON_PRESS_MASK = 4;
    const BUTTON_RELEASE_MASK = 8;
    x.client.CreateWindow(win, x.root, TARGET.x, TARGET.y, TARGET.w, TARGET.h, 0, 0, 0, 0, {
      backgroundPixel: TARGET.rgb,
      overrideRedirect: 1,
      eventMask: KEY_PRESS_MASK | BUTTON_PRESS_MASK | BUTTON_RELEASE_MASK,
    });
    x.client.MapWindow(win);
    await xcall((cb) => x.client.GetInputFocus(cb));
    x.client.SetInputFocus(win, 1);
    const { min_keycode: min, max_keycode: max } = x.client.display;
    const rows = await xcall<number[][]>((cb) => x.client.GetKeyboardMapping(min, max - min + 1, cb));
    keysyms = new Map(rows.map((row, i) => [min + i, row[0] ?? 0]));
    x.client.on('event', (ev: XEvent) => {
      if (ev.name === 'KeyPress' && typeof ev.keycode === 'number') keys.push(keysyms.get(ev.keycode) ?? 0);
      if (ev.name === 'ButtonPress' || ev.name === 'ButtonRelease') buttons.push({ name: ev.name, x: Number(ev['rootx']), y: Number(ev['rooty']) });
    });
  });

  after(async () => {
    await chromium?.close();
    x?.close();
    await xvfb?.stop();
  });

  const pointer = (): Promise<{ rootX: number; rootY: number }> => xcall((cb) => x.client.QueryPointer(x.root, cb));

  /** Starts the agent for a code with some permissions granted up front (never control). */
  function startAgent(srv: TestServer, code: string, downloads: string, autoGrant: string): AgentProcess {
    return spawnAgent([
      '--server', srv.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads,
      '--auto-grant', autoGrant, '--fps', '15', '--name', 'Agent Customer',
    ]);
  }

  describe('real console + real agent under Xvfb', function () {
    let srv: TestServer;
    let ctx: BrowserContext;
    let tech: Page;
    let agent: AgentProcess;
    let downloads: string;
    let browserDownloads: string;
    let outbox: string;
    let received = '';

    before(async () => {
      srv = await startWebServer();
      await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
      downloads = fs.mkdtempSync(path.join(srv.dir, 'agent-dl-'));
      browserDownloads = fs.mkdtempSync(path.join(srv.dir, 'browser-dl-'));
      outbox = fs.mkdtempSync(path.join(srv.dir, 'outbox-'));
      ctx = await chromium.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: browserDownloads } });
      tech = await newPage(ctx);
      await tech.evaluateOnNewDocument(RECORD_PEER_CONNECTIONS);
    });

    after(async () => {
      await agent?.kill();
      await ctx?.close().catch(() => undefined);
      await srv?.close();
    });

    it('the console creates a code, the agent joins with it, Start, the agent allows view: the X screen with the red region shows', async () => {
      const { code, sessionId } = await createCode(tech, srv.url, TECH, false);
      agent = startAgent(srv, code, downloads, 'files');
      await agent.waitLine(/Connected to session/);
      await start(tech, sessionId);
      await waitPermission(tech, 'files', 'granted');
      expect(await permissionState(tech, 'view')).to.equal('not_asked');
      await clickRole(tech, 'button', 'Ask to view screen');
      await agent.waitLine(new RegExp(`^\\? ${TECH.name} \\(${TECH.email}\\) asks for view: .*Allow\\? \\[y/N\\]`));
      // Naming the permission answers at once (a bare "y" counts once the question has stood alone for 1 s).
      agent.type('yes view');
      const sample = await watchRed(tech, RED, SCREEN);
      expect([sample.width, sample.height]).to.deep.equal([SCREEN.width, SCREEN.height]);
      // Away from the red region the picture is not red (the check can fail).
      const elsewhere = await sampleVideo(tech, 0.75, 0.1);
      expect(isRed(elsewhere!.rgb), `pixel outside the red region: ${elsewhere!.rgb.join(',')}`).to.equal(false);
      await waitPermission(tech, 'view', 'granted');
      await waitPermission(tech, 'files', 'granted');
      expect(await permissionState(tech, 'control')).to.equal('not_asked');
      // The agent lists its screens; the console offers them for switching.
      await pollFor(tech, 'pierce/[data-testid="screen-select"] option');
      const options = await texts(tech, '[data-testid="screen-select"] option');
      expect(options.some((o) => o.includes(`${SCREEN.width}x${SCREEN.height}`)), options.join(' | ')).to.equal(true);
    });

    it("the console's video receiver asks the browser to render each frame at once (jitterBufferTarget 0)", async () => {
      const targets = await tech.evaluate(`(window.__rrPeerConnections ?? []).flatMap((pc) =>
        pc.getReceivers().filter((r) => r.track && r.track.kind === 'video').map((r) => r.jitterBufferTarget))`);
      expect(targets).to.deep.equal([0]);
    });

    it('without the control grant, clicks and typing on the remote screen reach nothing in X', async () => {
      const before = await pointer();
      const keysBefore = keys.length;
      const buttonsBefore = buttons.length;
      const at = await videoPoint(tech, CLICK.x, CLICK.y, SCREEN);
      await tech.mouse.move(at.x, at.y);
      await tech.mouse.click(at.x, at.y);
      await tech.keyboard.type('no');
      await tech.keyboard.press('Enter');
      await sleep(600);
      expect(await pointer()).to.deep.include({ rootX: before.rootX, rootY: before.rootY });
      expect(keys.length, 'key presses').to.equal(keysBefore);
      expect(buttons.length, 'button events').to.equal(buttonsBefore);
    });

    it('once the agent grants control, a click lands at the matching X pixel and typed keys reach X', async () => {
      agent.type('/grant control');
      await waitPermission(tech, 'control', 'granted');
      const label = await (await byTestId(tech, 'remote-video')).evaluate((el) => el.getAttribute('aria-label') ?? '');
      expect(label).to.contain('Remote control is on');

      const at = await videoPoint(tech, CLICK.x, CLICK.y, SCREEN);
      await tech.mouse.move(at.x, at.y);
      await tech.mouse.click(at.x, at.y);
      await until(() => buttons.some((b) => b.name === 'ButtonRelease'), 'a button press and release on the target window');
      const p = await pointer();
      expect(Math.abs(p.rootX - CLICK.x), `pointer x ${p.rootX}`).to.be.at.most(2);
      expect(Math.abs(p.rootY - CLICK.y), `pointer y ${p.rootY}`).to.be.at.most(2);
      const press = buttons.find((b) => b.name === 'ButtonPress');
      expect(press, 'ButtonPress').to.not.equal(undefined);
      expect(Math.abs(press!.x - CLICK.x)).to.be.at.most(2);

      const keysBefore = keys.length;
      await tech.keyboard.type('ok');
      await tech.keyboard.press('Enter');
      await until(() => keys.length >= keysBefore + 3, 'three key presses in X');
      expect(keys.slice(keysBefore)).to.deep.equal([KEYSYM.o, KEYSYM.k, KEYSYM.Return]);
    });

    it('files cross both ways through the console file panel with matching SHA-256', async () => {
      const toAgent = crypto.randomBytes(1024 * 1024 + 4321);
      const toAgentFile = path.join(outbox, 'tools.bin');
      fs.writeFileSync(toAgentFile, toAgent);
      const input = (await byTestId(tech, 'file-input')) as ElementHandle<HTMLInputElement>;
      await until(async () => !(await input.evaluate((i) => i.disabled)), 'the file input enabled');
      await input.uploadFile(toAgentFile);
      await agent.waitLine(/Saved tools\.bin/, 30_000);
      received = 'tools.bin';
      expect(sha256(fs.readFileSync(path.join(downloads, received)))).to.equal(sha256(toAgent));

      const toConsole = crypto.randomBytes(700_000);
      const report = path.join(outbox, 'report.log');
      fs.writeFileSync(report, toConsole);
      agent.type(`/send ${report}`);
      expect(await sha256OfDownload(tech, browserDownloads, 'report.log', toConsole.length)).to.equal(sha256(toConsole));
    });

    it('End in the console mid-transfer ends the agent: exit status 0, no .part left, only the received file in its download folder', async () => {
      const big = path.join(outbox, 'big.bin');
      fs.writeFileSync(big, crypto.randomBytes(32 * 1024 * 1024));
      const input = (await byTestId(tech, 'file-input')) as ElementHandle<HTMLInputElement>;
      await input.uploadFile(big);
      await until(() => fs.readdirSync(downloads).some((n) => n.endsWith('.part')), 'a partial download in the agent folder', 30_000);
      await clickRole(tech, 'button', 'End session');
      // The console asks once before ending (issue 15.10).
      await (await byTestId(tech, 'confirm-ok')).click();
      const ended = await byTestId(tech, 'ended');
      expect(await ended.evaluate((el) => el.textContent ?? '')).to.match(/ended/i);
      const status = await Promise.race([agent.exited, sleep(15_000).then(() => 'still running')]);
      expect(status, `signal ${agent.child.signalCode}; agent output:\n${agent.lines.slice(-10).join('\n')}`).to.equal(0);
      expect(fs.readdirSync(downloads)).to.deep.equal([received]);
    });
  });

  describe('relay only through coturn: console ↔ agent', function () {
    let coturn: Coturn;
    let srv: TestServer;
    let ctx: BrowserContext;
    let tech: Page;
    let agent: AgentProcess;
    let downloads: string;
    let sessionId = '';

    before(async () => {
      coturn = await startCoturn({ args: ['-v'] });
      srv = await startWebServer({ TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`, TURN_SECRET: coturn.secret });
      await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
      downloads = fs.mkdtempSync(path.join(srv.dir, 'agent-dl-'));
      ctx = await chromium.browser.createBrowserContext();
      tech = await newPage(ctx);
    });

    after(async () => {
      await agent?.kill();
      await ctx?.close().catch(() => undefined);
      await srv?.close();
      await coturn?.stop();
    });

    it('with "Force relay" ticked, the video arrives and the console shows a relayed path with relay candidates', async () => {
      const created = await createCode(tech, srv.url, TECH, true);
      sessionId = created.sessionId;
      agent = startAgent(srv, created.code, downloads, 'view,files');
      await agent.waitLine(/Connected to session/);
      await start(tech, sessionId);
      const sample = await watchRed(tech, RED, SCREEN);
      expect(sample.frames).to.be.greaterThan(0);
      const facts = await until(async () => {
        const [p] = await texts(tech, '[data-testid="fact-path"]');
        return p && p !== '—' ? p : null;
      }, 'the connection path in the console');
      expect(facts).to.match(/^Relayed \(TURN\) \(relay\/(udp|tcp) → relay\)$/);
      expect(await texts(tech, '[data-testid="turn-warning"]')).to.deep.equal([]);
    });

    it('chat crosses both ways through the relay', async () => {
      await sendChat(tech, 'Hello through the relay');
      await agent.waitLine(/Hello through the relay/);
      agent.type('Reply through the relay');
      await until(async () => (await texts(tech, '[data-testid="chat-messages"] li[data-from="peer"]')).some((t) => t.includes('Reply through the relay')), 'the agent chat message in the console');
    });

    it('a file from the console reaches the agent through the relay with matching SHA-256', async () => {
      const bytes = crypto.randomBytes(300_000);
      const file = path.join(srv.dir, 'relayed.bin');
      fs.writeFileSync(file, bytes);
      const input = (await byTestId(tech, 'file-input')) as ElementHandle<HTMLInputElement>;
      await until(async () => !(await input.evaluate((i) => i.disabled)), 'the file input enabled');
      await input.uploadFile(file);
      await agent.waitLine(/Saved relayed\.bin/, 30_000);
      expect(sha256(fs.readFileSync(path.join(downloads, 'relayed.bin')))).to.equal(sha256(bytes));
    });

    it("coturn logged allocations for this session's technician and customer", async () => {
      for (const role of ['technician', 'customer']) {
        const pattern = new RegExp(`user <\\d+:${sessionId}-${role}>: incoming packet ALLOCATE processed, success`);
        expect(await coturn.waitForLog(pattern), `${role} allocation in the coturn log`).to.equal(true);
      }
    });

    it('End in the console ends the relayed session and the agent exits 0', async () => {
      await clickRole(tech, 'button', 'End session');
      // The console asks once before ending (issue 15.10).
      await (await byTestId(tech, 'confirm-ok')).click();
      const status = await Promise.race([agent.exited, sleep(15_000).then(() => 'still running')]);
      expect(status, `signal ${agent.child.signalCode}; agent output:\n${agent.lines.slice(-10).join('\n')}`).to.equal(0);
      expect(fs.readdirSync(downloads)).to.deep.equal(['relayed.bin']);
    });
  });
});
