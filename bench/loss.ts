/**
 * Loss and delay between customer and technician (issue 18 point 1): the
 * product's engines in two network namespaces, the signaling server in a
 * third between them, every peer-to-peer packet through the userspace netem
 * (testkit/lossy-path.ts) at 25 ms each way (50 ms round trip) and 0%, 1%, 5%
 * and 10% loss each way. Under each: glass to glass and fps of the
 * technician's video (640x360 at 30 fps, synthetic), and a file each way at
 * once (32 MiB; 4 MiB with --quick, which also skips 5%).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLossyPath, lossyPathUnavailable } from '../testkit/lossy-path.ts';
import { measureFiles, measureVideo, startLossySession } from '../testkit/lossy-session.ts';
import { spawnReady } from './lib/child.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';

const GROUP = 'loss';
const DELAY_MS = 25;
const MiB = 1024 * 1024;

export async function runLoss({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const missing = lossyPathUnavailable();
  if (missing) throw new Error(missing);
  const levels = quick ? [0, 0.01, 0.1] : [0, 0.01, 0.05, 0.1];
  const fileBytes = quick ? 4 * MiB : 32 * MiB;
  const rows: BenchRow[] = [];
  const path = await createLossyPath(0, DELAY_MS);
  const dataDir = mkdtempSync(join(tmpdir(), 'rr-bench-loss-'));
  const server = await spawnReady<{ port: number; origin: string; technicians: Array<{ email: string; password: string }> }>(
    'ip',
    ['netns', 'exec', path.namespaces.router, process.execPath, '--import', 'tsx', 'bench/servers/signaling-server.ts'],
    120_000,
    { BENCH_TECHNICIANS: '1', BENCH_DATA_DIR: dataDir, BENCH_HOST: '0.0.0.0' },
  );
  try {
    const login = server.info.technicians[0];
    if (!login) throw new Error('the bench server made no technician');
    const session = await startLossySession(path, server.info, login);
    try {
      for (const loss of levels) {
        await path.set(loss, DELAY_MS);
        const label = `${loss * 100}% loss, ${2 * DELAY_MS} ms RTT`;
        const ping = await path.ping(200, 0.01);
        const video = await measureVideo(session, quick ? 6000 : 10_000);
        const files = await measureFiles(session, fileBytes, `bench-${loss}`);
        const g2g = video.glassToGlassMs;
        rows.push(
          { group: GROUP, name: `${label}: glass to glass p50`, value: median(g2g), unit: 'ms', note: `p99 ${p99(g2g).toFixed(0)} ms, ${g2g.length} changes; ping ${ping.rttAvgMs.toFixed(0)} ms, ${ping.lossPct.toFixed(1)}% lost` },
          { group: GROUP, name: `${label}: video fps`, value: video.fps, unit: 'fps', note: `${video.width}x${video.height}, longest gap ${video.maxGapMs.toFixed(0)} ms` },
          ...files.map((f) => ({
            group: GROUP,
            name: `${label}: ${fileBytes / MiB} MiB ${f.direction}`,
            value: f.mbps,
            unit: 'Mbit/s',
            note: `${f.ok ? 'ok' : f.code} in ${(f.ms / 1000).toFixed(1)} s, sha256 ${f.sha256Match ? 'match' : 'MISMATCH'}, ${f.corruptedBytes} corrupted bytes`,
          })),
        );
        console.error(`bench: loss ${label}: g2g p50 ${median(g2g).toFixed(0)} ms, ${video.fps.toFixed(1)} fps, files ${files.map((f) => f.mbps.toFixed(2)).join('/')} Mbit/s`);
      }
    } finally {
      await session.close();
    }
  } finally {
    await server.stop();
    await path.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runLoss({ quick: process.argv.includes('--quick') })));
  process.exit(0);
}
