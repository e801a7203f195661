import { basename } from 'node:path';
import type { Cleanup } from '../cleanup.ts';

/**
 * Deletes the downloaded applet when the agent exits (end of session,
 * signal, fatal error): on Linux a running executable can unlink itself, so
 * the file joins the paths `Cleanup` removes. Windows cannot delete a running
 * .exe: issue 13 adds a detached `cmd /c` that waits for the process to end;
 * until then this returns false there and the file stays.
 * Refuses to touch a Node runtime (`node`, `node.exe`), so a checkout run by
 * mistake through this path never deletes the developer's Node.
 */
export function removeSelfAtExit(cleanup: Cleanup, file: string = process.execPath, platform: NodeJS.Platform = process.platform): boolean {
  if (/^node(\.exe)?$/i.test(basename(file))) return false;
  if (platform === 'win32') return false;
  cleanup.track(file);
  return true;
}
