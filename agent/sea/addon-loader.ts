import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRawAsset, isSea } from 'node:sea';
import { gunzipSync } from 'node:zlib';
import { addonAssetKey } from './asset-names.ts';

let extractDir: string | null = null;
const loaded = new Map<string, unknown>();

/**
 * Loads a native addon carried as an asset of the single executable: the
 * build replaces each addon package's own binary lookup (for `@roamhq/wrtc`,
 * `lib/binding.js`) with `loadAddon(name)`. The `.node` file is written into
 * a private folder (mkdtemp: mode 0700, a fresh unpredictable name, so no
 * other user can swap the library before it is loaded) and opened with
 * `process.dlopen`. On Linux and macOS the folder is removed right after
 * loading, since the mapped library stays usable, so nothing is left behind
 * even if the process is killed; Windows keeps a loaded DLL locked, so there
 * it is removed at exit (and by the scheduled self-removal, issue 13).
 */
export function loadAddon(name: string): unknown {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  if (!isSea()) throw new Error(`loadAddon(${name}) is for the single executable; run from a checkout with npm install instead`);
  if (extractDir === null) {
    extractDir = mkdtempSync(join(tmpdir(), 'relay-rescue-'));
    process.once('exit', removeExtractedAddons);
  }
  const file = join(extractDir, `${name}.node`);
  const packed = getRawAsset(addonAssetKey(name)) as ArrayBuffer;
  writeFileSync(file, gunzipSync(new Uint8Array(packed)), { mode: 0o700, flag: 'wx' });
  const module = { exports: {} as unknown };
  process.dlopen(module, file);
  loaded.set(name, module.exports);
  if (process.platform !== 'win32') removeExtractedAddons();
  return module.exports;
}

/** The folder addons are extracted to while it exists (tests, diagnostics). */
export function extractedAddonsDir(): string | null {
  return extractDir;
}

/** Removes the extraction folder; idempotent. */
export function removeExtractedAddons(): void {
  if (extractDir === null) return;
  try {
    rmSync(extractDir, { recursive: true, force: true });
  } catch {
    // Windows: still locked; the scheduled self-removal takes it.
    return;
  }
  extractDir = null;
}
