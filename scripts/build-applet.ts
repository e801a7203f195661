/**
 * Builds the support applet, one file with no Node needed on the customer's
 * machine: `dist/agent/relay-rescue-support-linux-x64` and
 * `dist/agent/relay-rescue-support.exe` (docs/agent.md, "The single-file
 * applet"; docs/windows.md). The Windows one is injected into the `node.exe`
 * that scripts/stage-windows.ts stages.
 *   1. esbuild bundles agent/main.ts into one CommonJS file (what Node 20's
 *      single executable applications run); each native addon's binary lookup
 *      is replaced by `loadAddon(name)` (agent/sea/addon-loader.ts);
 *   2. the support window's page is built into dist/agent-window/ (what a
 *      checkout's `npm run agent` serves) and carried as assets;
 *   3. `node --experimental-sea-config` writes the blob: the bundle, the
 *      gzip-compressed `.node` files and the page;
 *   4. a copy of the Node runtime (stripped of debug symbols; for Windows, of
 *      node.exe's Authenticode signature, which the injection would break) gets the blob
 *      injected with postject at the sentinel fuse; the file is renamed into
 *      place only when complete, so the server never serves half of one.
 * A build whose inputs (bundle, page, addons, runtime) match the last one's
 * stamp keeps the existing file: `npm run build` then costs seconds, not the
 * ~10-25 s of the injection.
 *   tsx scripts/build-applet.ts [--target linux-x64] [--target win-x64] [--out DIR]
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import postject from 'postject';
import { WINDOW_MANIFEST_KEY, addonAssetKey, windowAssetKey } from '../agent/sea/asset-names.ts';
import { removeAuthenticodeSignature } from './pe-signature.ts';
import { stageWindows } from './stage-windows.ts';
import { APPLET_TARGETS, KOFFI_PACKAGES, targetSpec, type AddonSpec, type AppletTarget, type TargetSpec } from './applet-targets.ts';

const root = resolve(import.meta.dirname, '..');
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ADDON_LOADER = join(root, 'agent', 'sea', 'addon-loader.ts');
const PAGE_DIR = join(root, 'agent', 'window', 'page');
/** The page's static files: its HTML, and the customer pages' global stylesheet. */
const PAGE_FILES: Record<string, string> = { 'index.html': join(PAGE_DIR, 'index.html'), 'window.css': join(root, 'web', 'shared', 'global.css') };

export interface BuildAppletOptions {
  target?: AppletTarget;
  /** Where the executable goes; default dist/agent. */
  outDir?: string;
  /** Where the page goes; default dist/agent-window. */
  windowDir?: string;
  log?: (line: string) => void;
}

export interface BuiltApplet {
  file: string;
  bytes: number;
  /** SHA-256 over everything the executable is made of (the stamp). */
  inputsSha256: string;
  /** True when the existing file was up to date and kept. */
  reused: boolean;
  /** Milliseconds per step and in all. */
  timings: Record<'bundle' | 'page' | 'blob' | 'inject' | 'total', number>;
}

/** Replaces an addon package's own `.node` lookup with the SEA asset loader. */
function addonPlugin(addons: AddonSpec[]): Plugin {
  const loader = (name: string): string => `module.exports = require(${JSON.stringify(ADDON_LOADER)}).loadAddon(${JSON.stringify(name)});\n`;
  return {
    name: 'sea-addons',
    setup(b) {
      // koffi's ESM entry loads its binary through createRequire, which esbuild cannot follow: use its CommonJS entry.
      b.onResolve({ filter: /^koffi$/ }, () => ({ path: join(root, 'node_modules', 'koffi', 'index.cjs') }));
      // koffi's per-platform packages: the target's one is an addon, the others are absent.
      b.onResolve({ filter: KOFFI_PACKAGES }, (args) => {
        const addon = addons.find((a) => a.replaces?.test(args.path));
        return addon ? { path: addon.name, namespace: 'sea-addon' } : { path: args.path, namespace: 'sea-absent' };
      });
      b.onLoad({ filter: /.*/, namespace: 'sea-addon' }, (args) => ({ contents: loader(args.path), loader: 'js', resolveDir: root }));
      for (const addon of addons) {
        if (!addon.replaces) continue;
        b.onLoad({ filter: addon.replaces }, () => ({ contents: loader(addon.name), loader: 'js', resolveDir: root }));
      }
      // ws tries these optional native speed-ups in a try/catch; in the executable they are absent
      // (a failed require of a file would print Node's SEA warning to the customer).
      b.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, namespace: 'sea-absent' }));
      b.onLoad({ filter: /.*/, namespace: 'sea-absent' }, (args) => ({ contents: `throw new Error(${JSON.stringify(`${args.path} is not in the single executable`)});\n`, loader: 'js' }));
    },
  };
}

/** Bundles agent/main.ts for `target` into `outfile` (CommonJS); resolves with the bundle's SHA-256. */
export async function bundleApplet(target: AppletTarget, outfile: string): Promise<string> {
  const spec = targetSpec(target);
  await build({
    entryPoints: [join(root, 'agent', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [addonPlugin(spec.addons)],
    // A checkout finds the page next to the sources; the executable never takes that branch.
    define: { 'import.meta.dirname': '"/nonexistent"' },
    // The bundle is not under node_modules, so Node would print its dependencies' deprecation
    // warnings (x11's `process.binding` for fd passing) to the customer.
    // koffi's loader calls createRequire(__filename): make sure the executable's main script has one.
    banner: { js: "process.noDeprecation = true;\nvar __filename = typeof __filename === 'string' ? __filename : process.execPath;" },
    logLevel: 'warning',
  });
  return createHash('sha256').update(readFileSync(outfile)).digest('hex');
}

/** Builds the window's page into `dir`; returns the relative file names. */
export async function buildWindowPage(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(PAGE_DIR, 'window-page.ts')],
    outfile: join(dir, 'window.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
  });
  for (const [name, from] of Object.entries(PAGE_FILES)) copyFileSync(from, join(dir, name));
  return [...Object.keys(PAGE_FILES), 'window.js'];
}

