/**
 * Input latency: the technician (Node, rtc/ PeerSession over @roamhq/wrtc)
 * sends a pointer move; the real agent injects it with XTEST; this process,
 * an X client listening for MotionNotify on the root window, sees the pointer
 * arrive. Measured idle, and again while the agent sends a large file to the
 * technician, and while the technician sends one to the agent, over the
 * product's file protocol on the same peer connection. References: 1.5x the
 * idle median and 20 ms for the p99 (the targets of issue 14).
 * bench/agent-bench.ts measures the same path while streaming video.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskSource } from '../agent/files/disk-source.ts';
import { nodeHasher } from '../agent/files/node-hasher.ts';
import { openDisplay, xcall, type XEvent } from '../agent/platform/linux-x11/display.ts';
import type { PeerSession } from '../rtc/peer-session.ts';
import { FileTransfer } from '../rtc/file-transfer.ts';
import { createNodeTechnician, spawnAgent } from '../testkit/node-technician.ts';
import { startXvfb } from '../testkit/xvfb.ts';
import { startTestServer } from '../testkit/server.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';

const GROUP = 'input';
const WIDTH = 1280;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A file of `bytes` pseudo-random bytes on disk (written in 1 MiB blocks). */
function writeFile(path: string, bytes: number): void {
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const fd = openSync(path, 'w');
  try {
    for (let off = 0; off < bytes; off += block.length) {
      block[0] = off >>> 20;
      writeSync(fd, block, 0, Math.min(block.length, bytes - off));
    }
  } finally {
    closeSync(fd);
  }
}

