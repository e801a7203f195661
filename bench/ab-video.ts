/**
 * A/B of the agent's video settings in the same machine state (rounds interleave the variants), glass to glass
 * as the `glass-to-glass` stage measures it (shipped agent bundle, real console in headless Chromium, a window
 * moving every 16 ms):
 *   npx tsx bench/ab-video.ts WIDTH HEIGHT ROUNDS COUNT 'ARGS A' 'ARGS B' ...
 * Each ARGS is the agent's extra arguments (e.g. '--fps 30', '' for its defaults), optionally after
 * 'KEY=VALUE ...|' for its environment. Per round and variant: latency
 * median / p99, draw → received, received → shown, frames shown, agent CPU, load average.
 * With STILL=1 nothing moves: the agent's CPU over 30 s from 15 s after its first frame (a still screen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDisplay } from '../agent/platform/linux-x11/display.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { startMover, startSession } from './glass-to-glass.ts';
import { MARK, PALETTE } from './lib/marker.ts';
import { median, p99 } from './lib/stats.ts';
import { measureWindow } from './lib/video-window.ts';
import { threadCpuSeconds, topThreads, treeCpuSeconds } from './lib/proc.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
import { startWebBench } from './lib/web-bench.ts';

const [width = 1280, height = 720, rounds = 3, count = 25] = process.argv.slice(2, 6).map(Number);
const variants = process.argv.slice(6);
if (variants.length === 0) variants.push('--fps 30', '');
const xvfb = await startXvfb(width, height);
const x = await openDisplay(xvfb.display);
const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
const still = process.env['STILL'] === '1';
const mover = still ? null : await startMover(xvfb.display, width, height);
const bench = await startWebBench();
const downloads = mkdtempSync(join(tmpdir(), 'rr-ab-video-'));
const all = new Map<string, number[][]>(variants.map((v) => [v, []]));
try {
  for (let round = 0; round < Math.min(rounds, 20); round++) {
    for (const v of variants) {
      const ctx = await bench.browser.createBrowserContext();
      // 'KEY=VALUE ...|ARGS': environment for that variant's agent, then its arguments.
      const [envPart, argPart] = v.includes('|') ? (v.split('|') as [string, string]) : ['', v];
      const env = envPart.split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const);
      for (const [k, val] of env) process.env[k] = val;
      const s = await startSession(bench, ctx, xvfb.display, downloads, { agentArgs: argPart.split(' ').filter(Boolean) }).finally(() => {
        for (const [k] of env) delete process.env[k];
      });
      try {
        if (still) {
          await sleep(15_000);
          const pid = s.agent.child.pid!;
          const [cpu0, threads0, t0] = [treeCpuSeconds(pid), threadCpuSeconds(pid), performance.now()];
          await sleep(30_000);
          const secs = (performance.now() - t0) / 1000;
          const cpu = ((treeCpuSeconds(pid) - cpu0) / secs) * 100;
          all.get(v)!.push([NaN, NaN, NaN, NaN, NaN, cpu, loadavg()[0]!]);
          console.log(`round ${round} [${v || 'defaults'}] still screen cpu ${cpu.toFixed(2)}% (${topThreads(threads0, threadCpuSeconds(pid), secs, 5)}); load ${loadavg()[0]!.toFixed(1)}`);
          continue;
        }
        const m = await measureWindow(s.page, x, win, s.agent.child.pid!, Math.min(count, 200));
        const row = [median(m.latencies), p99(m.latencies), median(m.received), median(m.latencies) - median(m.received), m.fps, m.cpu, loadavg()[0]!];
        all.get(v)!.push(row);
        console.log(`round ${round} [${v || 'defaults'}] median ${row[0]!.toFixed(1)} p99 ${row[1]!.toFixed(1)} received ${row[2]!.toFixed(1)} →shown ${row[3]!.toFixed(1)} ms; shown ${row[4]!.toFixed(1)} fps (received ${m.receivedFps.toFixed(1)}); cpu ${row[5]!.toFixed(1)}% (${m.threads}); decode ${m.decodeMs.toFixed(1)} ms; ${m.mbps.toFixed(2)} Mbit/s; load ${row[6]!.toFixed(1)}`);
      } finally {
        await s.agent.kill();
        await ctx.close();
      }
    }
  }
  for (const [v, rows] of all) {
    const col = (i: number): number => median(rows.map((r) => r[i]!));
    console.log(`[${v || 'defaults'}] medians over ${rows.length} rounds: latency ${col(0).toFixed(1)} / p99 ${col(1).toFixed(1)} ms, received ${col(2).toFixed(1)}, →shown ${col(3).toFixed(1)}, shown ${col(4).toFixed(1)} fps, cpu ${col(5).toFixed(1)}%`);
  }
} finally {
  await bench.close();
  await mover?.stop();
  x.close();
  await xvfb.stop();
  rmSync(downloads, { recursive: true, force: true });
}
process.exit(0);
