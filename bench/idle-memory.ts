/**
 * Memory per idle signaling connection, product and PeerJS, by the load
 * bench's method (RSS after a forced full GC, before and after N pairs whose
 * sockets stay open), plus the V8 heap's part of it and, with `--snapshot`,
 * what the product's heap holds per connection by constructor (two heap
 * snapshots, before and after):
 *   npx tsx bench/idle-memory.ts [pairs=1000] [--snapshot] [TREE]
 */
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady, type ReadyChild } from './lib/child.ts';
import { runBounded } from './lib/load-runner.ts';
import { rssBytes } from './lib/proc.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { peerjsPair } from './signaling-peerjs.ts';
import { login, openTechnician, productPair } from './signaling-product.ts';

const args = process.argv.slice(2);
const pairs = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const snapshot = args.includes('--snapshot');
const tree = args.find((a) => !/^\d+$/.test(a) && !a.startsWith('--')) ?? '.';
type Info = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };

/** Self size by constructor (objects, closures, strings, arrays...) in a .heapsnapshot. */
function heapByConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]}` : type;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

async function takeSnapshot(server: ReadyChild<Info>, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(server.info.pid, 'SIGUSR1');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const made = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written when the file stops growing.
    if (made[0]) {
      const file = join(dir, made[0]);
      const size = readFileSync(file).length;
      await new Promise((r) => setTimeout(r, 500));
      if (readFileSync(file).length === size && size > 0) return file;
    }
  }
  throw new Error('no heap snapshot');
}

async function measure(peer: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rr-heap-'));
  const flags = ['--expose-gc', ...(snapshot && !peer ? ['--heapsnapshot-signal=SIGUSR1', `--diagnostic-dir=${dir}`] : []), '--import', 'tsx'];
  const script = peer ? 'bench/servers/peerjs-server.ts' : join(tree, 'bench/servers/signaling-server.ts');
  const server = await spawnReady<Info>(process.execPath, [...flags, script], 120_000, { BENCH_TECHNICIANS: String(Math.ceil(pairs / 10)) });
  const hold: BenchSocket[] = [];
  let techs: BenchSocket[] = [];
  try {
    if (!peer) techs = await Promise.all(server.info.technicians.map(async (t) => openTechnician(server.info.port, server.info.origin, await login(server.info.port, t.email, t.password))));
    const run = peer ? (i: number) => peerjsPair(server.info.port, i, hold) : (i: number) => productPair({ port: server.info.port, technicians: techs }, i, hold);
    // Warm up (code compiled, pools grown), then close those sockets.
    const warm: BenchSocket[] = [];
    await runBounded(50, 25, 60_000, (i) => (peer ? peerjsPair(server.info.port, 900_000 + i, warm) : productPair({ port: server.info.port, technicians: techs }, 900_000 + i, warm)));
    for (const s of warm) s.close();
    await new Promise((r) => setTimeout(r, 500));
    await server.collectGarbage();
    const rss0 = rssBytes(server.info.pid);
    const heap0 = snapshot && !peer ? heapByConstructor(await takeSnapshot(server, dir)) : null;
    const r = await runBounded(pairs, 50, 300_000, run);
    await server.collectGarbage();
    const rss1 = rssBytes(server.info.pid);
    const n = hold.length;
    console.log(`${peer ? 'peerjs' : tree}: ${r.latencies.length} pairs, ${n} idle sockets (+${techs.length} consoles): RSS ${((rss1 - rss0) / n / 1024).toFixed(1)} KiB per socket`);
    if (heap0) {
      const heap1 = heapByConstructor(await takeSnapshot(server, dir));
      const rows = [...heap1].map(([key, v]) => ({ key, count: v.count - (heap0.get(key)?.count ?? 0), bytes: v.bytes - (heap0.get(key)?.bytes ?? 0) }));
      const total = rows.reduce((sum, row) => sum + row.bytes, 0);
      console.log(`  V8 heap: ${(total / n / 1024).toFixed(2)} KiB per socket; the largest, per socket:`);
      for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, 25)) {
        console.log(`  ${(row.bytes / n).toFixed(0).padStart(6)} B  ${(row.count / n).toFixed(2).padStart(6)} x  ${row.key}`);
      }
    }
  } finally {
    for (const s of [...hold, ...techs]) s.close();
    await server.stop();
  }
}

await measure(true);
await measure(false);
