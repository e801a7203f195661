import { readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/** One file of the support window's page. */
export interface WindowAsset {
  body: Uint8Array;
  contentType: string;
}

/**
 * Where the page's files come from: the single executable's assets (SEA
 * build), a folder (`npm run agent` from a checkout, after `npm run build`),
 * or memory (tests). Names are relative (`index.html`, `assets/app.js`);
 * anything that could leave the set (`..`, absolute, backslashes) is null.
 */
export interface AssetSource {
  get(name: string): WindowAsset | null;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  json: 'application/json',
  map: 'application/json',
};

/** The content type for a file name; unknown kinds are served as opaque bytes. */
export function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

/** A page-relative asset name, or null when it is not one (traversal, odd characters). */
export function safeAssetName(name: string): string | null {
  if (name === '') return 'index.html';
  if (name.length > 200 || !/^[A-Za-z0-9._/-]+$/.test(name)) return null;
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return name;
}

/** Files from a folder (read on each request: small, and a rebuild shows without a restart). */
export function directoryAssets(dir: string): AssetSource {
  const root = resolve(dir);
  return {
    get(name) {
      const safe = safeAssetName(name);
      if (!safe) return null;
      const full = join(root, safe);
      if (!full.startsWith(root + sep)) return null;
      try {
        if (!statSync(full).isFile()) return null;
        return { body: readFileSync(full), contentType: contentTypeOf(safe) };
      } catch {
        return null;
      }
    },
  };
}

/** Files held in memory (tests, or assets read once from the executable). */
export function memoryAssets(files: Readonly<Record<string, string | Uint8Array>>): AssetSource {
  const map = new Map<string, WindowAsset>();
  for (const [name, body] of Object.entries(files)) {
    map.set(name, { body: typeof body === 'string' ? new TextEncoder().encode(body) : body, contentType: contentTypeOf(name) });
  }
  return { get: (name) => map.get(safeAssetName(name) ?? '\0') ?? null };
}
