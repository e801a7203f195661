import { link, lstat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RescueError } from '../../protocol/errors.ts';
import type { FileOffer, FileSink, FileSinkFactory } from '../../rtc/file-types.ts';
import type { Cleanup } from '../cleanup.ts';
import { ensureDownloadDir, openPartFile } from './part-file.ts';
import { candidateName, isInside, sanitizeFileName } from './sanitize-name.ts';

/**
 * The partial file of a transfer: named by its transfer id, so a re-offer
 * after the agent lost the connection finds it and resumes from it.
 */
export function partPath(dir: string, transferId: string): string {
  return join(dir, `.relay-rescue-${transferId}.part`);
}

/**
 * Receives files into the download folder (created 0700 when missing). Bytes
 * go to a hidden `.part` file, never through a link planted at its name
 * (`openPartFile`; a tracked temporary file: removed at exit unless it
 * completed); after the
 * whole file's SHA-256 matched, it is linked under the sanitised name (never
 * overwriting: "name (1).ext", …) and the `.part` removed. `link` fails when
 * the target exists, so two transfers cannot race onto one name.
 */
export function diskSinkFactory(downloadDir: string, cleanup: Cleanup): FileSinkFactory {
  const dir = resolve(downloadDir);
  return async (offer: FileOffer): Promise<FileSink> => {
    const name = sanitizeFileName(offer.name);
    await ensureDownloadDir(dir);
    const part = partPath(dir, offer.transferId);
    if (!isInside(dir, part)) throw new RescueError('FILE_NAME_INVALID');
    const { fh, size } = await openPartFile(part);
    const committedChunks = Math.min(Math.floor(size / offer.chunkSize), Math.ceil(offer.size / offer.chunkSize));
    if (size > 0) await fh.truncate(committedChunks * offer.chunkSize);
    const { ino } = await fh.stat();
    cleanup.track(part);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    return {
      committedChunks,
      read: async (offset, length) => {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      },
      write: async (offset, bytes) => {
        let done = 0;
        while (done < bytes.byteLength) {
          const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, offset + done);
          done += bytesWritten;
        }
      },
      finish: async () => {
        await fh.sync();
        await close();
        for (let n = 0; n < 1000; n++) {
          const target = join(dir, candidateName(name, n));
          if (!isInside(dir, target)) throw new RescueError('FILE_NAME_INVALID');
          try {
            await link(part, target);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
            throw err;
          }
          if ((await lstat(target)).ino !== ino) {
            // The .part was swapped for something else after it was written: keep none of it.
            await unlink(target);
            throw new RescueError('FILE_IO', 'The partial file was replaced in the download folder before it was saved; the file was not kept.');
          }
          await unlink(part);
          cleanup.untrack(part);
          return { savedAs: candidateName(name, n) };
        }
        throw new RescueError('FILE_IO', 'No free file name in the download folder.');
      },
      abort: async () => {
        await close();
        await unlink(part).catch(() => undefined);
        cleanup.untrack(part);
      },
    };
  };
}
