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
 * In the same run: the capture-only latency of the agent's capturer and of
 * ffmpeg x11grab (each in a process of its own, same changes); the console's
 * jitter-buffer delay (getStats) with its setting (jitterBufferTarget 0) and
 * with the browser's default; frames shown, agent CPU while the screen changes
 * every frame and while it is still.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { openDisplay, type XConnection } from '../agent/platform/linux-x11/display.ts';
import { spawnAgent } from '../testkit/node-technician.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { spawnReady, type ReadyChild } from './lib/child.ts';
import { classifyRgb, drawMarks, MARK, match, PALETTE } from './lib/marker.ts';
import { threadCpuSeconds, topThreads, treeCpuSeconds } from './lib/proc.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';
import { createCode, openConsole, readRecord, waitFirstFrame, type WebBench, startWebBench } from './lib/web-bench.ts';

const GROUP = 'glass to glass';
const MOVER_MS = 16;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The moving window, from a process of its own (bench/lib/screen-mover.ts). */
export function startMover(display: string, width: number, height: number, everyMs = MOVER_MS): Promise<ReadyChild<boolean>> {
  return spawnReady<boolean>(process.execPath, ['--import', 'tsx', 'bench/lib/screen-mover.ts', display, String(width), String(height), String(everyMs)]);
}

/** Capture-only latency of one capture method, in a process of its own: colour changes to the capturer's frame callback. */
export async function captureOnly(method: 'native' | 'ffmpeg', display: string, width: number, height: number, x: XConnection, win: number, count: number): Promise<number[]> {
  const probe = await spawnReady<string>(process.execPath, ['--import', 'tsx', 'bench/lib/capture-probe.ts', JSON.stringify({ display, width, height, fps: 30, method })]);
  const seen: Array<[number, number]> = [];
  probe.child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line.startsWith('{"at"')) continue;
      const m = JSON.parse(line) as { at: number; c: number };
      seen.push([m.at, m.c]);
    }
  });
  try {
    await sleep(500);
    const drawn = await drawMarks(x, win, count);
    await sleep(300);
    return match(drawn, seen);
  } finally {
    probe.child.stdin?.write('stop\n');
    await probe.stop();
  }
}

interface InboundVideo {
  at: number;
  bytes: number;
  decoded: number;
  /** getStats jitterBufferDelay (s) and jitterBufferEmittedCount: their ratio is the mean delay per frame. */
  jitterDelay: number;
  jitterEmitted: number;
  received: number;
  /** getStats totalDecodeTime (s). */
  decodeTime: number;
  width: number;
  height: number;
  target: number | null;
}

/** The console's inbound video figures, from its peer connection (recorded by web-bench at page start). */
export async function inboundVideo(page: Page): Promise<InboundVideo> {
  return (await page.evaluate(`(async () => {
    const out = { at: performance.now(), bytes: NaN, decoded: NaN, jitterDelay: NaN, jitterEmitted: NaN, received: NaN, decodeTime: NaN, width: 0, height: 0, target: null };
    for (const pc of window.__rrPeerConnections ?? []) {
      const receiver = pc.getReceivers().find((r) => r.track && r.track.kind === 'video' && r.track.readyState === 'live');
      if (!receiver) continue;
      out.target = receiver.jitterBufferTarget ?? null;
      for (const s of (await receiver.getStats()).values()) {
        if (s.type !== 'inbound-rtp') continue;
        Object.assign(out, { bytes: s.bytesReceived ?? 0, decoded: s.framesDecoded ?? 0, jitterDelay: s.jitterBufferDelay ?? 0, jitterEmitted: s.jitterBufferEmittedCount ?? 0, received: s.framesReceived ?? 0, decodeTime: s.totalDecodeTime ?? 0, width: s.frameWidth ?? 0, height: s.frameHeight ?? 0 });
      }
    }
    return out;
  })()`)) as InboundVideo;
}

