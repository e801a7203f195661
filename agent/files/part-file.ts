import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { RescueError } from '../../protocol/errors.ts';

/** Windows has no O_NOFOLLOW; there the lstat and handle checks below still hold. */
const O_NOFOLLOW: number = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

/**
 * Creates the download folder if it is missing, readable by this user only
 * (0700): what arrives in a support session is nobody else's business, and
 * nobody else can plant files in it. A folder that exists is left as it is.
 * Parents it has to create get the usual mode.
 */
export async function ensureDownloadDir(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Opens a transfer's partial file for reading and writing, never through a
 * link someone else planted at that name (the download folder may be shared,
 * or older than this agent):
 * - no file yet: created with O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, which
 *   fails rather than follow anything that appears at the name meanwhile;
 * - a file there: resumed only when `lstat` shows what this agent leaves
 *   behind (a regular file of this user with no other hard link), opened with
 *   O_NOFOLLOW, and the opened handle is the very file that was checked;
 *   anything else (a symbolic link, a hard link to another file, someone
 *   else's file) is left untouched and the transfer fails with a clear error.
 * Resolves with the handle and the bytes already there.
 */
export async function openPartFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  let existing: Stats | null = null;
  try {
    existing = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!existing) {
    try {
      return { fh: await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600), size: 0 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw notOurs(path, 'it appeared while the agent was creating that file');
      throw err;
    }
  }
  const why = whyNotOurs(existing);
  if (why) throw notOurs(path, why);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDWR | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw notOurs(path, 'it is a symbolic link');
    throw err;
  }
  const opened = await fh.stat();
  const swapped = opened.ino !== existing.ino || opened.dev !== existing.dev ? 'it was replaced while being opened' : whyNotOurs(opened);
  if (swapped) {
    await fh.close();
    throw notOurs(path, swapped);
  }
  return { fh, size: opened.size };
}

/** Why a file at a partial file's name is not one this agent left there, or null when it is. */
function whyNotOurs(st: Stats): string | null {
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isFile()) return 'it is not a regular file';
  if (st.nlink !== 1) return 'it has other hard links';
  if (process.getuid && st.uid !== process.getuid()) return 'it belongs to another user';
  return null;
}

function notOurs(path: string, why: string): RescueError {
  return new RescueError(
    'FILE_IO',
    `The download folder already holds ${basename(path)} and ${why}, so it is not a partial file of this agent: it was left untouched and this file was not received.`,
  );
}