/** Builds the single executable for `target` (linux-x64 by default). */
export async function buildApplet(options: BuildAppletOptions = {}): Promise<BuiltApplet> {
  const started = performance.now();
  const target = options.target ?? 'linux-x64';
  if (target === 'win-x64') stageWindows(undefined, options.log);
  const spec = targetSpec(target);
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir ?? join(root, 'dist', 'agent'));
  const windowDir = resolve(options.windowDir ?? join(root, 'dist', 'agent-window'));
  const stage = mkdtempSync(join(tmpdir(), 'rr-applet-build-'));
  const timings = { bundle: 0, page: 0, blob: 0, inject: 0, total: 0 };
  const step = async <T>(name: keyof typeof timings, run: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await run();
    timings[name] = Math.round(performance.now() - t0);
    return result;
  };
  try {
    const bundle = join(stage, 'applet.cjs');
    const bundleSha256 = await step('bundle', () => bundleApplet(target, bundle));
    const pageFiles = await step('page', () => buildWindowPage(windowDir));
    const file = join(outDir, spec.output);
    const stampFile = join(outDir, `.${spec.output}.stamp`);
    const inputsSha256 = inputsHash(spec, bundleSha256, pageFiles.map((name) => join(windowDir, name)));
    if (existsSync(file) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === inputsSha256) {
      timings.total = Math.round(performance.now() - started);
      return { file, bytes: statSync(file).size, inputsSha256, reused: true, timings };
    }
    await step('blob', () => {
      const assets: Record<string, string> = {};
      for (const addon of spec.addons) {
        const packed = join(stage, `${addon.name}.node.gz`);
        writeFileSync(packed, gzipSync(readFileSync(addon.file), { level: 6 }));
        assets[addonAssetKey(addon.name)] = packed;
      }
      const manifest = join(stage, 'window-manifest.json');
      writeFileSync(manifest, JSON.stringify(pageFiles));
      assets[WINDOW_MANIFEST_KEY] = manifest;
      for (const name of pageFiles) assets[windowAssetKey(name)] = join(windowDir, name);
      const config = join(stage, 'sea-config.json');
      writeFileSync(
        config,
        JSON.stringify({ main: bundle, output: join(stage, 'sea.blob'), disableExperimentalSEAWarning: true, useCodeCache: spec.useCodeCache, useSnapshot: false, assets }),
      );
      execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
    });
    const partial = join(outDir, `.${spec.output}.partial`);
    await step('inject', async () => {
      mkdirSync(outDir, { recursive: true });
      copyFileSync(spec.nodeBinary, partial);
      chmodSync(partial, 0o755);
      // node.exe's signature cannot survive the injection; removed, LIEF has nothing to call corrupted.
      if (spec.target === 'win-x64') removeAuthenticodeSignature(partial);
      if (spec.strip) {
        const stripped = spawnSync('strip', ['--strip-debug', partial], { stdio: 'ignore' });
        if (stripped.status !== 0) log('applet: `strip` (Debian binutils) not found: the file keeps Node’s debug symbols (~12 MB more)');
      }
      await quietly(() => postject.inject(partial, 'NODE_SEA_BLOB', readFileSync(join(stage, 'sea.blob')), { sentinelFuse: SEA_FUSE }));
    });
    rmSync(stampFile, { force: true });
    renameSync(partial, file);
    writeFileSync(stampFile, inputsSha256);
    timings.total = Math.round(performance.now() - started);
    return { file, bytes: statSync(file).size, inputsSha256, reused: false, timings };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(join(outDir, `.${spec.output}.partial`), { force: true });
  }
}

/** Bumped when the build's own steps change what an identical input produces. */
const BUILD_FORMAT = 2;

function inputsHash(spec: TargetSpec, bundleSha256: string, pageFiles: string[]): string {
  const hash = createHash('sha256');
  const runtime = statSync(spec.nodeBinary);
  hash.update(JSON.stringify({ BUILD_FORMAT, target: spec.target, node: process.version, runtime: [spec.nodeBinary, runtime.size, runtime.mtimeMs], useCodeCache: spec.useCodeCache, strip: spec.strip, bundleSha256 }));
  for (const file of [...spec.addons.map((a) => a.file), ...pageFiles]) hash.update(readFileSync(file));
  return hash.digest('hex');
}

/** LIEF (inside postject) warns about every ELF note section it cannot name; those lines are noise. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/Can't find string offset for section name/.test(String(args[0]))) warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const targets = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--target' ? [a as AppletTarget] : []));
  if (targets.length === 0) targets.push('linux-x64');
  for (const target of targets) if (!APPLET_TARGETS.includes(target)) throw new Error(`--target must be one of ${APPLET_TARGETS.join(', ')}`);
  const out = arg('--out');
  for (const target of targets) {
    const built = await buildApplet({ target, ...(out ? { outDir: resolve(out) } : {}), log: (l) => console.log(l) });
    const how = built.reused ? 'up to date' : `built in ${(built.timings.total / 1000).toFixed(1)} s ${JSON.stringify(built.timings)}`;
    console.log(`applet: ${built.file} (${(built.bytes / 1024 / 1024).toFixed(1)} MiB), ${how}`);
  }
}
