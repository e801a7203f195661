import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { openDisplay, xcall, type XConnection } from '../../agent/platform/linux-x11/display.ts';
import { createTechnician, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';
import { drawRect, startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
import { until as waitUntil } from '../../testkit/wait.ts';

const RED = [0xdd, 0x22, 0x11] as const;

/** Chromium needs longer than the default wait here (page start, first key frame). */
const until = (check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => waitUntil(check, what, timeoutMs, 50);

describe('agent end to end with a technician in headless Chromium (Xvfb)', function () {
  this.timeout(90_000);
  let xvfb: TestXvfb;
  let x: XConnection;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let agent: AgentProcess;
  let downloads: string;
  let profile: string;

  before(async () => {
    xvfb = await startXvfb(1280, 720);
    x = await openDisplay(xvfb.display);
    drawRect(x, 100, 100, 200, 100, 0xdd2211);
    server = await startTestServer();
    await createTechnician(server, { email: 'chromium@example.test', password: 'correct-horse-battery', name: 'Chromium Tech' });
    const bundle = await build({
      entryPoints: [new URL('./fixtures/technician-page.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
    });
    profile = mkdtempSync(join(tmpdir(), 'rr-agent-chromium-'));
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage();
    // The server sends a strict CSP; the fixture is injected as an inline script.
    await page.setBypassCSP(true);
    await page.goto(`${server.url}/healthz`);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const code = await page.evaluate(() => (globalThis as unknown as { tech: { start(e: string, p: string): Promise<string> } }).tech.start('chromium@example.test', 'correct-horse-battery'));
    downloads = mkdtempSync(join(tmpdir(), 'rr-agent-dl-'));
    agent = spawnAgent(['--server', server.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads, '--auto-grant', 'view', '--fps', '15']);
    await agent.waitLine(/Connected to session/);
    await page.evaluate(() => (globalThis as unknown as { tech: { activate(): Promise<void> } }).tech.activate());
  });

  after(async () => {
    await agent?.kill();
    await browser?.close();
    await server?.close();
    x?.close();
    await xvfb?.stop();
    for (const dir of [downloads, profile]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  type Tech = { state: { frames: number; permissions: Record<string, string> }; sample(x: number, y: number): number[]; send(c: string, m: unknown): boolean; end(): void };
  const tech = (): Promise<import('puppeteer-core').JSHandle<Tech>> => page.evaluateHandle(() => (globalThis as unknown as { tech: Tech }).tech);
  const evaluate = async <T, A extends unknown[]>(fn: (t: Tech, ...args: A) => T, ...args: A): Promise<T> => {
    const handle = await tech();
    try {
      return (await handle.evaluate(fn as never, ...(args as unknown as never[])));
    } finally {
      await handle.dispose();
    }
  };
  const pointer = (): Promise<{ rootX: number; rootY: number }> => xcall((cb) => x.client.QueryPointer(x.root, cb));

  it('Chromium decodes the agent video and the red region drawn on the X display shows in it', async () => {
    await until(async () => (await evaluate((t) => t.state.frames)) >= 3, 'decoded video frames');
    const [r, g, b, w, h] = await evaluate((t) => t.sample(200, 150));
    expect([w, h]).to.deep.equal([1280, 720]);
    expect(Math.abs(r! - RED[0]) + Math.abs(g! - RED[1]) + Math.abs(b! - RED[2]), `rgb ${r},${g},${b}`).to.be.at.most(60);
  });

  it('input from Chromium without the grant injects nothing; after the grant a click lands', async () => {
    const before = await pointer();
    await evaluate((t) => t.send('input', { type: 'pointer.button', button: 'left', down: true, x: 0.25, y: 0.75 }));
    await evaluate((t) => t.send('input', { type: 'pointer.button', button: 'left', down: false, x: 0.25, y: 0.75 }));
    await new Promise((r) => setTimeout(r, 500));
    expect(await pointer()).to.deep.include({ rootX: before.rootX, rootY: before.rootY });
    agent.type('/grant control');
    await until(async () => (await evaluate((t) => t.state.permissions.control)) === 'granted', 'control granted');
    await evaluate((t) => t.send('input', { type: 'pointer.button', button: 'left', down: true, x: 0.25, y: 0.75 }));
    await evaluate((t) => t.send('input', { type: 'pointer.button', button: 'left', down: false, x: 0.25, y: 0.75 }));
    await until(async () => (await pointer()).rootX === 320, 'pointer at the click');
    expect(await pointer()).to.deep.include({ rootX: 320, rootY: 539 });
  });

  it('the technician ends the session: the agent exits cleanly with its download folder empty of temporaries', async () => {
    await evaluate((t) => t.end());
    expect(await agent.exited).to.equal(0);
    expect(readdirSync(downloads).filter((n) => n.endsWith('.part'))).to.deep.equal([]);
  });
});
