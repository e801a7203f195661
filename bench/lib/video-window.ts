/**
 * One measured window of the console's video (glass-to-glass and adaptation stages): the marker
 * changes while the screen moves; latencies to the display and to the frame's receipt, frames
 * shown, the receiver's getStats figures per frame, agent CPU.
 */
import type { Page } from 'puppeteer-core';
import type { XConnection } from '../../agent/platform/linux-x11/display.ts';
import { classifyRgb, drawMarks, match } from './marker.ts';
import { threadCpuSeconds, topThreads, treeCpuSeconds } from './proc.ts';
import { median } from './stats.ts';
import { readRecord } from './web-bench.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The console's inbound video counters (getStats inbound-rtp; times in seconds, summed over frames). */
export interface InboundVideo {
  at: number;
  bytes: number;
  decoded: number;
  dropped: number;
  received: number;
  /** jitterBufferDelay / jitterBufferEmittedCount: the mean time a frame waited in the jitter buffer. */
  jitterDelay: number;
  /** jitterBufferTargetDelay: what the buffer aimed at (0 when the sender asks for render at once). */
  jitterTarget: number;
  jitterEmitted: number;
  decodeTime: number;
  /** totalProcessingDelay: first packet received → frame decoded. */
  processing: number;
  width: number;
  height: number;
  target: number | null;
  /** Packets lost, NACKs and PLIs the console sent, key frames decoded (a loss the sender had to repair). */
  lost: number;
  nacks: number;
  plis: number;
  keyFrames: number;
}

/** The console's inbound video figures, from its peer connection (recorded by web-bench at page start). */
export async function inboundVideo(page: Page): Promise<InboundVideo> {
  return (await page.evaluate(`(async () => {
    const out = { at: performance.now(), bytes: NaN, decoded: NaN, dropped: NaN, received: NaN, jitterDelay: NaN, jitterTarget: NaN, jitterEmitted: NaN, decodeTime: NaN, processing: NaN, width: 0, height: 0, target: null, lost: NaN, nacks: NaN, plis: NaN, keyFrames: NaN };
    for (const pc of window.__rrPeerConnections ?? []) {
      const receiver = pc.getReceivers().find((r) => r.track && r.track.kind === 'video' && r.track.readyState === 'live');
      if (!receiver) continue;
      out.target = receiver.jitterBufferTarget ?? null;
      for (const s of (await receiver.getStats()).values()) {
        if (s.type !== 'inbound-rtp') continue;
        Object.assign(out, { bytes: s.bytesReceived ?? 0, decoded: s.framesDecoded ?? 0, dropped: s.framesDropped ?? 0, received: s.framesReceived ?? 0,
          jitterDelay: s.jitterBufferDelay ?? 0, jitterTarget: s.jitterBufferTargetDelay ?? 0, jitterEmitted: s.jitterBufferEmittedCount ?? 0,
          decodeTime: s.totalDecodeTime ?? 0, processing: s.totalProcessingDelay ?? 0, width: s.frameWidth ?? 0, height: s.frameHeight ?? 0,
          lost: s.packetsLost ?? 0, nacks: s.nackCount ?? 0, plis: s.pliCount ?? 0, keyFrames: s.keyFramesDecoded ?? 0 });
      }
    }
    return out;
  })()`)) as InboundVideo;
}

/** Sets the console's video receiver's jitterBufferTarget (null: the browser's default). */
export async function setJitterTarget(page: Page, target: number | null): Promise<void> {
  await page.evaluate(`(() => { for (const pc of window.__rrPeerConnections ?? []) for (const r of pc.getReceivers()) if (r.track && r.track.kind === 'video') r.jitterBufferTarget = ${JSON.stringify(target)}; })()`);
}

/** Mean ms per frame of a summed getStats time between two readings. */
const perFrame = (a: number, b: number, framesA: number, framesB: number): number => ((b - a) / Math.max(1, framesB - framesA)) * 1000;

/** One measured window: marker changes while the screen moves; latencies (shown and received), frames shown, CPU, stats. */
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
  const emitted = [stats0.jitterEmitted, stats1.jitterEmitted] as const;
  const decoded = [stats0.decoded, stats1.decoded] as const;
  return {
    latencies: match(drawn, seen),
    received,
    /** rVFC callback time − expected display time, median (what the callback's own time would add or take). */
    callbackVsDisplay: median(changes.filter((c) => c[5] > 0).map((c) => c[5] - c[0])),
    /** Expected display time − presentation time (the frame handed to the compositor), median. */
    displayVsPresented: median(changes.filter((c) => c[6] > 0).map((c) => c[0] - c[6])),
    /** The page's frame clock (ms between animation frames) at the end of the window. */
    frameIntervalMs: after.frameIntervalMs,
    fps: (after.frames - before.frames) / wall,
    decodedFps: (stats1.decoded - stats0.decoded) / dt,
    receivedFps: (stats1.received - stats0.received) / dt,
    droppedFps: (stats1.dropped - stats0.dropped) / dt,
    decodeMs: perFrame(stats0.decodeTime, stats1.decodeTime, ...decoded),
    processingMs: perFrame(stats0.processing, stats1.processing, ...decoded),
    mbps: ((stats1.bytes - stats0.bytes) * 8) / dt / 1e6,
    cpu,
    threads,
    jitter: perFrame(stats0.jitterDelay, stats1.jitterDelay, ...emitted),
    jitterTarget: perFrame(stats0.jitterTarget, stats1.jitterTarget, ...emitted),
    size: `${stats1.width}x${stats1.height}`,
    /** Over the window: packets lost, NACKs and PLIs sent, key frames decoded. */
    repairs: { lost: stats1.lost - stats0.lost, nacks: stats1.nacks - stats0.nacks, plis: stats1.plis - stats0.plis, keyFrames: stats1.keyFrames - stats0.keyFrames },
    target: stats1.target,
  };
}
