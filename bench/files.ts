/**
 * File transfer: the product's file protocol (rtc/ FileTransfer, SHA-256
 * verified) between Node (@roamhq/wrtc with Node's native SHA-256, as the
 * agent runs it) and headless Chromium (the bundled rtc/ code with the
 * console's hasher: its worker, WebCrypto), both directions; beside it, on the same
 * peer connection in the same run, the bare throughput of an extra data
 * channel paced the same way (64 KiB messages, 1 MiB buffered, polled). The
 * agent process itself is not in the loop: its file path is this Node end
 * plus disk I/O.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import wrtc from '@roamhq/wrtc';
import { build } from 'esbuild';
import puppeteer, { type Page } from 'puppeteer-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeHasher } from '../agent/files/node-hasher.ts';
import type { SignalData } from '../protocol/ice.ts';
import type { RTCPeerConnectionCtor } from '../rtc/peer-session.ts';
import { CHROMIUM } from '../testkit/chromium.ts';
import { benchBytes, FilePeer, type PumpStats } from './pages/file-peer.ts';
import { median } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';

const GROUP = 'file transfer';

async function servePage(): Promise<{ server: Server; url: string }> {
  const bundle = (entry: string): Promise<string> =>
    build({ entryPoints: [new URL(entry, import.meta.url).pathname], bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022', logLevel: 'error' }).then((b) => b.outputFiles[0]!.text);
  const js = await bundle('./pages/file-peer-page.ts');
  // The console's hashing worker, where web/shared/file-digest.ts asks for it (relative to the page's bundle).
  const worker = await bundle('../web/shared/hash-worker.ts');
  const server = createServer((req, res) => {
    if (req.url === '/peer.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/hash-worker.ts') res.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>files bench</title><input type="file" id="bench-file"><script type="module" src="/peer.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function waitUntil(ok: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`files: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Writes the bench's `bytes`-byte file to a temp file and sets it on the page's `<input type=file>`: the disk-backed
 * File a user picks (the page sends from it with `benchSource = 'disk'`). Returns a function removing the temp file.
 */
export async function setDiskFile(page: Page, bytes: number): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'rr-bench-file-'));
  const path = join(dir, 'bench.bin');
  writeFileSync(path, benchBytes(bytes));
  const input = await page.$('#bench-file');
  if (!input) throw new Error('files: the page has no #bench-file input');
  await (input as unknown as { uploadFile: (p: string) => Promise<void> }).uploadFile(path);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Headless Chromium with the bench page, and the Node end, connected (files and bench-raw channels open). */
