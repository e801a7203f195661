import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { buildAgent } from '../../scripts/build-agent.ts';
import { startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
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
  texts,
  waitForFn,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

const TECH = { email: 'hoc@example.test', name: 'Hal Hoc', password: 'correct horse battery staple' };

const unescapeHtml = (s: string): string => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

async function visibleAlerts(page: Page): Promise<string[]> {
  const alerts = await page.$$('pierce/[data-testid="adhoc-error"]');
  const out: string[] = [];
  for (const a of alerts) if (await a.isVisible()) out.push(((await a.evaluate((el) => el.textContent)) ?? '').trim());
  return out;
}

async function stepNow(page: Page): Promise<string> {
  return (await texts(page, 'ol.steps li[aria-current="step"]'))[0] ?? '';
}

/**
 * Issue 15, points 10, 13 and 14, in the console with the real ad hoc agent
 * started by the deployment page's command exactly as shown on the page.
 */
describe('web: ad hoc support pages and the deployment command', function () {
  this.timeout(150_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let tech: Page;
  let agentDist: string;
  let agent: ChildProcess | null = null;
  let agentOut = '';
  let agentExit: Promise<number | null> = Promise.resolve(null);
  let xvfb: TestXvfb | null = null;

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    agentDist = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-agent-dist-'));
    await buildAgent(agentDist);
    srv = await startWebServer({}, { agentRoot: agentDist });
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    tech = await newPage(await chromium.browser.createBrowserContext());
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await byTestId(tech, 'me');
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.pid) process.kill(-agent.pid, 'SIGTERM');
    await chromium?.close();
    await srv?.close();
    await xvfb?.stop();
    fs.rmSync(agentDist, { recursive: true, force: true });
  });

  it('the form says what stops "Send email and prepare session", and the strength meter is labelled', async () => {
    await clickRole(tech, 'link', 'Ad hoc support');
    const send = await byRole(tech, 'button', 'Send email and prepare session');
    expect(await send.evaluate((b) => (b as HTMLButtonElement).disabled)).to.equal(true);
    const why = async (): Promise<string> => (await texts(tech, '[data-testid="prepare-why"]'))[0] ?? '';
    expect(await why()).to.equal("To send, enter the user's email address and a password for the computer (or generate one).");
    // The button's description is that sentence, so a screen reader says it too.
    expect(await send.evaluate((b) => b.getAttribute('aria-describedby'))).to.equal('prepare-why');
    const meter = await byRole(tech, 'meter', 'Password strength');
    expect(await meter.evaluate((m) => (m as HTMLMeterElement).value)).to.equal(0);
    await (await byRole(tech, 'textbox', 'Password for the computer (only you will know it)')).type('abc');
    expect(await why()).to.match(/^To send, make the password stronger: Use at least \d+ characters\./);
    expect((await texts(tech, '[data-testid="strength-text"]'))[0]).to.equal('Very weak');
    await (await byRole(tech, 'textbox', "User's email address")).type('user@example.test');
    await clickRole(tech, 'button', 'Generate a strong password');
    await waitForFn(tech, () => true);
    expect(await why()).to.equal('');
    expect((await texts(tech, '[data-testid="strength-text"]'))[0]).to.equal('Strong enough');
    expect(await send.evaluate((b) => (b as HTMLButtonElement).disabled)).to.equal(false);
    await screenshotAt(tech, 'console-adhoc-form', 1280, 800);
    await screenshotAt(tech, 'console-adhoc-form', 390, 844);
  });

  it('the "shown once" box: its lines do not overlap, and the long link wraps inside it', async () => {
    await clickRole(tech, 'button', 'Send email and prepare session');
    const box = await byTestId(tech, 'shown-once');
    for (const width of [1280, 390]) {
      await tech.setViewport({ width, height: width === 1280 ? 800 : 844 });
      const layout = await box.evaluate((el) => {
        const outer = el.getBoundingClientRect();
        const lines = [...el.querySelectorAll('p')].map((p) => p.getBoundingClientRect());
        const secrets = [...el.querySelectorAll('.secret')].map((s) => s.getBoundingClientRect());
        return { right: outer.right, lines: lines.map((r) => ({ top: r.top, bottom: r.bottom })), secretRight: Math.max(...secrets.map((r) => r.right)) };
      });
      for (let i = 1; i < layout.lines.length; i++) expect(layout.lines[i]!.top, `line ${i} at ${width}px`).to.be.at.least(layout.lines[i - 1]!.bottom);
      expect(layout.secretRight, `secrets inside the box at ${width}px`).to.be.at.most(layout.right);
      await screenshotAt(tech, 'console-adhoc-shown-once', width, width === 1280 ? 800 : 844);
    }
    await tech.setViewport({ width: 1280, height: 800 });
    expect(await stepNow(tech)).to.equal('Waiting for download');
  });

  it("the deployment page's one-line command works pasted as shown, and its long values wrap", async () => {
    const link = (await texts(tech, '[data-testid="deployment-url"]'))[0]!;
    const code = (await texts(tech, '[data-testid="security-code"]'))[0]!;
    const html = await (await fetch(link)).text();
    const command = unescapeHtml(/<pre data-testid="adhoc-command">([^<]+)<\/pre>/.exec(html)?.[1] ?? '');
    // The token rides in the environment, not on the command line that `ps` shows every user.
    expect(command).to.match(/^curl -fsSL http:\/\/127\.0\.0\.1:\d+\/download\/agent\.sh \| RELAY_RESCUE_ADHOC_TOKEN=[A-Za-z0-9_-]+ bash -s -- --server http:\/\/127\.0\.0\.1:\d+$/);

    const page = await newPage(await chromium.browser.createBrowserContext(), 390, 844);
    await page.goto(link);
    const pre = await page.$('pre[data-testid="adhoc-command"]');
    expect(await pre!.evaluate((el) => el.scrollWidth <= el.clientWidth)).to.equal(true);
    await screenshotAt(page, 'adhoc-deployment-page', 390, 844);
    await screenshotAt(page, 'adhoc-deployment-page', 1280, 800);

    // Pasted into a shell. npm is a stand-in that links this repository's node_modules (no registry in tests).
    const bin = fs.mkdtempSync(path.join(srv.dir, 'bin-'));
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nln -s '${path.join(ROOT, 'node_modules')}' node_modules\n`, { mode: 0o755 });
    const home = fs.mkdtempSync(path.join(srv.dir, 'home-'));
    // The user's desktop session: an X display.
    xvfb = await startXvfb(640, 480);
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: home, DISPLAY: xvfb.display };
    // On a terminal (script(1) gives it one), as a person pastes it: the agent reads the code from the keyboard, not from the pipe.
    agent = spawn('script', ['-qec', command, '/dev/null'], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
    const child = agent;
    agentExit = new Promise((resolve) => child.once('exit', (c) => resolve(c)));
    for (let i = 0; i < 300 && !agentOut.includes(`Security code from ${TECH.name}`); i++) await new Promise((r) => setTimeout(r, 100));
    expect(agentOut, 'the agent asks for the security code').to.include(`Security code from ${TECH.name}`);
    child.stdin!.write(`${code}\n`);
    // The console sets the password over the data channel, and the computer is paired.
    for (let i = 0; i < 300 && (await stepNow(tech)) !== 'Activated'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stepNow(tech), agentOut).to.equal('Activated');
    await screenshotAt(tech, 'console-adhoc-paired', 1280, 800);
    await screenshotAt(tech, 'console-adhoc-paired', 390, 844);
    await clickRole(tech, 'button', 'I have noted them');
  });

  it('Connect with a wrong password: the error shows once, on the Computers page', async () => {
    await clickRole(tech, 'link', 'Computers');
    await clickRole(tech, 'button', 'Connect');
    await (await byRole(tech, 'textbox', 'Password')).type('not-the-password');
    await screenshotAt(tech, 'console-computers-connect', 1280, 800);
    await screenshotAt(tech, 'console-computers-connect', 390, 844);
    await clickRole(tech, 'button', 'Connect');
    let alerts: string[] = [];
    for (let i = 0; i < 200 && alerts.length === 0; i++) {
      alerts = await visibleAlerts(tech);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(alerts).to.have.length(1);
    expect(alerts[0]).to.match(/password/i);
    // The other ad hoc page does not repeat it.
    await clickRole(tech, 'link', 'Ad hoc support');
    expect(await visibleAlerts(tech)).to.deep.equal([]);
    await clickRole(tech, 'link', 'Computers');
  });

  it('End on a computer asks once, saying its pairing is removed; then the agent deletes its files and exits', async () => {
    const end = (await tech.$('pierce/td button.danger'))!;
    expect(await end.evaluate((b) => b.getAttribute('aria-label'))).to.match(/^End ad hoc support for .+/);
    await end.click();
    const dialog = await byTestId(tech, 'confirm-dialog');
    const text = await dialog.evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
    expect(text).to.include('is removed from Computers: its pairing ends, nobody can connect to it any more');
    await screenshotAt(tech, 'console-computers-end-confirm', 1280, 800);
    await screenshotAt(tech, 'console-computers-end-confirm', 390, 844);
    await clickRole(tech, 'button', 'Keep it');
    await new Promise((r) => setTimeout(r, 300));
    expect(await texts(tech, 'td')).to.not.deep.equal([]);
    await end.click();
    await clickRole(tech, 'button', 'End and remove the pairing');
    for (let i = 0; i < 100 && !(await texts(tech, 'p')).includes('No computer is paired.'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await texts(tech, 'p')).to.include('No computer is paired.');
    expect(await Promise.race([agentExit, new Promise((r) => setTimeout(() => r('still running'), 20_000))]), agentOut).to.equal(0);
    expect(agentOut).to.include('no longer paired');
  });
});
