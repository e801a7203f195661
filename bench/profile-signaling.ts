/**
 * Profiles the signaling server under the load bench's exchange:
 *   npx tsx bench/profile-signaling.ts [pairs=1500] [consoles=150] [concurrency=100]
 * Runs the server in a child with --cpu-prof and prints its hottest frames.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady } from './lib/child.ts';
import { summarizeCpuProfile } from './lib/cpuprofile-summary.ts';
import { runBounded } from './lib/load-runner.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { login, openTechnician, productPair } from './signaling-product.ts';

const [pairs = 1500, consoles = 150, concurrency = 100] = process.argv.slice(2).map(Number);
const profDir = mkdtempSync(join(tmpdir(), 'rr-prof-'));
type Info = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };
const server = await spawnReady<Info>(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--import', 'tsx', 'bench/servers/signaling-server.ts'], 120_000, {
  BENCH_TECHNICIANS: String(consoles),
});
const technicians = await Promise.all(
  server.info.technicians.map(async (t) => openTechnician(server.info.port, server.info.origin, await login(server.info.port, t.email, t.password))),
);
const hold: BenchSocket[] = [];
const result = await runBounded(pairs, concurrency, 120_000, (i) => productPair({ port: server.info.port, technicians }, i, hold));
console.log(`${result.latencies.length} pairs, ${result.errors} errors, ${(result.latencies.length / (result.elapsedMs / 1000)).toFixed(0)} pairs/s`);
for (const socket of [...hold, ...technicians]) socket.close();
await server.stop();
// tsx's loader thread writes a second, small profile; the server's is the largest.
const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort();
const main = files[0];
if (main) console.log(summarizeCpuProfile(join(profDir, main)));
console.log(`profiles in ${profDir}`);
