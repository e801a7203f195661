/**
 * `npm run bench [-- --quick] [--json FILE] [--only NAME,...]`: measures the
 * product beside its references in one run and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { renderTable, type BenchRow } from './lib/table.ts';
import { runSignalingLoad } from './signaling-load.ts';

type Stage = { name: string; run: (opts: { quick: boolean }) => Promise<BenchRow[]> };

const STAGES: Stage[] = [{ name: 'signaling', run: runSignalingLoad }];

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
const rows: BenchRow[] = [];
const failures: string[] = [];
const started = Date.now();
for (const stage of STAGES) {
  if (args.only && !args.only.includes(stage.name)) continue;
  console.error(`bench: ${stage.name}${args.quick ? ' (quick)' : ''}...`);
  try {
    rows.push(...(await stage.run({ quick: args.quick })));
  } catch (error) {
    failures.push(`${stage.name}: ${(error as Error).message}`);
    console.error(`bench: ${stage.name} failed: ${(error as Error).stack ?? String(error)}`);
  }
}
console.log(`\nRelay Rescue benchmark, ${new Date().toISOString()}, ${machine}, ${((Date.now() - started) / 1000).toFixed(0)} s${args.quick ? ', --quick' : ''}\n`);
console.log(renderTable(rows));
if (failures.length > 0) console.log(`\nFailed stages:\n${failures.map((f) => `- ${f}`).join('\n')}`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), machine, quick: args.quick, rows, failures }, null, 2));
  console.log(`\nwrote ${args.json}`);
}
process.exit(failures.length > 0 ? 1 : 0);
