import { spawn } from 'node:child_process';
import { basename, win32 as winPath } from 'node:path';
import type { Cleanup } from '../cleanup.ts';
import { extractedAddonsDir } from './addon-loader.ts';

/**
 * The `cmd /c` line that deletes `paths` once this process has exited: a
 * running .exe and the DLLs it loaded cannot be deleted, so it retries every
 * second (`ping -n 2 127.0.0.1` is cmd's portable one-second wait, on
 * Windows and under Wine) until every path is gone, for at most `tries`
 * seconds. Null when a path cannot be quoted safely for cmd (a `"`, or a `%`
 * that cmd would expand even inside quotes), or is not an absolute local
 * path: better to leave a file behind than run a surprise command.
 */
export function windowsRemovalCommand(paths: readonly { path: string; folder: boolean }[], tries = 120): string | null {
  const parts: string[] = [];
  const checks: string[] = [];
  for (const { path, folder } of paths) {
    if (/["%\r\n]/.test(path) || !/^[A-Za-z]:\\/.test(path) || !winPath.isAbsolute(path)) return null;
    parts.push(folder ? `rmdir /s /q "${path}" 2>nul` : `del /f /q "${path}" 2>nul`);
    checks.push(`if not exist "${path}"`);
  }
  if (parts.length === 0) return null;
  return `for /l %i in (1,1,${tries}) do @(${parts.join(' & ')} & ${checks.join(' ')} exit 0 & ping -n 2 127.0.0.1 >nul)`;
}

/** Starts `cmd /c <command>` detached and hidden, so it outlives this process. */
function spawnDetachedCmd(command: string): void {
  const child = spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/q', '/c', command], { detached: true, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: true });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * Deletes the downloaded applet when the agent exits (end of session,
 * signal, fatal error). On Linux a running executable can unlink itself, so
 * the file joins the paths `Cleanup` removes. Windows cannot delete a running
 * .exe nor its loaded DLLs: at exit a detached `cmd /c` starts that waits
 * for the process to end, then deletes the .exe and the folder the addons
 * were extracted to (windowsRemovalCommand).
 * Refuses to touch a Node runtime (`node`, `node.exe`), so a checkout run by
 * mistake through this path never deletes the developer's Node.
 */
export function removeSelfAtExit(cleanup: Cleanup, file: string = process.execPath, platform: NodeJS.Platform = process.platform, start: (command: string) => void = spawnDetachedCmd): boolean {
  if (/^node(\.exe)?$/i.test(basename(file)) || /^node(\.exe)?$/i.test(winPath.basename(file))) return false;
  if (platform !== 'win32') {
    cleanup.track(file);
    return true;
  }
  if (windowsRemovalCommand([{ path: file, folder: false }]) === null) return false;
  cleanup.onExit(() => {
    const extracted = extractedAddonsDir();
    const command = windowsRemovalCommand([{ path: file, folder: false }, ...(extracted ? [{ path: extracted, folder: true }] : [])]);
    if (command) start(command);
  });
  return true;
}
