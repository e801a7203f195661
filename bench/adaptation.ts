/**
 * Adaptation under a bandwidth cap (issue 14 point 6): the glass-to-glass
 * measurement of bench/glass-to-glass.ts at 1280x720, run uncapped, then under
 * a 2 Mbit/s and a 500 kbit/s cap, in one session.
 *
 * Everything (server, Chromium, agent, Xvfb's clients) runs in a network
 * namespace this bench creates and deletes: its only traffic is on the
 * namespace's own loopback, where a `tbf` qdisc is the cap (netem is not on
 * every kernel; tbf is). The namespace also gets a veth pair, both ends
 * inside it, with a benchmarking address (198.18.0.1, RFC 2544) so that
 * WebRTC gathers a host candidate: both stacks leave out loopback interfaces. Traffic to it is
 * delivered through the namespace's loopback. The cap (`--cap-on uplink`, the
 * default) applies only to what the agent sends: the customer's uplink, the
 * bottleneck a real remote-support session has. The console's RTCP and
 * transport-cc feedback, the signaling server's replies and the bench's own
 * DevTools traffic pass beside it. `--cap-on both` puts every packet of the
 * namespace through the one tbf (a half-duplex link that no customer has: the
 * feedback queued and was dropped behind the media, the round trip reached
 * 0.83 s and the estimate 93 kbit/s on a 500 kbit/s link; docs/performance.md,
 * 2026-12-04).
 *
 * What "stays live" means here: the median glass-to-glass latency at most 2x
 * the uncapped one; "text stays readable": the frames arrive at 1280x720
 * (resolution kept), the frame rate is what gives.
 *
 * The agent runs at its default `--fps auto` (60 at this size; `--agent-fps N` to pass another) and its default
 * `--codec auto` (VP8, AV1 while the link is too slow for it: agent/capture/codec-switch.ts; `--agent-codec vp8`
 * or `av1` to hold one). Each phase's note says which codec the agent sent then (from its session log). Each phase
 * also prints, on stderr, the bottleneck's counters (tc -s: packets, drops, backlog) and the console's
 * repairs (packets lost, NACKs, PLIs, key frames): a cap that made the link drop packets shows there.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openDisplay } from '../agent/platform/linux-x11/display.ts';
import { spawnAgent } from '../testkit/node-technician.ts';
import { drawRect, startXvfb } from '../testkit/xvfb.ts';
import { startMover } from './glass-to-glass.ts';
import { measureWindow } from './lib/video-window.ts';
import { MARK, PALETTE } from './lib/marker.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';
import { createCode, openConsole, readRecord, startWebBench, waitFirstFrame } from './lib/web-bench.ts';

const GROUP = 'adaptation';
const WIDTH = 1280;
const HEIGHT = 720;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A cap: the tbf rate, and a bucket of a few full-size packets (so a burst is not a free second link). */
interface Cap {
  label: string;
  rate: string | null;
  burst?: string;
}

const CAPS: Cap[] = [
  { label: 'uncapped', rate: null },
  { label: '2 Mbit/s', rate: '2mbit', burst: '8kb' },
  // One full-size packet (1600 B, 26 ms of this link; 8 KB is 33 ms of 2 Mbit/s): with 4 KB, a probe cluster of
  // libwebrtc (a few packets, ~15 ms at twice the estimate) passed at line rate and the estimate climbed to
  // 0.97 Mbit/s, twice the link (docs/performance.md, 2026-12-04).
  { label: '500 kbit/s', rate: '500kbit', burst: '1600' },
];

