/**
 * Profiles the signaling server under the load bench's exchange:
 *   npx tsx bench/profile-signaling.ts [pairs=1500] [consoles=150] [concurrency=100]
 * Runs the server in a child with --cpu-prof, warms it up with a tenth of the
 * pairs, and prints its hottest frames during the measured pairs only.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady } from './lib/child.ts';
import { profileClockUs, summarizeCpuProfile } from './lib/cpuprofile-summary.ts';
import { runBounded } from './lib/load-runner.ts';
import { cpuSeconds } from './lib/proc.ts';
import { onServerCore, pinLoadClient, pinningNote } from './lib/pin.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { login, openTechnician, productPair } from './signaling-product.ts';

const [pairs = 1500, consoles = 150, concurrency = 100] = process.argv.slice(2).map(Number);
const profDir = mkdtempSync(join(tmpdir(), 'rr-prof-'));
type Info = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };
pinLoadClient();
console.log(pinningNote());
const [command, argv] = onServerCore(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--import', 'tsx', 'bench/servers/signaling-server.ts']);
const server = await spawnReady<Info>(command, argv, 120_000, {
  BENCH_TECHNICIANS: String(consoles),
});
const technicians = await Promise.all(
  server.info.technicians.map(async (t) => openTechnician(server.info.port, server.info.origin, await login(server.info.port, t.email, t.password))),
);
const hold: BenchSocket[] = [];
const target = { port: server.info.port, technicians };
const warmUp = Math.ceil(pairs / 10);
await runBounded(warmUp, concurrency, 120_000, (i) => productPair(target, i, hold));
const fromUs = profileClockUs();
const serverCpu = cpuSeconds(server.info.pid);
const clientCpu = process.cpuUsage();
const result = await runBounded(pairs, concurrency, 120_000, (i) => productPair(target, warmUp + i, hold));
const toUs = profileClockUs();
const serverMs = (cpuSeconds(server.info.pid) - serverCpu) * 1000;
const client = process.cpuUsage(clientCpu);
const n = Math.max(1, result.latencies.length);
console.log(
  `${result.latencies.length} pairs (after ${warmUp} to warm up), ${result.errors} errors, ${(result.latencies.length / (result.elapsedMs / 1000)).toFixed(0)} pairs/s, ` +
    `CPU per pair: server ${(serverMs / n).toFixed(2)} ms, load client ${((client.user + client.system) / 1000 / n).toFixed(2)} ms`,
);
for (const socket of [...hold, ...technicians]) socket.close();
await server.stop();
// tsx's loader thread writes a second, small profile; the server's is the largest.
const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort();
const main = files[0];
if (main) console.log(summarizeCpuProfile(join(profDir, main), 25, { fromUs, toUs }));
console.log(`profiles in ${profDir}`);
