/**
 * `npm run bench [-- --quick] [--json FILE] [--only NAME,...]`: measures the
 * product beside its references in one run and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { renderTable, type BenchRow } from './lib/table.ts';
import { runSignalingLoad } from './signaling-load.ts';

type Stage = { name: string; run: (opts: { quick: boolean }) => Promise<BenchRow[]> };

type RunStage = Stage['run'];

/**
 * Loads a stage's module only when it runs, so a stage whose dependencies are
 * missing (no agent, no web build, no Chromium) fails alone, with the reason
 * under "Failed stages", and the others still run.
 */
function lazy(load: () => Promise<Record<string, unknown>>, exported: string): RunStage {
  return async (opts) => {
    const mod = await load();
    const run = mod[exported];
    if (typeof run !== 'function') throw new Error(`the module exports no ${exported}`);
    return (run as RunStage)(opts);
  };
}

const STAGES: Stage[] = [
  { name: 'signaling', run: runSignalingLoad },
  { name: 'cluster', run: lazy(() => import('./signaling-cluster.ts'), 'runSignalingCluster') },
  { name: 'first-frame', run: lazy(() => import('./first-frame.ts'), 'runFirstFrame') },
  { name: 'glass-to-glass', run: lazy(() => import('./glass-to-glass.ts'), 'runGlassToGlass') },
  { name: 'input', run: lazy(() => import('./input-latency.ts'), 'runInputLatency') },
  { name: 'files', run: lazy(() => import('./files.ts'), 'runFiles') },
  { name: 'agent', run: lazy(() => import('./agent-bench.ts'), 'runAgentBench') },
  { name: 'admin-audit', run: lazy(() => import('./admin-audit.ts'), 'runAdminAudit') },
  { name: 'colleague-cost', run: lazy(() => import('./colleague/colleague-cost.ts'), 'runColleagueCost') },
  { name: 'adaptation', run: lazy(() => import('./adaptation.ts'), 'runAdaptation') },
  { name: 'loss', run: lazy(() => import('./loss.ts'), 'runLoss') },
];

function parseArgs(argv: string[]): { quick: boolean; json: string | null; only: string[] | null } {
  let quick = false;
  let json: string | null = null;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--json') json = argv[++i] ?? 'bench/results/latest.json';
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else {
      console.error(`bench: unknown argument ${arg}\nusage: npm run bench -- [--quick] [--json FILE] [--only ${STAGES.map((s) => s.name).join(',')}]`);
      process.exit(2);
    }
  }
  return { quick, json, only };
}

const args = parseArgs(process.argv.slice(2));
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`;
const loadAtStart = loadavg()[0] ?? 0;
const rows: BenchRow[] = [];
const failures: string[] = [];
const started = Date.now();
for (const stage of STAGES) {
  if (args.only && !args.only.includes(stage.name)) continue;
  console.error(`bench: ${stage.name}${args.quick ? ' (quick)' : ''}...`);
  const stageStarted = Date.now();
  try {
    rows.push(...(await stage.run({ quick: args.quick })));
    console.error(`bench: ${stage.name} took ${((Date.now() - stageStarted) / 1000).toFixed(1)} s`);
  } catch (error) {
    failures.push(`${stage.name}: ${(error as Error).message}`);
    console.error(`bench: ${stage.name} failed: ${(error as Error).stack ?? String(error)}`);
  }
}
const load = `load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
console.log(`\nRelay Rescue benchmark, ${new Date().toISOString()}, ${machine}, ${load}, ${((Date.now() - started) / 1000).toFixed(0)} s${args.quick ? ', --quick' : ''}\n`);
console.log(renderTable(rows));
if (failures.length > 0) console.log(`\nFailed stages:\n${failures.map((f) => `- ${f}`).join('\n')}`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), machine, load, quick: args.quick, rows, failures }, null, 2));
  console.log(`\nwrote ${args.json}`);
}
process.exit(failures.length > 0 ? 1 : 0);