export async function runInputLatency({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const moves = quick ? 100 : 500;
  const fileBytes = (quick ? 96 : 512) * 1024 * 1024;
  const xvfb = await startXvfb(WIDTH, 720);
  const x = await openDisplay(xvfb.display);
  const server = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'rr-bench-input-'));
  const bigFile = join(dir, 'big.bin');
  writeFile(bigFile, fileBytes);
  const tech = await createNodeTechnician(server);
  const agent = spawnAgent(['--server', server.url, '--code', tech.code, '--display', xvfb.display, '--download-dir', join(dir, 'dl'), '--auto-grant', 'view,control,files', '--fps', '30']);
  // INPUT_FILE_OPTS='{"inputWindowBytes":65536}': the technician's FileTransfer options, for A/B runs of the input-first pacing.
  const extra = JSON.parse(process.env['INPUT_FILE_OPTS'] ?? '{}') as Record<string, number>;
  const files = new FileTransfer({
    ...extra,
    hasher: nodeHasher,
    sinkFactory: async () => ({ write: async () => undefined, finish: async () => ({}), abort: async () => undefined }),
  });
  try {
    await agent.waitLine(/Connected to session/, 30_000);
    const peer = await tech.activate();
    files.attach(peer.filesPort());
    await sleep(1000);
    x.client.ChangeWindowAttributes(x.root, { eventMask: 0x40 }); // PointerMotion
    await xcall((cb) => x.client.GetInputFocus(cb));
    let waiting: { px: number; resolve: () => void } | null = null;
    x.client.on('event', (ev: XEvent) => {
      if (ev.name === 'MotionNotify' && waiting && ev.rootx === waiting.px) waiting.resolve();
    });
    let i = 0;
    const move = async (p: PeerSession): Promise<number | null> => {
      i++;
      const fx = ((i * 97) % 1000) / 1000;
      const px = Math.round(fx * (WIDTH - 1));
      const t = performance.now();
      const seen = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 1000);
        waiting = { px, resolve: () => (clearTimeout(timer), resolve(true)) };
        p.send('pointer', { type: 'pointer.move', x: fx, y: 0.5 });
      });
      waiting = null;
      return seen ? performance.now() - t : null;
    };
    const idle: number[] = [];
    for (let k = 0; k < moves; k++) {
      const ms = await move(peer);
      if (ms !== null) idle.push(ms);
      await sleep(5);
    }
    const idleWorst = idle.map((ms, k) => ({ ms, k })).sort((a, b) => b.ms - a.ms).slice(0, 4);
    console.error(`  input idle: worst moves ${idleWorst.map((w) => `#${w.k}: ${w.ms.toFixed(1)} ms`).join(', ')}`);

    // The same moves while a big file crosses the same peer connection, each way in turn.
    const during = async (direction: 'agent→technician' | 'technician→agent'): Promise<{ loaded: number[]; note: string }> => {
      let transfer: { bytes: number; ms: number; ok: boolean } | null = null;
      let started = performance.now();
      const finished = new Promise<void>((resolve) => {
        const off = files.on('finished', (r) => {
          transfer = { bytes: r.size, ms: performance.now() - started, ok: r.ok };
          off();
          resolve();
        });
      });
      let receiving = false;
      let progressBytes = 0;
      const offProgress = files.on('progress', (p) => {
        receiving = true;
        progressBytes = p.bytes;
      });
      if (direction === 'agent→technician') agent.type(`/send ${bigFile}`);
      else void diskSource(bigFile).then((src) => files.send(src).done.finally(() => void src.close()));
      for (let k = 0; k < 500 && !receiving; k++) await sleep(10);
      started = performance.now();
      const loaded: number[] = [];
      const atMs: number[] = [];
      for (let k = 0; k < moves && !transfer; k++) {
        const at = performance.now() - started;
        const ms = await move(peer);
        if (ms !== null && !transfer) {
          loaded.push(ms);
          atMs.push(at);
        }
        await sleep(5);
      }
      // Let the transfer finish (bounded), so its rate is known; cancel it if it is still going.
      await Promise.race([finished, sleep(quick ? 30_000 : 90_000)]);
      offProgress();
      const t = (transfer as { bytes: number; ms: number; ok: boolean } | null) ?? { bytes: progressBytes, ms: performance.now() - started, ok: false };
      files.cancelAll('bench over');
      // The worst moves and when they came (move number, ms after the first): the p99 of 100 is the second worst.
      const worst = loaded.map((ms, k) => ({ ms, k, at: atMs[k]! })).sort((a, b) => b.ms - a.ms).slice(0, 4);
      console.error(`  input ${direction}: worst moves ${worst.map((w) => `#${w.k} at ${w.at.toFixed(0)} ms: ${w.ms.toFixed(1)} ms`).join(', ')}`);
      if (loaded.length < 10) throw new Error(`only ${loaded.length} moves landed during the ${direction} transfer (${t.ms.toFixed(0)} ms); make the file bigger`);
      return { loaded, note: `${loaded.length} moves during a ${fileBytes / 1024 ** 2} MiB ${direction} transfer at ${(t.bytes / 1e6 / (t.ms / 1000)).toFixed(1)} MB/s${t.ok ? '' : ' (unfinished)'}` };
    };
    const down = await during('agent→technician');
    await sleep(1000);
    const up = await during('technician→agent');
    const rows: BenchRow[] = [
      { group: GROUP, name: 'technician move → X server, idle, median', value: median(idle), unit: 'ms', note: `${idle.length}/${moves} moves, video on` },
      { group: GROUP, name: 'technician move → X server, idle, p99', value: p99(idle), unit: 'ms' },
    ];
    // The ratio column is during ÷ idle from this run: the target is ≤ 1.5x for the median, and ≤ 20 ms for the p99 (issue 14).
    for (const [label, d] of [['agent→technician', down], ['technician→agent', up]] as const) {
      rows.push(
        { group: GROUP, name: `during a ${label} file transfer, median (target ≤ 1.5x idle)`, value: median(d.loaded), unit: 'ms', reference: { name: 'idle median', value: median(idle) }, note: d.note },
        { group: GROUP, name: `during a ${label} file transfer, p99 (target ≤ 20 ms)`, value: p99(d.loaded), unit: 'ms', reference: { name: 'idle p99', value: p99(idle) } },
      );
    }
    return rows;
  } finally {
    files.close();
    tech.close();
    await agent.kill();
    x.close();
    await server.close();
    await xvfb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runInputLatency({ quick: process.argv.includes('--quick') })));
  process.exit(0);
}
