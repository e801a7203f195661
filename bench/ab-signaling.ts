/**
 * A/B of the product's signaling server between source trees, beside PeerJS, in
 * the same machine state (rounds interleave the servers):
 *   npx tsx bench/ab-signaling.ts [rounds=3] [pairs=600] [concurrency=50] TREE...
 * Each TREE is a checkout of this repository (e.g. `git worktree add /tmp/base main`);
 * every server gets a warm-up of 100 pairs first, then `pairs` are measured.
 * With 2+ cores the load client and the server run on cores of their own (bench/lib/pin.ts).
 */
import { spawnReady } from './lib/child.ts';
import { runBounded, summarize } from './lib/load-runner.ts';
import { cpuSeconds } from './lib/proc.ts';
import { onServerCore, pinLoadClient, pinningNote } from './lib/pin.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { peerjsPair } from './signaling-peerjs.ts';
import { login, openTechnician, productPair } from './signaling-product.ts';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const [rounds = 3, pairs = 600, concurrency = 50] = args.filter((a) => /^\d+$/.test(a)).map(Number);
const trees = args.filter((a) => !/^\d+$/.test(a));
/** Write-class system calls of a process so far (Linux /proc/PID/io `syscw`: write, writev, pwrite...). */
const writeCalls = (pid: number): number => Number(/^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
type Info = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };

async function measure(label: string, cwd: string, script: string, peer: boolean): Promise<string> {
  const consoles = Math.ceil((pairs + 100) / 10);
  const [command, argv] = onServerCore(process.execPath, ['--expose-gc', '--import', 'tsx', join(cwd, script)]);
  const server = await spawnReady<Info>(command, argv, 120_000, { BENCH_TECHNICIANS: String(consoles) });
  const hold: BenchSocket[] = [];
  let techs: BenchSocket[] = [];
  try {
    const run = peer
      ? (i: number) => peerjsPair(server.info.port, i, hold)
      : (i: number) => productPair({ port: server.info.port, technicians: techs }, i, hold);
    if (!peer) techs = await Promise.all(server.info.technicians.map(async (t) => openTechnician(server.info.port, server.info.origin, await login(server.info.port, t.email, t.password))));
    await runBounded(100, concurrency, 60_000, (i) => run(i + 100_000));
    const cpu = cpuSeconds(server.info.pid);
    const writes = writeCalls(server.info.pid);
    const r = await runBounded(pairs, concurrency, 120_000, run);
    const cpuMs = ((cpuSeconds(server.info.pid) - cpu) * 1000) / r.latencies.length;
    const writesPerPair = (writeCalls(server.info.pid) - writes) / r.latencies.length;
    const s = summarize(r.latencies);
    return `${label.padEnd(12)} ${(r.latencies.length / (r.elapsedMs / 1000)).toFixed(1).padStart(7)} pairs/s  p99 ${s.p99.toFixed(0).padStart(6)} ms  server CPU ${cpuMs.toFixed(2)} ms/pair  ${writesPerPair.toFixed(1)} writes/pair  errors ${r.errors}`;
  } finally {
    for (const socket of [...hold, ...techs]) socket.close();
    await server.stop();
  }
}

pinLoadClient();
console.log(pinningNote());
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round}, load ${loadavg()[0]?.toFixed(1)}`);
  console.log(await measure('peerjs', process.cwd(), 'bench/servers/peerjs-server.ts', true));
  for (const tree of trees) console.log(await measure(tree.split('/').pop() ?? tree, tree, 'bench/servers/signaling-server.ts', false));
}