/** Sets the console's video receiver's jitterBufferTarget (null: the browser's default). */
export async function setJitterTarget(page: Page, target: number | null): Promise<void> {
  await page.evaluate(`(() => { for (const pc of window.__rrPeerConnections ?? []) for (const r of pc.getReceivers()) if (r.track && r.track.kind === 'video') r.jitterBufferTarget = ${JSON.stringify(target)}; })()`);
}

export const jitterMs = (a: InboundVideo, b: InboundVideo): number => ((b.jitterDelay - a.jitterDelay) / Math.max(1, b.jitterEmitted - a.jitterEmitted)) * 1000;

/** One measured window: marker changes while the screen moves; latencies (presented and received), frames shown, CPU, stats. */
export async function measureWindow(page: Page, x: XConnection, win: number, agentPid: number, count: number) {
  const before = await readRecord(page);
  const stats0 = await inboundVideo(page);
  const cpu0 = treeCpuSeconds(agentPid);
  const threads0 = threadCpuSeconds(agentPid);
  const t0 = performance.now();
  const drawn = await drawMarks(x, win, count);
  await sleep(500);
  const wall = (performance.now() - t0) / 1000;
  const cpu = ((treeCpuSeconds(agentPid) - cpu0) / wall) * 100;
  const threads = topThreads(threads0, threadCpuSeconds(agentPid), wall);
  const stats1 = await inboundVideo(page);
  const after = await readRecord(page);
  const changes = after.changes.filter((c) => c[0] > (drawn[0]?.[0] ?? 0) - 1);
  const seen = changes.map((c): [number, number] => [c[0], classifyRgb(c[1], c[2], c[3])]).filter((c) => c[1] >= 0);
  // The same matching on the frames' receive times: draw → last packet received (capture, encode, send).
  const received = match(drawn, changes.filter((c) => c[4] > 0).map((c): [number, number] => [c[4], classifyRgb(c[1], c[2], c[3])]).filter((c) => c[1] >= 0));
  const dt = (stats1.at - stats0.at) / 1000;
  return {
    latencies: match(drawn, seen),
    received,
    fps: (after.frames - before.frames) / wall,
    decodedFps: (stats1.decoded - stats0.decoded) / dt,
    receivedFps: (stats1.received - stats0.received) / dt,
    decodeMs: ((stats1.decodeTime - stats0.decodeTime) / Math.max(1, stats1.decoded - stats0.decoded)) * 1000,
    mbps: ((stats1.bytes - stats0.bytes) * 8) / dt / 1e6,
    cpu,
    threads,
    jitter: jitterMs(stats0, stats1),
    size: `${stats1.width}x${stats1.height}`,
    target: stats1.target,
  };
}

/** CPU of the agent (and its children) over `ms` of a still screen, and its busiest threads. */
async function stillCpu(agentPid: number, ms: number): Promise<{ percent: number; threads: string }> {
  const cpu0 = treeCpuSeconds(agentPid);
  const threads0 = threadCpuSeconds(agentPid);
  const t0 = performance.now();
  await sleep(ms);
  const seconds = (performance.now() - t0) / 1000;
  return { percent: ((treeCpuSeconds(agentPid) - cpu0) / seconds) * 100, threads: topThreads(threads0, threadCpuSeconds(agentPid), seconds) };
}

