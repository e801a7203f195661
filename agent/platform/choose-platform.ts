import { UsageError } from '../usage-error.ts';
import { LINUX_X11_OPTIONS, linuxX11Platform } from './linux-x11/linux-x11-platform.ts';
import type { Platform, PlatformOptions } from './platform.ts';
import { WINDOWS_OPTIONS, windowsPlatform } from './windows/windows-platform.ts';

/**
 * Picks this machine's platform once, at start, from the operating system and
 * validates its options; throws UsageError naming the bad option. A macOS
 * folder adds its case here.
 */
export function choosePlatform(options: PlatformOptions, env: NodeJS.ProcessEnv, os: NodeJS.Platform = process.platform): Platform {
  if (os === 'linux') return linuxX11Platform(options, env);
  if (os === 'win32') return windowsPlatform(options);
  throw new UsageError(`the agent does not run on ${os} yet (Linux and Windows only for now)`);
}

/** `--option VALUE` and its help text, for each platform option of this machine's platform. */
export function platformOptionHelp(os: NodeJS.Platform = process.platform): readonly (readonly [string, string])[] {
  return os === 'linux' ? LINUX_X11_OPTIONS : os === 'win32' ? WINDOWS_OPTIONS : [];
}
