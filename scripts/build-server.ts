/**
 * Builds the signaling server into dist/server/ (or `--out DIR`) as plain
 * JavaScript, so production runs `node dist/server/main.js` without tsx or
 * any TypeScript tooling (`npm run start:prod`):
 *   main.js         the server (signaling/main.ts, which registers the ad hoc plugin)
 *   admin-cli.js    the admin CLI (signaling/admin-cli.ts)
 *   chunk-*.js      code the two share (one copy of each module, so
 *                   `instanceof RescueError` holds across them)
 * Packages stay in node_modules (`npm ci --omit=dev` installs what they need).
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

export async function buildServer(outDir = join(root, 'dist', 'server')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: ['main.ts', 'admin-cli.ts'].map((f) => join(root, 'signaling', f)),
    outbase: join(root, 'signaling'),
    outdir: outDir,
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  return join(outDir, 'main.js');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  console.log(`server: ${await buildServer(out ? resolve(out) : undefined)}`);
}
