import { spawn } from 'node:child_process';

/**
 * Opens an http(s) URL in the desktop's browser with `xdg-open` on `display`.
 * Anything but an http(s) URL is refused (a peer must never make this run a
 * file or a custom scheme handler). Resolves false when xdg-open is missing,
 * fails, or does not finish within `timeoutMs`.
 */
export function openUrlWithXdg(url: string, display: string, timeoutMs = 10_000): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [parsed.href], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, timeoutMs);
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
