import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';

/**
 * Runs `xdg-open` on `display` for one target and tells whether it worked:
 * false when xdg-open is missing or fails; true when it exits 0, or is still
 * running after `settleMs` (an opener that stays in the foreground with the
 * browser it started is not waited for).
 */
function xdgOpen(target: string, display: string, settleMs: number, opener: string): Promise<boolean> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(opener, [target], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore', detached: true });
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, settleMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/**
 * Opens an http(s) URL (the support window, a page the customer should see)
 * in the desktop's default browser. Anything but an http(s) URL is refused: a
 * peer must never make this run a file or a custom scheme handler.
 */
export function openUrlWithXdg(url: string, display: string, settleMs = 5000, opener = 'xdg-open'): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(false);
  return xdgOpen(parsed.href, display, settleMs, opener);
}

/** Opens a folder (an absolute path, never a URL or an option) in the desktop's file manager. */
export function openFolderWithXdg(path: string, display: string, settleMs = 5000, opener = 'xdg-open'): Promise<boolean> {
  if (!isAbsolute(path)) return Promise.resolve(false);
  return xdgOpen(path, display, settleMs, opener);
}
