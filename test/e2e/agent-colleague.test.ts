import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ElementHandle, Page } from 'puppeteer-core';
import { buildWindowPage } from '../../scripts/build-applet.ts';
import { chooseTechnician, waitVideoGone, waitVideoPlaying } from '../../testkit/handover-driver.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';
import { drawRect, startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
import { openDisplay, type XConnection } from '../../agent/platform/linux-x11/display.ts';
import {
  ROOT,
  byRole,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  logInToConsole,
  newPage,
  screenshotAt,
  startWebServer,
  type TestServer,
} from '../../testkit/web-harness.ts';
import { createCode, start, until, waitPermission } from './console-driver.ts';

const ADA = { email: 'ada.lead@example.test', name: 'Ada Lead', password: 'correct horse battery staple' };
const CLEO = { email: 'cleo.helper@example.test', name: 'Cleo Helper', password: 'correct horse battery staple 3' };

async function textOf(page: Page, testId: string): Promise<string> {
  const el = await byTestId(page, testId);
  return el.evaluate((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** The lead invites Cleo from the session's "Transfer or invite" panel. */
async function invite(lead: Page): Promise<void> {
  await (await byTestId(lead, 'handover-open')).click();
  await chooseTechnician(lead, CLEO.email);
  await clickRole(lead, 'button', 'Invite to help');
}

/**
 * Collaboration with a customer on the support app (issue 16 point 4): the
 * agent (run from source under Xvfb) asks the customer to let the lead's
 * colleague in, by the names the server gives, in its support window (opened
 * in Chromium from the printed URL) or, with --terminal, in the terminal.
 * Once let in, the colleague's console plays the screen; removed, it loses it.
 */
describe('e2e: a colleague joins a support-app session after the customer says yes (window and terminal)', function () {
  this.timeout(180_000);
  let xvfb: TestXvfb;
  let x: XConnection;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let srv: TestServer;
  let ada: Page;
  let cleo: Page;
  let agent: AgentProcess | null = null;

  before(async function () {
    this.timeout(240_000);
    ensureBuilt();
    // The agent run from source serves dist/agent-window: build it from these sources.
    await buildWindowPage(path.join(ROOT, 'dist', 'agent-window'));
    [xvfb, chromium] = await Promise.all([startXvfb(1280, 720), launchChromium()]);
    x = await openDisplay(xvfb.display);
    drawRect(x, 100, 100, 200, 100, 0xdd2211);
    srv = await startWebServer({ RECONNECT_GRACE_SECONDS: '120' });
    for (const t of [ADA, CLEO]) await createTechnician(srv.server, t.email, t.name, t.password);
  });

  afterEach(async () => {
    await agent?.kill();
    agent = null;
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
    x?.close();
    await xvfb?.stop();
  });

  /** Draws something new on the X screen (a still screen sends no frames). */
  let shade = 0;
  function changeScreen(): void {
    shade = (shade + 40) % 200;
    drawRect(x, 400, 300, 120, 80, 0x2040a0 + shade);
  }

  /** A code, the agent on it (`extra` arguments), Start, and view granted with --auto-grant. */
  async function session(extra: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    // Fresh consoles for each session, so no tab of an earlier one is on screen.
    ada = await newPage(await chromium.browser.createBrowserContext());
    cleo = await newPage(await chromium.browser.createBrowserContext());
    await logInToConsole(cleo, srv.url, CLEO.email, CLEO.password);
    await byRole(cleo, 'button', 'Create session code');
    const created = await createCode(ada, srv.url, ADA, false);
    const proc = spawnAgent(['--server', srv.url, '--code', created.code, '--display', xvfb.display, '--auto-grant', 'view', '--fps', '10', ...extra], env);
    agent = proc;
    await proc.waitLine(/Connected to session/, 60_000);
    await start(ada, created.sessionId);
    await waitPermission(ada, 'view', 'granted');
    await waitVideoPlaying(ada, "Ada's console");
    return proc;
  }

  it('in the support window: a received file opens in its folder; the prompt names Cleo and Ada; Yes lets her see the screen; the window removes her and she loses it', async () => {
    // "Show in folder" runs the desktop's xdg-open: a stand-in first on PATH records the folder it is given.
    const bin = fs.mkdtempSync(path.join(srv.dir, 'opener-'));
    const downloads = fs.mkdtempSync(path.join(srv.dir, 'downloads-'));
    const opened = path.join(bin, 'opened.txt');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`, { mode: 0o755 });
    const proc = await session(['--download-dir', downloads, '--auto-grant', 'view,files'], { PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    const line = await proc.waitLine(/^Support window: http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{22,}\/$/);
    const win = await newPage(await chromium.browser.createBrowserContext());
    await win.goto(line.slice('Support window: '.length));
    await byTestId(win, 'technician-name');

    await waitPermission(ada, 'files', 'granted');
    const note = path.join(srv.dir, 'notes.txt');
    fs.writeFileSync(note, 'from the console\n');
    const input = (await byTestId(ada, 'file-input')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(note);
    await (await byTestId(win, 'show-in-folder', 30_000)).click();
    await until(() => fs.existsSync(opened) && fs.readFileSync(opened, 'utf8').trim(), 'xdg-open called');
    expect(fs.readFileSync(opened, 'utf8').trim()).to.equal(downloads);
    expect(fs.readFileSync(path.join(downloads, 'notes.txt'), 'utf8')).to.equal('from the console\n');

    await invite(ada);
    const prompt = await textOf(win, 'prompt-colleague');
    expect(prompt).to.contain(`${ADA.name} asks to bring in ${CLEO.name} (${CLEO.email}) to help`);
    expect(prompt).to.contain(`Control stays with ${ADA.name}`);
    // The terminal asks too; the first answer counts.
    await proc.waitLine(/asks to bring in Cleo Helper \(cleo\.helper@example\.test, verified by the server\).*Let them in\? \[y\/N\]/);
    await screenshotAt(win, 'support-window-colleague-prompt', 1280, 800);
    await screenshotAt(win, 'support-window-colleague-prompt', 390, 844);
    await clickRole(win, 'button', `Yes, let ${CLEO.name} help`);

    expect(await textOf(cleo, 'colleague-role')).to.contain(`You are helping ${ADA.name}`);
    await waitVideoPlaying(cleo, "Cleo's console");
    expect(await textOf(win, 'colleague-status')).to.contain(`${CLEO.name} is also helping`);
    expect(await win.$('pierce/[data-testid="prompt-colleague"]')).to.equal(null);
    await screenshotAt(win, 'support-window-colleague-joined', 1280, 800);
    await screenshotAt(win, 'support-window-colleague-joined', 390, 844);

    // The customer sends Cleo away from the window; Ada keeps the screen.
    await clickRole(win, 'button', `Remove ${CLEO.name}`);
    await waitVideoGone(cleo, "Cleo's console", 10_000);
    expect(await textOf(cleo, 'ended')).to.contain('You are no longer in this session');
    // A change on the (still) screen still reaches Ada: the agent sends frames when the screen changes.
    changeScreen();
    await waitVideoPlaying(ada, "Ada's console after the removal");
    await until(async () => (await win.$('pierce/[data-testid="colleague-status"]')) === null, 'the window drops the colleague line');
    await win.close();
  });

  it('with --terminal: the question names both; "y" once settled lets Cleo in; /remove-colleague removes her', async () => {
    const proc = await session(['--terminal']);
    await invite(ada);
    await proc.waitLine(/^\? Ada Lead asks to bring in Cleo Helper \(cleo\.helper@example\.test, verified by the server\) to help: .* Let them in\? \[y\/N\]$/);
    // A "y" typed at once is not taken (the question must be read first); after the settling time it is.
    await new Promise((r) => setTimeout(r, 1200));
    proc.type('y');
    expect(await textOf(cleo, 'colleague-role')).to.contain(`You are helping ${ADA.name}`);
    await waitVideoPlaying(cleo, "Cleo's console");
    await proc.waitLine(/Cleo Helper joined/);
    proc.type('/remove-colleague');
    await waitVideoGone(cleo, "Cleo's console", 10_000);
    // A change on the (still) screen still reaches Ada: the agent sends frames when the screen changes.
    changeScreen();
    await waitVideoPlaying(ada, "Ada's console after the removal");
  });
});
