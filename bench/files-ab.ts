/**
 * A/B of the files bench's pieces on one Node ↔ Chromium pair (bench/files.ts),
 * alternating in the same machine state, `ROUNDS` rounds of `MIB` MiB each way:
 * the bare channel with 65,536-byte messages (the reference) and with 65,556
 * (a file frame: 20-byte header + 64 KiB), the file protocol with its first
 * frame delay, tail and steady rate (accepted → last byte written), and the CPU
 * each phase cost this process ("cpuN") and all of Chromium's ("cpuC"; split
 * into the renderer "cpuR", the browser process "cpuB" and the others "cpuO"),
 * from /proc: a figure less swayed by other load than MB/s; THREADS=1 adds the
 * renderer's CPU by thread name ("R:<thread>").
 *
 *     ROUNDS=3 MIB=24 npx tsx bench/files-ab.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { openFilesPair, setDiskFile } from './files.ts';
import { median } from './lib/stats.ts';

const MiB = 1024 * 1024;
const bytes = Number(process.env['MIB'] ?? 24) * MiB;
const rounds = Number(process.env['ROUNDS'] ?? 3);
const TICKS_PER_S = 100;

/** utime + stime of a process, ms. */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** `root` and its descendants. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(d)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  for (const stack = [root]; stack.length; ) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

const { page, node: n, close, browserPid } = await openFilesPair();
/**
 * Browser → agent end sources sent after the default (an in-memory File), in this order: SOURCES=disk,file,memory
 * (see file-peer-page.ts; 'file' again measures the in-memory File in the same place in the round as the others).
 */