export async function openFilesPair(): Promise<{ page: Page; node: FilePeer; close: () => Promise<void>; browserPid: number | undefined }> {
  const { server, url } = await servePage();
  const userDataDir = mkdtempSync(join(tmpdir(), 'rr-bench-files-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  let node: FilePeer | null = null;
  const close = async (): Promise<void> => {
    node?.close();
    await browser.close().catch(() => undefined);
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const page: Page = await browser.newPage();
    page.on('pageerror', (err) => console.error(`  [files pageerror] ${String(err)}`));
    await page.goto(url);
    await page.waitForFunction(() => typeof window.startBenchPeer === 'function', { timeout: 10_000 });
    const ctor = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;
    // The page's (polite) end opens on the Node end's first offer, as the product's engines do: two
    // first offers crossing made the page roll its own back, and about one start in 25 its ICE never
    // gathered after that rollback (both ends stable, ICE 'new', no candidate from the page: see
    // docs/performance-files.md). Only the Node end offers first now, so nothing is rolled back.
    const t0 = Date.now();
    const trace: string[] = [];
    const note = (dir: string, d: SignalData): void => {
      trace.push(`${Date.now() - t0} ms ${dir} ${d.kind === 'description' ? d.description.type : d.candidate ? 'candidate' : 'end of candidates'}`);
    };
    await page.exposeFunction('benchSignal', async (d: SignalData) => {
      note('page→node', d);
      await node?.handleSignal(d);
    });
    await page.exposeFunction('benchTrace', (line: string) => trace.push(`${Date.now() - t0} ms page: ${line}`));
    node = new FilePeer(
      ctor,
      false,
      (d) => {
        note('node→page', d);
        void page
          .evaluate((s) => {
            if (!window.benchPeer) window.startBenchPeer();
            return window.benchPeer!.handleSignal(s);
          }, d as never)
          .catch((e: unknown) => trace.push(`signal to page failed: ${String(e)}`));
      },
      nodeHasher,
    );
    const n = node;
    n.peer.on('warning', (w) => trace.push(`${Date.now() - t0} ms node warning: ${JSON.stringify(w)}`));
    n.peer.pc.addEventListener('signalingstatechange', () => trace.push(`${Date.now() - t0} ms node signaling ${n.peer.pc.signalingState}`));
    await waitUntil(() => page.evaluate(() => window.benchPeer !== undefined), 15_000, 'the page end to open on the first offer');
    try {
      await Promise.all([n.open(), page.evaluate(() => window.benchPeer!.open())]);
    } catch (err) {
      // Where it stuck, for the flake hunt: both ends' states.
      const state = (pc: RTCPeerConnection, ch: (c: string) => RTCDataChannel): string =>
        `signaling ${pc.signalingState}, ice ${pc.iceConnectionState}, connection ${pc.connectionState}, files ${ch('files').readyState}, control ${ch('control').readyState}`;
      const pageState = await page.evaluate(() => {
        const p = window.benchPeer!.peer;
        return `signaling ${p.pc.signalingState}, ice ${p.pc.iceConnectionState}, connection ${p.pc.connectionState}, files ${p.channel('files').readyState}, control ${p.channel('control').readyState}`;
      }).catch((e: unknown) => String(e));
      throw new Error(`${String(err)}; Node end: ${state(n.peer.pc, (c) => n.peer.channel(c as 'files'))}; page: ${pageState}\n${trace.join('\n')}`);
    }
    return { page, node: n, close, browserPid: browser.process()?.pid };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * `profile`: a CPU profile of the page (Chrome DevTools Protocol) and of this
 * process (node:inspector) during one extra transfer each way, summarised on
 * stderr (self time per function): the evidence for where the time goes.
 */
export async function runFiles({ quick, profile = false }: { quick: boolean; profile?: boolean }): Promise<BenchRow[]> {
  const bytes = (quick ? 24 : 64) * 1024 * 1024;
  // Three rounds either way: with two, the nearest-rank median (lib/stats.ts) is the lower of the pair, and a bare
  // round at half its usual speed (one in the 12-06 quick run: 33.1 then 17.2 MB/s) made the ratio read 1.24x.
  const reps = 3;
  const { page, node: n, close } = await openFilesPair();
  try {
    const mbps = (b: number, ms: number): number => b / 1e6 / (ms / 1000);
    // The page arms its counter before Node sends (and the other way round); every wait is bounded.
    const bounded = <T>(p: Promise<T>, what: string): Promise<T> =>
      Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`files: ${what} took over 60 s`)), 60_000))]);
    const toBrowser = async (b: number): Promise<number> => {
      await page.evaluate((x) => void ((window as unknown as { rawDone: Promise<number> }).rawDone = window.benchPeer!.expectRaw(x)), b);
      const start = await n.sendRaw(b);
      return mbps(b, (await bounded(page.evaluate(() => (window as unknown as { rawDone: Promise<number> }).rawDone), 'raw to browser')) - start);
    };
    const toNode = async (b: number): Promise<number> => {
      const done = n.expectRaw(b);
      const start = await page.evaluate((x) => window.benchPeer!.sendRaw(x), b);
      return mbps(b, (await bounded(done, 'raw to Node')) - start);
    };
    // Warm-up both ways (SCTP congestion window, JIT), so the order does not favour either figure.
    await toBrowser(8 * 1024 * 1024);
    await toNode(8 * 1024 * 1024);
    // Bare and protocol alternate, `reps` times each way; the medians are reported.
    const rawDown: number[] = [];
    const rawUp: number[] = [];
    const fileDown: number[] = [];
    const fileUp: number[] = [];
    // Until the receiver accepted the offer: the sender's work before its first frame.
    const offerDown: number[] = [];
    const offerUp: number[] = [];
    // From the last byte written at the receiver to the sender's done: both digests, file.digest, file.complete.
    const tailDown: number[] = [];
    const tailUp: number[] = [];
    for (let r = 0; r < reps; r++) {
      rawDown.push(await toBrowser(bytes));
      const [s1, e1, ok1] = await bounded(n.sendFile(bytes), 'file to browser');
      rawUp.push(await toNode(bytes));
      const [s2, e2, ok2] = await bounded(page.evaluate((b) => window.benchPeer!.sendFile(b), bytes), 'file to Node');
      if (!ok1 || !ok2) throw new Error(`a verified transfer failed (agent→browser ${ok1}, browser→agent ${ok2})`);
      fileDown.push(mbps(bytes, e1 - s1));
      fileUp.push(mbps(bytes, e2 - s2));
      offerDown.push((await page.evaluate(() => window.benchPeer!.lastIncomingAt)) - s1);
      offerUp.push(n.lastIncomingAt - s2);
      tailDown.push(e1 - (await page.evaluate(() => window.benchPeer!.lastWrittenAt)));
      tailUp.push(e2 - n.lastWrittenAt);
      const fmt = (p: PumpStats): string =>
        `polls ${p.polls}, over mark ${p.overMark}, window full ${p.windowFull}, ran dry ${p.ranDry}, slept ${p.sleptMs.toFixed(0)} ms (max ${p.maxSleepMs.toFixed(1)}), frames ${p.frames}, acks ${p.acks}`;
      console.error(`  pump down (Node): ${fmt(n.pump)}\n  pump up (page): ${fmt(await page.evaluate(() => window.benchPeer!.pump))}`);
      console.error(`  files rep ${r + 1}: down bare ${rawDown.at(-1)!.toFixed(1)} file ${fileDown.at(-1)!.toFixed(1)} MB/s (first frame ${offerDown.at(-1)!.toFixed(0)} ms, tail ${tailDown.at(-1)!.toFixed(0)} ms); up bare ${rawUp.at(-1)!.toFixed(1)} file ${fileUp.at(-1)!.toFixed(1)} MB/s (first frame ${offerUp.at(-1)!.toFixed(0)} ms, tail ${tailUp.at(-1)!.toFixed(0)} ms)`);
    }
    if (profile) await profileBoth(page, n, bytes, bounded);
    // Each round's file figure over the bare one just before it: the spread says how far one run's ratio can be read.
    const perRound = (file: number[], bare: number[]): string => {
      const r = file.map((f, i) => f / bare[i]!);
      return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}x`;
    };
    const note = `median of ${reps}× ${bytes / 1024 ** 2} MiB, Node(wrtc)↔Chromium, same peer connection; each round over its bare one ${perRound(fileDown, rawDown)} / ${perRound(fileUp, rawUp)}; first frame after ${median(offerDown).toFixed(0)} / ${median(offerUp).toFixed(0)} ms, last write to done ${median(tailDown).toFixed(0)} / ${median(tailUp).toFixed(0)} ms`;
    return [
      { group: GROUP, name: 'agent end → browser, file protocol + SHA-256', value: median(fileDown), unit: 'MB/s', reference: { name: 'bare data channel', value: median(rawDown) }, note },
      { group: GROUP, name: 'browser → agent end, file protocol + SHA-256', value: median(fileUp), unit: 'MB/s', reference: { name: 'bare data channel', value: median(rawUp) } },
    ];
  } finally {
    await close();
  }
}

/** One more transfer each way with both ends profiled; summaries on stderr. */
async function profileBoth(page: Page, n: FilePeer, bytes: number, bounded: <T>(p: Promise<T>, what: string) => Promise<T>): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const { summarizeCpuProfile } = await import('./lib/cpuprofile-summary.ts');
  const { writeFileSync } = await import('node:fs');
  const cdp = await page.createCDPSession();
  const local = new Session();
  local.connect();
  await cdp.send('Profiler.enable');
  await local.post('Profiler.enable');
  for (const [label, run] of [
    ['agent end → browser', () => n.sendFile(bytes)],
    ['browser → agent end', () => page.evaluate((b) => window.benchPeer!.sendFile(b), bytes)],
  ] as const) {
    await cdp.send('Profiler.start');
    await local.post('Profiler.start');
    await bounded(run(), `profiled ${label}`);
    const { profile: pageProfile } = await cdp.send('Profiler.stop');
    const { profile: nodeProfile } = await local.post('Profiler.stop');
    for (const [end, prof] of [
      ['page', pageProfile],
      ['node', nodeProfile],
    ] as const) {
      const file = join(tmpdir(), `rr-files-${end}-${label.startsWith('agent') ? 'down' : 'up'}.cpuprofile`);
      writeFileSync(file, JSON.stringify(prof));
      console.error(`-- ${label}, ${end} (${file})\n${summarizeCpuProfile(file, 12)}`);
    }
  }
  local.disconnect();
  await cdp.detach();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runFiles({ quick: process.argv.includes('--quick'), profile: process.argv.includes('--profile') })));
  process.exit(0);
}
