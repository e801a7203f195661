import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, win32 as winPath } from 'node:path';
import type { Cleanup } from '../cleanup.ts';
import { extractedAddonsDir } from './addon-loader.ts';

/**
 * The batch file that deletes `paths` once this process has exited: a
 * running .exe and the DLLs it loaded cannot be deleted, so it retries every
 * second (`ping -n 2 127.0.0.1` is cmd's portable one-second wait, on
 * Windows and under Wine) until every path is gone, for at most `tries`
 * seconds, then deletes itself. A batch file rather than one `cmd /c` line:
 * quotes on a command line are re-parsed differently by Windows' and Wine's
 * cmd. Null when a path cannot be quoted safely (a `"`, or a `%` that cmd
 * expands even inside quotes), or is not an absolute local path: better to
 * leave a file behind than run a surprise command.
 */
export function windowsRemovalScript(paths: readonly { path: string; folder: boolean }[], tries = 120): string | null {
  const steps: string[] = [];
  const checks: string[] = [];
  for (const { path, folder } of paths) {
    if (/["%\r\n]/.test(path) || !/^[A-Za-z]:\\/.test(path) || !winPath.isAbsolute(path)) return null;
    steps.push(folder ? `  rmdir /s /q "${path}" 2>nul` : `  del /f /q "${path}" 2>nul`);
    checks.push(`if not exist "${path}"`);
  }
  if (steps.length === 0) return null;
  return ['@echo off', `for /l %%i in (1,1,${tries}) do (`, ...steps, `  ${checks.join(' ')} goto done`, '  ping -n 2 127.0.0.1 >nul', ')', ':done', 'del /f /q "%~f0"', ''].join('\r\n');
}

/** Writes the script into %TEMP% and starts it with a detached, hidden `cmd /c`, so it outlives this process. */
function startDetachedScript(script: string): void {
  const file = winPath.join(tmpdir(), `relay-rescue-remove-${randomBytes(6).toString('hex')}.cmd`);
  writeFileSync(file, script, { flag: 'wx' });
  const child = spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/q', '/c', `call "${file}"`], { detached: true, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: true });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * Deletes the downloaded applet when the agent exits (end of session,
 * signal, fatal error). On Linux a running executable can unlink itself, so
 * the file joins the paths `Cleanup` removes. Windows cannot delete a running
 * .exe nor its loaded DLLs: at exit a detached `cmd /c` runs a batch file
 * that waits for the process to end, then deletes the .exe and the folder the
 * addons were extracted to (windowsRemovalScript).
 * Refuses to touch a Node runtime (`node`, `node.exe`), so a checkout run by
 * mistake through this path never deletes the developer's Node.
 */
export function removeSelfAtExit(cleanup: Cleanup, file: string = process.execPath, platform: NodeJS.Platform = process.platform, start: (script: string) => void = startDetachedScript): boolean {
  if (/^node(\.exe)?$/i.test(basename(file)) || /^node(\.exe)?$/i.test(winPath.basename(file))) return false;
  if (platform !== 'win32') {
    cleanup.track(file);
    return true;
  }
  if (windowsRemovalScript([{ path: file, folder: false }]) === null) return false;
  cleanup.onExit(() => {
    const extracted = extractedAddonsDir();
    const script = windowsRemovalScript([{ path: file, folder: false }, ...(extracted ? [{ path: extracted, folder: true }] : [])]);
    if (script) start(script);
  });
  return true;
}
