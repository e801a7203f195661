import { spawn } from 'node:child_process';

/**
 * Opens a URL (the support window) in the customer's default browser, or a
 * folder in their file manager: `xdg-open` on Linux. Resolves false when
 * there is no opener or it failed, so the caller can say to open the printed
 * URL by hand. The platform seam (issue 11's `Platform` interface) takes this
 * over as its "open a URL" function; Windows will use `start`.
 */
export function openUrl(target: string, opener = 'xdg-open'): Promise<boolean> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(opener, [target], { stdio: 'ignore', detached: true });
    } catch {
      resolve(false);
      return;
    }
    // xdg-open returns once the browser has been asked; a browser that stays open is not waited for.
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, 5000);
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