const sources = (process.env['SOURCES'] ?? '').split(',').filter((x): x is 'disk' | 'memory' | 'file' => x === 'disk' || x === 'memory' || x === 'file');
const removeDisk = sources.includes('disk') ? await setDiskFile(page, bytes) : () => undefined;
const chromium = browserPid ? processTree(browserPid) : [];
const R: Record<string, number[]> = {};
const add = (k: string, v: number): void => void (R[k] ??= []).push(v);
/** Chromium's process kind from its command line: the page's renderer ("R"), the browser ("B"), the rest ("O": GPU, network, utility). */
const kind = (pid: number): 'R' | 'B' | 'O' => {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('--type=renderer') ? 'R' : cmd.includes('--type=') ? 'O' : 'B';
  } catch {
    return 'O';
  }
};
const kinds = new Map(chromium.map((p) => [p, kind(p)]));
const cpu = (): Record<'node' | 'chrome' | 'R' | 'B' | 'O', number> => {
  const c = { node: cpuMs(process.pid), chrome: 0, R: 0, B: 0, O: 0 };
  for (const [p, k] of kinds) {
    const ms = cpuMs(p);
    c.chrome += ms;
    c[k] += ms;
  }
  return c;
};
/** THREADS=1: the renderer's CPU by thread name (its main thread, the hash worker, its WebRTC and IO threads), ms. */
const threadCpu = (): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [pid, k] of kinds) {
    if (k !== 'R') continue;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(name, (out.get(name) ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S);
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return out;
};
let threadsBefore = new Map<string, number>();
async function measured<T>(k: string, f: () => Promise<T>): Promise<T> {
  if (process.env['PHASES']) console.log(`phase start ${k}`);
  if (process.env['THREADS']) threadsBefore = threadCpu();
  const a = cpu();
  const r = await f();
  const b = cpu();
  if (process.env['PHASES']) console.log(`phase end ${k}`);
  if (process.env['THREADS']) for (const [t, ms] of threadCpu()) add(`${k} R:${t}`, ms - (threadsBefore.get(t) ?? 0));
  add(`${k} cpuN`, b.node - a.node);
  add(`${k} cpuC`, b.chrome - a.chrome);
  // Where in Chromium: the renderer (page, worker, its WebRTC threads), the browser process (blob reads), the others.
  for (const x of ['R', 'B', 'O'] as const) add(`${k} cpu${x}`, b[x] - a[x]);
  return r;
}
/**
 * Samples (every 5 ms on the page) the sending channel's bufferedAmount while `f` runs: the page's send queue depth,
 * bare pump vs file pump (QUEUE=1; the sampling costs both alike). Median and 10th percentile, KiB.
 */
async function queued<T>(k: string, ch: 'raw' | 'files', f: () => Promise<T>): Promise<T> {
  if (!process.env['QUEUE']) return f();
  await page.evaluate((c) => {
    const w = window as unknown as { qs: number[]; qt: number };
    const dc = c === 'raw' ? window.benchPeer!.raw : window.benchPeer!.peer.channel('files');
    w.qs = [];
    w.qt = window.setInterval(() => w.qs.push(dc.bufferedAmount), 5);
  }, ch);
  const r = await f();
  const qs = await page.evaluate(() => {
    const w = window as unknown as { qs: number[]; qt: number };
    clearInterval(w.qt);
    return w.qs;
  });
  const sorted = qs.filter((x) => x > 0 || qs.length < 10).sort((a, b) => a - b);
  add(`${k} q50KiB`, (sorted[Math.floor(sorted.length / 2)] ?? 0) / 1024);
  add(`${k} q10KiB`, (sorted[Math.floor(sorted.length / 10)] ?? 0) / 1024);
  add(`${k} qzero%`, (100 * qs.filter((x) => x === 0).length) / Math.max(1, qs.length));
  return r;
}
/** PERF=dir: `perf record` of this process (the agent end) during phase `k` of each round, to dir/<k>-<round>.data. */
let round = 0;
async function perfed<T>(k: string, f: () => Promise<T>): Promise<T> {
  const dir = process.env['PERF'];
  if (!dir) return f();
  const { spawn } = await import('node:child_process');
  const rec = spawn('perf', ['record', '-q', '-F', '999', '-p', String(process.pid), '-o', `${dir}/${k.replace(/ /g, '-')}-${round}.data`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  try {
    return await f();
  } finally {
    const exited = new Promise((r) => rec.once('exit', r));
    rec.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}
const mbps = (b: number, ms: number): number => b / 1e6 / (ms / 1000);
const toBrowser = async (b: number, m?: number): Promise<number> => {
  await page.evaluate((x) => void ((window as unknown as { rawDone: Promise<number> }).rawDone = window.benchPeer!.expectRaw(x)), b);
  const start = await n.sendRaw(b, m);
  return mbps(b, (await page.evaluate(() => (window as unknown as { rawDone: Promise<number> }).rawDone)) - start);
};
const toNode = async (b: number, m?: number): Promise<number> => {
  const done = n.expectRaw(b);
  const start = await page.evaluate((x, mm) => window.benchPeer!.sendRaw(x, mm), b, m);
  return mbps(b, (await done) - start);
};
try {
  await toBrowser(8 * MiB);
  await toNode(8 * MiB);
  for (let r = 0; r < rounds; r++, round++) {
    add('down bare', await measured('down bare', () => toBrowser(bytes)));
    add('down bare65556', await toBrowser(bytes, 65_556));
    const [s1, e1] = await measured('down file', () => n.sendFile(bytes));
    const inc = await page.evaluate(() => window.benchPeer!.lastIncomingAt);
    const lw = await page.evaluate(() => window.benchPeer!.lastWrittenAt);
    add('down file', mbps(bytes, e1 - s1));
    add('down first ms', inc - s1);
    add('down tail ms', e1 - lw);
    add('down steady', mbps(bytes, lw - inc));
    add('up bare', await queued('up bare', 'raw', () => perfed('up bare', () => measured('up bare', () => toNode(bytes)))));
    add('up bare65556', await toNode(bytes, 65_556));
    const [s2, e2] = await queued('up file', 'files', () => perfed('up file', () => measured('up file', () => page.evaluate((b) => window.benchPeer!.sendFile(b), bytes))));
    add('up file', mbps(bytes, e2 - s2));
    add('up first ms', n.lastIncomingAt - s2);
    add('up tail ms', e2 - n.lastWrittenAt);
    add('up steady', mbps(bytes, n.lastWrittenAt - n.lastIncomingAt));
    for (const src of sources) {
      await page.evaluate((k) => void (window.benchSource = k), src);
      const [s3, e3, ok3] = await measured(`up ${src === 'file' ? 'file again' : src}`, () => page.evaluate((b) => window.benchPeer!.sendFile(b), bytes));
      await page.evaluate(() => void (window.benchSource = 'file'));
      if (!ok3) throw new Error(`up ${src}: transfer failed`);
      add(`up ${src === 'file' ? 'file again' : src}`, mbps(bytes, e3 - s3));
    }
    console.log(`round ${r + 1}: ${Object.entries(R).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(1)}`).join(', ')}`);
  }
  console.log(`medians: ${Object.entries(R).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', ')}`);
} finally {
  removeDisk();
  await close();
}
process.exit(0);
