/**
 * What `npm run build` produces and what each part is built from, so that
 * `npm start` (scripts/ensure-built.ts) can rebuild what is missing or older
 * than its sources.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface BuildPart {
  /** What people call it in a log line. */
  label: string;
  /** Files the server serves from this part, relative to the repository. */
  outputs: readonly string[];
  /** Files and folders whose change makes the part stale, relative to the repository. */
  inputs: readonly string[];
  /** The command that builds it alone. */
  command: string;
}

const SHARED = ['protocol', 'rtc', 'package.json', 'package-lock.json'];

export const BUILD_PARTS = {
  web: {
    label: 'the web UI',
    outputs: ['dist/web/index.html', 'dist/web/console.html'],
    inputs: ['web', 'vite.config.ts', ...SHARED],
    command: 'npx vite build',
  },
  agent: {
    label: 'the support app download',
    outputs: ['dist/agent/agent.sh', 'dist/agent/agent.tar.gz'],
    inputs: ['agent', 'scripts/build-agent.ts', ...SHARED],
    command: 'npx tsx scripts/build-agent.ts',
  },
} as const satisfies Record<string, BuildPart>;

export type BuildPartName = keyof typeof BUILD_PARTS;

export type PartStatus = { state: 'ok' } | { state: 'missing'; files: string[] } | { state: 'stale'; newer: string };

/** The newest modification time under `target` (a file or a folder, walked), with the file that has it. */
function newest(target: string): { mtimeMs: number; file: string } | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    return null;
  }
  if (!stat.isDirectory()) return { mtimeMs: stat.mtimeMs, file: target };
  let best: { mtimeMs: number; file: string } | null = null;
  for (const entry of fs.readdirSync(target)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const found = newest(path.join(target, entry));
    if (found && (!best || found.mtimeMs > best.mtimeMs)) best = found;
  }
  return best;
}

/** Whether one part is built, missing (which files) or older than one of its sources (which). */
export function partStatus(root: string, part: BuildPart): PartStatus {
  const missing = part.outputs.filter((file) => !fs.existsSync(path.join(root, file)));
  if (missing.length > 0) return { state: 'missing', files: missing };
  const builtAt = Math.min(...part.outputs.map((file) => fs.statSync(path.join(root, file)).mtimeMs));
  for (const input of part.inputs) {
    const found = newest(path.join(root, input));
    if (found && found.mtimeMs > builtAt) return { state: 'stale', newer: path.relative(root, found.file) };
  }
  return { state: 'ok' };
}
