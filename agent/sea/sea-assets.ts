import { getAsset, isSea } from 'node:sea';
import type { AssetSource } from '../window/window-assets.ts';
import { memoryAssets } from '../window/window-assets.ts';
import { WINDOW_MANIFEST_KEY, windowAssetKey } from './asset-names.ts';

/** Whether this process is the single executable (not `node`/`tsx` from a checkout). */
export const runningAsSea = (): boolean => isSea();

/** The support window's page, read once from the executable's assets. */
export function seaWindowAssets(): AssetSource {
  const names = JSON.parse(getAsset(WINDOW_MANIFEST_KEY, 'utf8')) as string[];
  const files: Record<string, Uint8Array> = {};
  for (const name of names) files[name] = new Uint8Array(getAsset(windowAssetKey(name)));
  return memoryAssets(files);
}