function tc(args: string[]): void {
  execFileSync('tc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The bottleneck's counters (tc -s): packets sent, dropped, over the rate, and the queue now. */
interface QdiscCounters {
  packets: number;
  drops: number;
  overlimits: number;
  backlog: number;
}

function qdiscCounters(): QdiscCounters {
  try {
    const out = JSON.parse(execFileSync('tc', ['-s', '-j', 'qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' })) as Array<Partial<QdiscCounters> & { kind?: string }>;
    const q = out.find((x) => x.kind === 'tbf') ?? {};
    return { packets: q.packets ?? 0, drops: q.drops ?? 0, overlimits: q.overlimits ?? 0, backlog: q.backlog ?? 0 };
  } catch {
    return { packets: 0, drops: 0, overlimits: 0, backlog: 0 };
  }
}

/** Where the cap applies: `uplink`, only what the agent sends (the customer's uplink); `both`, every packet on the loopback. */
export type CapOn = 'uplink' | 'both';

/** The agent's sockets (protocol and local port), from `ss`: what it sends leaves from these ports. */
function agentPorts(pid: number): Array<{ proto: 6 | 17; port: number }> {
  const out = execFileSync('ss', ['-Hanp', '-A', 'inet'], { encoding: 'utf8' });
  const ports: Array<{ proto: 6 | 17; port: number }> = [];
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const cols = line.trim().split(/\s+/);
    const proto = cols[0] === 'udp' ? 17 : cols[0] === 'tcp' ? 6 : null;
    const port = Number(/:(\d+)$/.exec(cols[4] ?? '')?.[1]);
    if (proto !== null && Number.isInteger(port) && port > 0 && !ports.some((p) => p.proto === proto && p.port === port)) ports.push({ proto, port });
  }
  return ports;
}

/**
 * Sets (or, with no rate, removes) the cap on this namespace's loopback. `uplink`: an htb root whose
 * default class is unshaped, and the tbf on a class that only the packets leaving the agent's sockets
 * go to (u32 on protocol and source port), so the console's feedback (RTCP, transport-cc) and
 * everything else in the namespace pass beside it, as they would on a customer's link (its downlink
 * is not what is capped). `both`: the tbf as root, one queue for both directions.
 */
function setCap(cap: Cap, on: CapOn, agentPid: number): void {
  try {
    tc(['qdisc', 'del', 'dev', 'lo', 'root']);
  } catch {
    // No qdisc yet.
  }
  if (cap.rate === null) return;
  // latency 100ms: a bottleneck buffer of 100 ms, past which packets are dropped (a router's queue).
  const tbf = ['tbf', 'rate', cap.rate, 'burst', cap.burst ?? '8kb', 'latency', '100ms'];
  if (on === 'both') {
    tc(['qdisc', 'add', 'dev', 'lo', 'root', ...tbf]);
    return;
  }
  const ports = agentPorts(agentPid);
  if (!ports.some((p) => p.proto === 17)) throw new Error(`no UDP socket of the agent (pid ${agentPid}) found with ss`);
  console.error(`adaptation: ${cap.label} on the agent's uplink: ${ports.map((p) => `${p.proto === 17 ? 'udp' : 'tcp'} ${p.port}`).join(', ')}`);
  // htb only sorts here (prio is not on every kernel): both classes far above any cap, the tbf under 1:10 shapes.
  tc(['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20']);
  for (const id of ['1:10', '1:20']) tc(['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', id, 'htb', 'rate', '10gbit', 'quantum', '60000']);
  tc(['qdisc', 'add', 'dev', 'lo', 'parent', '1:10', 'handle', '10:', ...tbf]);
  for (const p of ports) {
    tc(['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'protocol', String(p.proto), '0xff', 'match', 'ip', 'sport', String(p.port), '0xffff', 'flowid', '1:10']);
  }
}

/** Inside the namespace: one session, measured under each cap in turn. */
async function inNamespace(count: number, settleMs: number, agentFps: string, capOn: CapOn, agentCodec: string): Promise<BenchRow[]> {
  const bench = await startWebBench();
  const xvfb = await startXvfb(WIDTH, HEIGHT);
  const x = await openDisplay(xvfb.display);
  const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
  const mover = await startMover(xvfb.display, WIDTH, HEIGHT);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-cap-'));
  const ctx = await bench.browser.createBrowserContext();
  let agent: ReturnType<typeof spawnAgent> | null = null;
  try {
    const page = await openConsole(bench, ctx, { width: 1600, height: 1000 });
    const code = await createCode(page);
    agent = spawnAgent(['--server', bench.srv.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt', '--fps', agentFps, '--codec', agentCodec]);
    try {
      await waitFirstFrame(page, 120_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the agent printed: ${agent.lines.join(' | ')}`);
    }
    const inner = MARK.size / 4;
    await page.evaluate((s) => void ((window as unknown as { __bench: { sample: unknown } }).__bench.sample = s), { x: MARK.x + inner, y: MARK.y + inner, w: MARK.size / 2, h: MARK.size / 2 });
    await sleep(3000);
    const pid = agent.child.pid!;
    const rows: BenchRow[] = [];
    let uncapped = Number.NaN;
    for (const cap of CAPS) {
      setCap(cap, capOn, pid);
      // The bandwidth estimate has to find the new ceiling (delay-based: a few seconds).
      await sleep(cap.rate === null ? 1000 : settleMs);
      const q0 = qdiscCounters();
      const m = await measureWindow(page, x, win, pid, count);
      const q1 = qdiscCounters();
      const queue = cap.rate === null ? '' : `; tbf ${q1.packets - q0.packets} packets, ${q1.drops - q0.drops} dropped, backlog ${q1.backlog} B at the end`;
      const r = m.repairs;
      console.error(`adaptation: ${cap.label}: ${m.latencies.length}/${count} seen, median ${median(m.latencies).toFixed(0)} ms (received ${median(m.received).toFixed(0)}, decode ${m.decodeMs.toFixed(1)}, processing ${m.processingMs.toFixed(1)}), ${m.fps.toFixed(1)} fps shown, received ${m.receivedFps.toFixed(1)} fps, ${m.mbps.toFixed(2)} Mbit/s; lost ${r.lost}, nacks ${r.nacks}, plis ${r.plis}, key frames ${r.keyFrames}${queue}`);

      if (m.latencies.length === 0) {
        const rec = await readRecord(page);
        console.error(`adaptation: no change seen under ${cap.label}: ${rec.changes.length} changes recorded, last ${JSON.stringify(rec.changes.slice(-5))}, sample ${JSON.stringify((rec as unknown as { sample: unknown }).sample)}`);
      }
      const med = median(m.latencies);
      if (cap.rate === null) uncapped = med;
      const codec = codecSent(agent.lines, agentCodec);
      console.error(`adaptation: ${cap.label}: the agent sends ${codec}`);
      const note = `${codec}, ${m.latencies.length}/${count} changes, p99 ${p99(m.latencies).toFixed(0)} ms, ${m.fps.toFixed(1)} fps shown, ${m.mbps.toFixed(2)} Mbit/s, frames ${m.size}`;
      rows.push(
        cap.rate === null
          ? { group: GROUP, name: `${WIDTH}x${HEIGHT} latency median, ${cap.label} (in the namespace)`, value: med, unit: 'ms', note }
          : { group: GROUP, name: `${WIDTH}x${HEIGHT} latency median, capped at ${cap.label} (tbf, ${capOn === 'uplink' ? "the agent's uplink" : 'both directions'})`, value: med, unit: 'ms', reference: { name: '2x uncapped', value: 2 * uncapped }, note },
        { group: GROUP, name: `${WIDTH}x${HEIGHT} frame width received, ${cap.label}`, value: Number(m.size.split('x')[0]), unit: 'px', reference: { name: 'screen', value: WIDTH }, note: `frame rate shown ${m.fps.toFixed(1)} fps` },
      );
    }
    return rows;
  } finally {
    setCap(CAPS[0]!, 'both', 0);
    await mover.stop();
    await agent?.kill();
    await ctx.close();
    x.close();
    await xvfb.stop();
    await bench.close();
    rmSync(downloads, { recursive: true, force: true });
  }
}

/** The codec the agent sends now: the last change its session log printed (`--codec auto`), or the one it was given. */
function codecSent(lines: readonly string[], agentCodec: string): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /screen is now sent as (AV1|VP8)/.exec(lines[i]!);
    if (m) return m[1]!;
  }
  return agentCodec === 'av1' ? 'AV1' : 'VP8';
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the namespace, runs this file inside it, and deletes the namespace whatever happens. */
export async function runAdaptation({ quick, agentFps = 'auto', capOn = 'uplink', agentCodec = 'auto' }: { quick: boolean; agentFps?: string; capOn?: CapOn; agentCodec?: string }): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root (it creates a network namespace and a tc qdisc)');
  const ns = `rr-bench-cap-${process.pid}`;
  ip(['netns', 'add', ns]);
  try {
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    // Ethernet-size packets on the loopback: tbf must never meet a 64 KiB segment bigger than its bucket.
    ip(['-n', ns, 'link', 'set', 'lo', 'mtu', '1500']);
    // A veth pair with both ends in the namespace (the dummy driver is not on every kernel): WebRTC only
    // gathers on an interface that is up and running.
    ip(['-n', ns, 'link', 'add', 'rrbench0', 'type', 'veth', 'peer', 'name', 'rrbench1']);
    ip(['-n', ns, 'addr', 'add', '198.18.0.1/32', 'dev', 'rrbench0']);
    ip(['-n', ns, 'link', 'set', 'rrbench0', 'up']);
    ip(['-n', ns, 'link', 'set', 'rrbench1', 'up']);
    const args = ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'bench/adaptation.ts', '--in-namespace', String(quick ? 20 : 60), String(quick ? 6000 : 10_000), agentFps, capOn, agentCodec];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let rows: BenchRow[] | null = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{"rows"')) rows = (JSON.parse(line) as { rows: BenchRow[] }).rows;
      else process.stderr.write(`${line}\n`);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (!rows) throw new Error(`the run in the namespace exited with ${String(code)} and no figures`);
    return rows;
  } finally {
    ip(['netns', 'del', ns]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--in-namespace');
  if (at >= 0) {
    const rows = await inNamespace(Number(process.argv[at + 1] ?? 20), Number(process.argv[at + 2] ?? 6000), process.argv[at + 3] ?? 'auto', process.argv[at + 4] === 'both' ? 'both' : 'uplink', process.argv[at + 5] ?? 'auto');
    console.log(JSON.stringify({ rows }));
  } else {
    const { renderTable } = await import('./lib/table.ts');
    const fpsAt = process.argv.indexOf('--agent-fps');
    const onAt = process.argv.indexOf('--cap-on');
    const capOn = onAt >= 0 ? process.argv[onAt + 1] : 'uplink';
    if (capOn !== 'uplink' && capOn !== 'both') throw new Error('--cap-on must be uplink or both');
    const codecAt = process.argv.indexOf('--agent-codec');
    const agentCodec = codecAt >= 0 ? (process.argv[codecAt + 1] ?? 'auto') : 'auto';
    console.log(renderTable(await runAdaptation({ quick: process.argv.includes('--quick'), agentFps: fpsAt >= 0 ? (process.argv[fpsAt + 1] ?? 'auto') : 'auto', capOn, agentCodec })));
  }
  process.exit(0);
}
