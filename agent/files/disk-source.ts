import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileSource } from '../../rtc/file-types.ts';

/** A file on disk as a FileSource; the handle closes with `close()`. */
export async function diskSource(path: string): Promise<FileSource & { close(): Promise<void> }> {
  const fh = await open(path, 'r');
  const { size, isFile } = await fh.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
  if (!isFile) {
    await fh.close();
    throw new Error(`${path} is not a regular file`);
  }
  return {
    name: basename(path),
    size,
    read: async (offset, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}
