import { win32 as winPath } from 'node:path';
import type { Win32 } from './win32-api.ts';

const SW_SHOWNORMAL = 1;

/** Only an http(s) URL is opened: a peer must never make this run a file, a UNC path or a custom scheme handler. */
export function httpUrlOrNull(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A local absolute folder path (`C:\…`), never a UNC path (`\\host\share`, which would reach the network) nor a relative one. */
export function localFolderOrNull(path: string): string | null {
  return /^[A-Za-z]:[\\/]/.test(path) && winPath.isAbsolute(path) ? winPath.normalize(path) : null;
}

/**
 * Opens an http(s) URL in the default browser with ShellExecuteW (what
 * `start URL` does, without cmd's quoting of `&` and `^`); ShellExecute
 * returns a value above 32 on success.
 */
export function openUrlWithShell(api: Win32, url: string): boolean {
  const href = httpUrlOrNull(url);
  if (href === null) return false;
  return Number(api.ShellExecuteW(null, 'open', href, null, null, SW_SHOWNORMAL)) > 32;
}

/** Opens a folder in Explorer. */
export function openFolderWithShell(api: Win32, path: string): boolean {
  const folder = localFolderOrNull(path);
  if (folder === null) return false;
  return Number(api.ShellExecuteW(null, 'explore', folder, null, null, SW_SHOWNORMAL)) > 32;
}

/** `%USERPROFILE%\Downloads\Relay Rescue`, where received files go on Windows. */
export function windowsDownloadDir(env: NodeJS.ProcessEnv, home: string): string {
  const profile = env.USERPROFILE && localFolderOrNull(env.USERPROFILE) ? env.USERPROFILE : home;
  return winPath.join(profile, 'Downloads', 'Relay Rescue');
}