async function oneResolution(bench: WebBench, width: number, height: number, count: number): Promise<BenchRow[]> {
  const label = `${width}x${height}`;
  const xvfb = await startXvfb(width, height);
  const x = await openDisplay(xvfb.display);
  const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
  let mover: ReadyChild<boolean> | null = await startMover(xvfb.display, width, height);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-g2g-'));
  const ctx = await bench.browser.createBrowserContext();
  let agent: ReturnType<typeof spawnAgent> | null = null;
  try {
    const captureNative = await captureOnly('native', xvfb.display, width, height, x, win, count);
    const captureFfmpeg = await captureOnly('ffmpeg', xvfb.display, width, height, x, win, count);
    const page = await openConsole(bench, ctx, { width: 1600, height: 1000 });
    const code = await createCode(page);
    agent = spawnAgent(['--server', bench.srv.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt', '--fps', '30']);
    const method = (await agent.waitLine(/capture \S+/, 30_000)).match(/capture (\S+),/)?.[1] ?? '?';
    await waitFirstFrame(page, 30_000);
    const inner = MARK.size / 4;
    await page.evaluate((s) => void ((window as unknown as { __bench: { sample: unknown } }).__bench.sample = s), { x: MARK.x + inner, y: MARK.y + inner, w: MARK.size / 2, h: MARK.size / 2 });
    await sleep(3000); // Past the first key frame and the first bandwidth probes.
    const pid = agent.child.pid!;
    const product = await measureWindow(page, x, win, pid, count);
    // The same with the browser's default jitter buffer, for the before/after of the console's setting.
    await setJitterTarget(page, null);
    await sleep(1000);
    const browserDefault = await measureWindow(page, x, win, pid, Math.ceil(count / 2));
    await setJitterTarget(page, 0);
    await mover.stop();
    mover = null;
    await sleep(1500);
    const still = await stillCpu(pid, 3000);
    // Fewer than half the changes seen (the console fell behind) still gives rows, with the count in the note.
    const cap = { name: `capture only (${method})`, value: 0 };
    const receivedToShown = median(product.latencies) - median(product.received);
    return [
      { group: GROUP, name: `${label} capture only, median (${method}, own process)`, value: median(captureNative), unit: 'ms', reference: { name: 'ffmpeg x11grab', value: median(captureFfmpeg) }, note: `${captureNative.length}/${count} changes` },
      { group: GROUP, name: `${label} capture only, p99`, value: p99(captureNative), unit: 'ms', reference: { name: 'ffmpeg x11grab', value: p99(captureFfmpeg) } },
      { group: GROUP, name: `${label} latency, median`, value: median(product.latencies), unit: 'ms', reference: { ...cap, value: median(captureNative) }, note: `${product.latencies.length}/${count} changes; draw→frame received ${median(product.received).toFixed(0)} ms, received→shown ${receivedToShown.toFixed(0)} ms` },
      { group: GROUP, name: `${label} latency, p99`, value: p99(product.latencies), unit: 'ms', reference: { ...cap, value: p99(captureNative) } },
      { group: GROUP, name: `${label} jitter-buffer delay per frame (getStats), jitterBufferTarget ${String(product.target)}`, value: product.jitter, unit: 'ms', reference: { name: `browser default (${String(browserDefault.target)})`, value: browserDefault.jitter }, note: `latency median with the default: ${median(browserDefault.latencies).toFixed(0)} ms` },
      { group: GROUP, name: `${label} frames shown, screen changing every frame`, value: product.fps, unit: 'fps', reference: { name: 'agent --fps', value: 30 }, note: `received ${product.receivedFps.toFixed(1)}, decoded ${product.decodedFps.toFixed(1)} fps (${product.decodeMs.toFixed(1)} ms each), ${product.size}` },
      { group: GROUP, name: `${label} bitrate received`, value: product.mbps, unit: 'Mbit/s', note: `400x250 window moving every ${MOVER_MS} ms + marker` },
      { group: GROUP, name: `${label} agent CPU, screen changing every frame (agent + capture)`, value: product.cpu, unit: '% core', reference: { name: 'target', value: 100 }, note: product.threads },
      { group: GROUP, name: `${label} agent CPU, still screen`, value: still.percent, unit: '% core', reference: { name: 'target', value: 3 }, note: still.threads },
    ];
  } finally {
    await mover?.stop();
    await agent?.kill();
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
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) rows.push(...(await oneResolution(bench, w, h, count)));
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
