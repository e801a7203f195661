/**
 * The agent's figures: screen capture rate and CPU per method at 1280x720 and
 * 1920x1080 (the chosen ffmpeg x11grab beside the pure-JS X client, in the
 * same run), the agent process's CPU and RSS while streaming to a technician,
 * and input latency from the technician's event to the X server seeing it.
 * Runs its own Xvfb and signaling server on loopback; every loop is bounded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegCapturer } from '../agent/platform/linux-x11/capturer-ffmpeg.ts';
import { X11Capturer } from '../agent/platform/linux-x11/capturer-x11.ts';
import type { ScreenCapturer } from '../agent/platform/screen-capturer.ts';
import { openDisplay, xcall, type XConnection, type XEvent } from '../agent/platform/linux-x11/display.ts';
import { createNodeTechnician, spawnAgent } from '../testkit/node-technician.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { startTestServer } from '../testkit/server.ts';
import type { BenchRow } from './lib/table.ts';
import { cpuSeconds, rssBytes } from './lib/proc.ts';
import { median, p99 } from './lib/stats.ts';

const GROUP = 'agent';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Keeps the screen changing (a window that moves and changes colour 30 times a second) so no frame is skipped as unchanged. */
function animate(x: XConnection): () => void {
  const win = drawRect(x, 0, 0, 300, 200, 0x2288cc);
  let n = 0;
  const timer = setInterval(() => {
    n++;
    x.client.MoveWindow(win, (n * 37) % 1500, (n * 23) % 800);
    x.client.ChangeWindowAttributes(win, { backgroundPixel: (n * 0x10203) & 0xffffff });
    x.client.ClearArea(win, 0, 0, 0, 0, 0);
  }, 33);
  return () => clearInterval(timer);
}

/** Children of a process (Linux), for counting ffmpeg's CPU with the agent's. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
const treeCpu = (pid: number): number => [pid, ...childPids(pid)].reduce((sum, p) => sum + (safe(() => cpuSeconds(p)) ?? 0), 0);
function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** Frames per second and CPU (% of one core, this process plus any capture child) for one capturer. */
async function measureCapture(capturer: ScreenCapturer & { pid?: number | null }, width: number, height: number, fps: number, seconds: number): Promise<{ fps: number; cpu: number }> {
  const screen = { id: 'bench', name: 'bench', x: 0, y: 0, width, height, primary: true };
  let frames = 0;
  await capturer.start(screen, { fps }, () => frames++);
  await sleep(300);
  const pid = capturer.pid ?? null;
  const cpu0 = process.cpuUsage();
  const child0 = pid ? (safe(() => cpuSeconds(pid)) ?? 0) : 0;
  const captured0 = capturer.stats().captured;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const captured = capturer.stats().captured - captured0;
  const cpu = process.cpuUsage(cpu0);
  const child = pid ? (safe(() => cpuSeconds(pid)) ?? child0) - child0 : 0;
  await capturer.stop();
  return { fps: captured / wall, cpu: ((cpu.user + cpu.system) / 1e6 / wall + child / wall) * 100 };
}

/** Which stages to run: AGENT_BENCH_ONLY=capture|stream limits it (for quick checks). */
function wants(stage: 'capture' | 'stream'): boolean {
  const only = process.env.AGENT_BENCH_ONLY;
  return !only || only === stage;
}

export async function runAgentBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const seconds = quick ? 2 : 5;
  const xvfb = await startXvfb(1920, 1080);
  const x = await openDisplay(xvfb.display);
  const stopAnimation = animate(x);
  try {
    for (const [w, h, label] of wants('capture') ? ([[1280, 720, '720p'], [1920, 1080, '1080p']] as const) : []) {
      const ff = await measureCapture(new FfmpegCapturer(xvfb.display), w, h, 240, seconds);
      const js = await measureCapture(new X11Capturer(xvfb.display), w, h, 240, seconds);
      rows.push({ group: GROUP, name: `capture ${label} max, ffmpeg x11grab → I420`, value: ff.fps, unit: 'fps', reference: { name: 'x11 GetImage + JS BGRX→I420', value: js.fps } });
      const ff30 = await measureCapture(new FfmpegCapturer(xvfb.display), w, h, 30, seconds);
      const js30 = await measureCapture(new X11Capturer(xvfb.display), w, h, 30, seconds);
      rows.push({ group: GROUP, name: `capture ${label} at 30 fps, ffmpeg CPU`, value: ff30.cpu, unit: '% core', reference: { name: 'x11 GetImage + JS', value: js30.cpu }, note: `${ff30.fps.toFixed(1)} vs ${js30.fps.toFixed(1)} fps` });
    }
    if (wants('stream')) rows.push(...(await streamingAndLatency(xvfb.display, x, quick)));
  } finally {
    stopAnimation();
    x.close();
    await xvfb.stop();
  }
  return rows;
}

async function streamingAndLatency(display: string, x: XConnection, quick: boolean): Promise<BenchRow[]> {
  const server = await startTestServer();
  const tech = await createNodeTechnician(server);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-agent-'));
  const agent = spawnAgent(['--server', server.url, '--code', tech.code, '--display', display, '--download-dir', downloads, '--auto-grant', 'view,control', '--no-prompt', '--fps', '30']);
  try {
    await agent.waitLine(/Connected to session/, 20_000);
    const peer = await tech.activate();
    const pid = agent.child.pid!;
    await sleep(quick ? 1000 : 2000);
    const window = quick ? 3 : 8;
    const cpu0 = treeCpu(pid);
    const t0 = performance.now();
    let rssMax = 0;
    for (let i = 0; i < window * 4; i++) {
      await sleep(250);
      rssMax = Math.max(rssMax, safe(() => rssBytes(pid)) ?? 0);
    }
    const cpu = ((treeCpu(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    const rows: BenchRow[] = [
      { group: GROUP, name: 'agent CPU streaming 1920x1080 @30 (agent + ffmpeg)', value: cpu, unit: '% core' },
      { group: GROUP, name: 'agent RSS streaming', value: rssMax / 1024 ** 2, unit: 'MiB' },
    ];

    // Input latency: technician sends a move; the X server reports the pointer there (MotionNotify on the root).
    x.client.ChangeWindowAttributes(x.root, { eventMask: 0x40 });
    await xcall((cb) => x.client.GetInputFocus(cb));
    let waiting: { x: number; resolve: () => void } | null = null;
    x.client.on('event', (ev: XEvent) => {
      if (ev.name === 'MotionNotify' && waiting && ev.rootx === waiting.x) waiting.resolve();
    });
    const samples: number[] = [];
    const count = quick ? 100 : 400;
    for (let i = 0; i < count; i++) {
      const fx = ((i * 97) % 1000) / 1000;
      const px = Math.round(fx * 1919);
      const t = performance.now();
      const seen = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 500);
        waiting = { x: px, resolve: () => (clearTimeout(timer), resolve(true)) };
        peer.send('pointer', { type: 'pointer.move', x: fx, y: 0.5 });
      });
      waiting = null;
      if (seen) samples.push(performance.now() - t);
    }
    rows.push(
      { group: GROUP, name: 'input latency technician → X server, median', value: median(samples), unit: 'ms', note: `${samples.length}/${count} moves, while streaming` },
      { group: GROUP, name: 'input latency technician → X server, p99', value: p99(samples), unit: 'ms' },
    );
    return rows;
  } finally {
    tech.close();
    await agent.kill();
    await server.close();
    rmSync(downloads, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runAgentBench({ quick: process.argv.includes('--quick') })));
}
