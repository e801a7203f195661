/**
 * How the single executable's assets are named, shared by the build
 * (scripts/build-applet.ts) and the program that reads them at run time.
 */

/** A native addon, gzip-compressed: `addons/<name>.node.gz`. */
export const addonAssetKey = (name: string): string => `addons/${name}.node.gz`;

/** A file of the support window's page: `window/<relative name>`. */
export const windowAssetKey = (name: string): string => `window/${name}`;

/** JSON list of the page's relative file names (SEA assets cannot be listed). */
export const WINDOW_MANIFEST_KEY = 'window-manifest.json';

