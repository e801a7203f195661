/**
 * Still-screen CPU of agent bundles side by side, in the same run: for each screen size, each bundle in turn (A, B,
 * A, B …) streams to the real console in headless Chromium; the bench draws a few changes, waits `--after` s, then
 * reads the agent's CPU per thread (/proc/PID/task/TID) over `--window` s, and the frames the console showed then.
 * A bundle is a folder holding main.mjs (scripts/build-agent.ts `bundleAgent`); without folders it compares the
 * current source's bundle with itself (a noise floor).
 *
 *   npx tsx bench/still-ab.ts [--after 15] [--window 30] [--rounds 2] [--sizes 1280x720,1920x1080] [DIR …]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDisplay } from '../agent/platform/linux-x11/display.ts';
import { spawnAgent, type AgentProcess } from '../testkit/node-technician.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { agentBundle } from './lib/agent-bundle.ts';
import { drawMarks, MARK, PALETTE } from './lib/marker.ts';
import { treeCpuSeconds } from './lib/proc.ts';
import { createCode, openConsole, readRecord, startWebBench, waitFirstFrame } from './lib/web-bench.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds per thread (name:tid). */
function perThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${name}:${tid}`, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { after: { type: 'string', default: '15' }, window: { type: 'string', default: '30' }, rounds: { type: 'string', default: '2' }, sizes: { type: 'string', default: '1280x720,1920x1080' } },
});
const afterMs = Number(values.after) * 1000;
const windowMs = Number(values.window) * 1000;
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
/** `DIR` or `DIR@KEY=VAL,KEY=VAL` (environment for that agent). */
const variants = positionals.length > 0
  ? positionals.map((p) => {
      const [dir, env] = p.split('@') as [string, string | undefined];
      return { bundle: join(dir, 'main.mjs'), env: Object.fromEntries((env ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string])), label: p };
    })
  : [{ bundle: await agentBundle(), env: {}, label: 'current' }, { bundle: await agentBundle(), env: {}, label: 'current' }];

/** The console's inbound video counters (Chromium getStats inbound-rtp). */
async function inbound(page: import('puppeteer-core').Page): Promise<Record<string, number>> {
  return (await page.evaluate(`(async () => {
    const out = {};
    for (const pc of window.__rrPeerConnections ?? []) {
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(out, { pli: s.pliCount ?? 0, fir: s.firCount ?? 0, nack: s.nackCount ?? 0, keyframes: s.keyFramesDecoded ?? 0, decoded: s.framesDecoded ?? 0, packets: s.packetsReceived ?? 0, bytes: s.bytesReceived ?? 0 });
      }
    }
    return out;
  })()`)) as Record<string, number>;
}

const bench = await startWebBench();
const results: string[] = [];
try {
  for (const [width, height] of sizes) {
    const xvfb = await startXvfb(width, height);
    const x = await openDisplay(xvfb.display);
    const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
    const downloads = mkdtempSync(join(tmpdir(), 'rr-still-ab-'));
    try {
      for (let round = 0; round < rounds; round++) {
        for (const [i, bundle] of variants.entries()) {
          const ctx = await bench.browser.createBrowserContext();
          let agent: AgentProcess | null = null;
          try {
            const page = await openConsole(bench, ctx);
            const code = await createCode(page);
            agent = spawnAgent([bundle.bundle, '--server', bench.srv.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt'], bundle.env, { command: process.execPath });
            await agent.waitLine(/capture \S+/, 30_000);
            await waitFirstFrame(page, 30_000);
            await sleep(2000);
            await drawMarks(x, win, 10);
            await sleep(afterMs);
            const pid = agent.child.pid!;
            const t0 = perThread(pid);
            const c0 = treeCpuSeconds(pid);
            const f0 = (await readRecord(page)).frames;
            const s0 = await inbound(page);
            const w0 = performance.now();
            await sleep(windowMs);
            const seconds = (performance.now() - w0) / 1000;
            const total = ((treeCpuSeconds(pid) - c0) / seconds) * 100;
            const frames = (await readRecord(page)).frames - f0;
            const s1 = await inbound(page);
            const delta = Object.keys(s1).map((k) => `${k} ${(s1[k]! - (s0[k] ?? 0)).toFixed(0)}`).join(' ');
            const t1 = perThread(pid);
            const threads = [...t1.entries()]
              .map(([k, v]) => [k, ((v - (t0.get(k) ?? 0)) / seconds) * 100] as const)
              .filter(([, p]) => p >= 0.02)
              .sort((a, b) => b[1] - a[1])
              .map(([k, p]) => `${k} ${p.toFixed(2)}`)
              .join(', ');
            const line = `${width}x${height} round ${round + 1} bundle ${String.fromCharCode(65 + i)}: ${total.toFixed(2)} % core, ${frames} frames shown in ${seconds.toFixed(0)} s (${delta}), load ${(loadavg()[0] ?? 0).toFixed(1)}; ${threads}`;
            console.log(line);
            results.push(line);
          } finally {
            await agent?.kill();
            await ctx.close();
          }
        }
      }
    } finally {
      x.close();
      await xvfb.stop();
      rmSync(downloads, { recursive: true, force: true });
    }
  }
} finally {
  await bench.close();
}
console.log(`\nbundles: ${variants.map((b, i) => `${String.fromCharCode(65 + i)}=${b.label}`).join(' ')}`);
for (const r of results) console.log(r);
process.exit(0);
