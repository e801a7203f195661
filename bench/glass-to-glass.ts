/**
 * Glass-to-glass latency: the bench changes the colour of a 64x64 window on
 * the Xvfb screen at known times (after an X round trip, so the server has
 * drawn it) while another process moves a 400x250 window every 16 ms (the
 * screen changes every frame); the real agent captures and streams the
 * screen; the real console in headless Chromium samples that region of every
 * presented frame (requestVideoFrameCallback → canvas) and records when each
 * colour first shows. Both clocks are this machine's wall clock (Node's and
 * Chromium's performance.timeOrigin + now), good to about a millisecond.
 *
 * A change counts as shown at rVFC's expectedDisplayTime (when the compositor
 * expects the frame on the display). The agent is the shipped bundle
 * (bench/lib/agent-bundle.ts).
 *
 * In the same run: the capture-only latency and frame rate of the agent's
 * capturer and of ffmpeg x11grab (each in a process of its own, same changes);
 * at 1280x720 the agent's video without its playout-delay hint (the console's
 * descriptions stripped of the extension: the before); the console's
 * jitter-buffer delay (getStats) with its setting (jitterBufferTarget 0) and
 * with the browser's default; frames shown, agent CPU while the screen changes
 * every frame and while it is still (30 s from 15 s after the last change).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'puppeteer-core';
import { openDisplay, type XConnection } from '../agent/platform/linux-x11/display.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { frameRateFor } from '../agent/capture/frame-rate.ts';
import { spawnBundledAgent } from './lib/agent-bundle.ts';
import { spawnReady, type ReadyChild } from './lib/child.ts';
import { drawMarks, MARK, match, PALETTE } from './lib/marker.ts';
import { threadCpuSeconds, topThreads, treeCpuSeconds } from './lib/proc.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';
import { measureWindow, setJitterTarget } from './lib/video-window.ts';
import { createCode, openConsole, waitFirstFrame, type WebBench, startWebBench } from './lib/web-bench.ts';

const GROUP = 'glass to glass';
const MOVER_MS = 16;
/** The still-screen CPU: measured from this long after the last change, over this long. */
const STILL_AFTER_MS = 15_000;
const STILL_WINDOW_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The moving window, from a process of its own (bench/lib/screen-mover.ts). */
export function startMover(display: string, width: number, height: number, everyMs = MOVER_MS): Promise<ReadyChild<boolean>> {
  return spawnReady<boolean>(process.execPath, ['--import', 'tsx', 'bench/lib/screen-mover.ts', display, String(width), String(height), String(everyMs)]);
}

/** Capture-only latency of one capture method at the agent's default rate for this size, in a process of its own: colour changes to the capturer's frame callback; and its frame rate. */
export async function captureOnly(method: 'native' | 'ffmpeg', display: string, width: number, height: number, x: XConnection, win: number, count: number): Promise<{ latencies: number[]; fps: number }> {
  const probe = await spawnReady<string>(process.execPath, ['--import', 'tsx', 'bench/lib/capture-probe.ts', JSON.stringify({ display, width, height, fps: frameRateFor('auto', width, height), method })]);
  const seen: Array<[number, number]> = [];
  let fps = NaN;
  let from: { frames: number; seconds: number } | null = null;
  probe.child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.startsWith('{"frames"')) {
        // The rate over the measured window: from the first count after the draws began to the last.
        const m = JSON.parse(line) as { frames: number; seconds: number };
        if (seen.length > 0 || from) {
          from ??= m;
          if (m.seconds > from.seconds) fps = (m.frames - from.frames) / (m.seconds - from.seconds);
        }
      }
      if (!line.startsWith('{"at"')) continue;
      const m = JSON.parse(line) as { at: number; c: number };
      seen.push([m.at, m.c]);
    }
  });
  try {
    await sleep(500);
    const drawn = await drawMarks(x, win, count);
    await sleep(300);
    return { latencies: match(drawn, seen), fps };
  } finally {
    await probe.stop();
  }
}

/** CPU of the agent (and its children) over `ms` of a still screen, and its busiest threads. */
async function stillCpu(agentPid: number, ms: number): Promise<{ percent: number; threads: string }> {
  const cpu0 = treeCpuSeconds(agentPid);
  const threads0 = threadCpuSeconds(agentPid);
  const t0 = performance.now();
  await sleep(ms);
  const seconds = (performance.now() - t0) / 1000;
  return { percent: ((treeCpuSeconds(agentPid) - cpu0) / seconds) * 100, threads: topThreads(threads0, threadCpuSeconds(agentPid), seconds, 5) };
}

