/**
 * `npm start` runs this first (the `prestart` script): it builds the web UI
 * and the support app download when they are missing or older than their
 * sources, with one progress line each, and says nothing when both are up to
 * date. A failed build does not stop the start: the server then warns which
 * files it cannot serve. `npm run build` builds both unconditionally.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_PARTS, partStatus, type BuildPartName, type PartStatus } from './build-outputs.ts';
import { buildAgent } from './build-agent.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function why(status: Exclude<PartStatus, { state: 'ok' }>): string {
  return status.state === 'missing' ? `${status.files.join(', ')} missing` : `${status.newer} changed since the last build`;
}

async function buildPart(name: BuildPartName): Promise<void> {
  if (name === 'web') {
    execFileSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
  } else {
    await buildAgent();
  }
}

export interface EnsureOptions {
  /** The repository (tests: a scratch copy of its layout). */
  root?: string;
  build?: (name: BuildPartName) => Promise<void>;
  log?: (line: string) => void;
}

/** Builds every part that needs it; returns the labels of parts whose build failed. */
export async function ensureBuilt(opts: EnsureOptions = {}): Promise<string[]> {
  const { root: at = root, build = buildPart, log = (line: string) => console.log(line) } = opts;
  const failed: string[] = [];
  for (const name of Object.keys(BUILD_PARTS) as BuildPartName[]) {
    const part = BUILD_PARTS[name];
    const status = partStatus(at, part);
    if (status.state === 'ok') continue;
    log(`npm start: building ${part.label} (${why(status)})…`);
    const started = Date.now();
    try {
      await build(name);
      log(`npm start: built ${part.label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      log(`npm start: building ${part.label} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      log(`npm start: starting anyway; run \`${part.command}\` to see the whole error`);
      failed.push(part.label);
    }
  }
  return failed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureBuilt();
}
