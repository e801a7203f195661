import { join } from 'node:path';
import { runningAsSea, seaWindowAssets } from '../sea/sea-assets.ts';
import { directoryAssets, type AssetSource } from './window-assets.ts';

/**
 * The page the support window serves: the executable's own assets, or, run
 * from a checkout, what `npm run build` wrote to dist/agent-window/.
 */
export function defaultWindowAssets(): AssetSource {
  return runningAsSea() ? seaWindowAssets() : directoryAssets(join(import.meta.dirname, '..', '..', 'dist', 'agent-window'));
}