/** A console session with the real agent on this display, past its first frames; the sampled region set. */
export async function startSession(bench: WebBench, ctx: BrowserContext, display: string, downloads: string, options: { stripPlayoutDelay?: boolean; agentArgs?: string[] } = {}) {
  const page = await openConsole(bench, ctx, { width: 1600, height: 1000 }, options);
  const code = await createCode(page);
  const agent = await spawnBundledAgent(['--server', bench.srv.url, '--code', code, '--display', display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt', ...(options.agentArgs ?? [])]);
  try {
    const method = (await agent.waitLine(/capture \S+/, 30_000)).match(/capture (\S+),/)?.[1] ?? '?';
    await waitFirstFrame(page, 30_000);
    const inner = MARK.size / 4;
    await page.evaluate((s) => void ((window as unknown as { __bench: { sample: unknown } }).__bench.sample = s), { x: MARK.x + inner, y: MARK.y + inner, w: MARK.size / 2, h: MARK.size / 2 });
    await sleep(3000); // Past the first key frame and the first bandwidth probes.
    return { page, agent, method };
  } catch (err) {
    await agent.kill();
    throw err;
  }
}

const load = (): string => `load ${(loadavg()[0] ?? 0).toFixed(1)}`;

async function oneResolution(bench: WebBench, width: number, height: number, count: number, withoutHint: boolean): Promise<BenchRow[]> {
  const label = `${width}x${height}`;
  const xvfb = await startXvfb(width, height);
  const x = await openDisplay(xvfb.display);
  const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
  let mover: ReadyChild<boolean> | null = await startMover(xvfb.display, width, height);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-g2g-'));
  const ctx = await bench.browser.createBrowserContext();
  const agents: Array<{ kill(): Promise<unknown> }> = [];
  try {
    const captureNative = await captureOnly('native', xvfb.display, width, height, x, win, count);
    const captureFfmpeg = await captureOnly('ffmpeg', xvfb.display, width, height, x, win, count);
    // Before: the same agent, but the console's descriptions lack the playout-delay extension, so its video carries no hint.
    let before: Awaited<ReturnType<typeof measureWindow>> | null = null;
    if (withoutHint) {
      const old = await startSession(bench, ctx, xvfb.display, downloads, { stripPlayoutDelay: true });
      agents.push(old.agent);
      before = await measureWindow(old.page, x, win, old.agent.child.pid!, count);
      await old.agent.kill();
      await old.page.close();
    }
    const { page, agent, method } = await startSession(bench, ctx, xvfb.display, downloads);
    agents.push(agent);
    const pid = agent.child.pid!;
    const product = await measureWindow(page, x, win, pid, count);
    const loadMoving = load();
    // The same with the browser's default jitter buffer, for the before/after of the console's setting.
    await setJitterTarget(page, null);
    await sleep(1000);
    const browserDefault = await measureWindow(page, x, win, pid, Math.ceil(count / 2));
    await setJitterTarget(page, 0);
    await mover.stop();
    mover = null;
    // Past the quick repeats after the last change (0.25 … 2 s, the last at 3.75 s), the browser's key frame request
    // 3 s later and its answer (agent/capture/keyframe-requests.ts), and the main thread's clean-up after the moving
    // phase (node ~1% in 5 s windows up to +18 s), then 30 s, in which /proc's 10 ms ticks weigh 0.03% of a core
    // (a 5 s window swung 2.0–3.6% on a quiet machine; docs/performance.md).
    await sleep(STILL_AFTER_MS);
    const still = await stillCpu(pid, STILL_WINDOW_MS);
    // Fewer than half the changes seen (the console fell behind) still gives rows, with the count in the note.
    const cap = { name: `capture only (${method})`, value: 0 };
    const receivedToShown = median(product.latencies) - median(product.received);
    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    const rows: BenchRow[] = [
      { group: GROUP, name: `${label} capture only, median (${method}, own process)`, value: median(captureNative.latencies), unit: 'ms', reference: { name: 'ffmpeg x11grab', value: median(captureFfmpeg.latencies) }, note: `${captureNative.latencies.length}/${count} changes, ${captureNative.fps.toFixed(1)} frames/s captured (at most ${frameRateFor('auto', width, height)}), ${load()}` },
      { group: GROUP, name: `${label} capture only, p99`, value: p99(captureNative.latencies), unit: 'ms', reference: { name: 'ffmpeg x11grab', value: p99(captureFfmpeg.latencies) } },
      {
        group: GROUP,
        name: `${label} latency, median`,
        value: median(product.latencies),
        unit: 'ms',
        reference: { ...cap, value: median(captureNative.latencies) },
        note: `${product.latencies.length}/${count} changes; draw→frame received ${ms(median(product.received))}, received→shown ${ms(receivedToShown)} (decode ${product.decodeMs.toFixed(1)}, first packet→decoded ${product.processingMs.toFixed(1)} ms); shown = rVFC expectedDisplayTime (the callback ran ${product.callbackVsDisplay.toFixed(1)} ms after it; it is ${product.displayVsPresented.toFixed(1)} ms after presentationTime; frame clock ${product.frameIntervalMs.toFixed(1)} ms); ${loadMoving}`,
      },
      { group: GROUP, name: `${label} latency, p99`, value: p99(product.latencies), unit: 'ms', reference: { ...cap, value: p99(captureNative.latencies) } },
    ];
    if (before) {
      rows.push(
        { group: GROUP, name: `${label} latency median, agent's video with playout delay min=max=0`, value: median(product.latencies), unit: 'ms', reference: { name: 'the same without the extension (before)', value: median(before.latencies) }, note: `before: ${before.latencies.length}/${count} changes, p99 ${ms(p99(before.latencies))}, received→shown ${ms(median(before.latencies) - median(before.received))}, ${before.fps.toFixed(1)} fps shown` },
        { group: GROUP, name: `${label} jitter-buffer delay per frame (getStats), with the agent's playout-delay hint`, value: product.jitter, unit: 'ms', reference: { name: 'without it (before)', value: before.jitter }, note: `jitterBufferTargetDelay ${product.jitterTarget.toFixed(1)} vs ${before.jitterTarget.toFixed(1)} ms per frame` },
      );
    }
    rows.push(
      { group: GROUP, name: `${label} jitter-buffer delay per frame (getStats), jitterBufferTarget ${String(product.target)}`, value: product.jitter, unit: 'ms', reference: { name: `browser default (${String(browserDefault.target)})`, value: browserDefault.jitter }, note: `latency median with the default: ${ms(median(browserDefault.latencies))}` },
      { group: GROUP, name: `${label} frames shown, screen changing every frame`, value: product.fps, unit: 'fps', reference: { name: 'captured alone (same run)', value: captureNative.fps }, note: `target ${width > 1280 ? 27 : 29} fps, agent's default --fps auto (${frameRateFor('auto', width, height)} at this size); received ${product.receivedFps.toFixed(1)}, decoded ${product.decodedFps.toFixed(1)}, dropped ${product.droppedFps.toFixed(1)} fps; ${product.size}; ${loadMoving}` },
      { group: GROUP, name: `${label} bitrate received`, value: product.mbps, unit: 'Mbit/s', note: `400x250 window moving every ${MOVER_MS} ms + marker` },
      { group: GROUP, name: `${label} agent CPU, screen changing every frame (agent + capture)`, value: product.cpu, unit: '% core', reference: { name: 'target', value: 100 }, note: product.threads },
      { group: GROUP, name: `${label} agent CPU, still screen (30 s from 15 s after the last change)`, value: still.percent, unit: '% core', reference: { name: 'target', value: 3 }, note: `${still.threads}; ${load()}` },
    );
    return rows;
  } finally {
    await mover?.stop();
    for (const a of agents) await a.kill();
    await ctx.close();
    x.close();
    await xvfb.stop();
    rmSync(downloads, { recursive: true, force: true });
  }
}

export async function runGlassToGlass({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const count = quick ? 25 : 150;
  const bench = await startWebBench();
  try {
    const rows: BenchRow[] = [];
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) rows.push(...(await oneResolution(bench, w, h, count, w === 1280)));
    return rows;
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runGlassToGlass({ quick: process.argv.includes('--quick') })));
  process.exit(0);
}
