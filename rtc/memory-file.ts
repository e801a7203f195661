import type { FileSink, FileSource } from './file-types.ts';

/** A FileSource over bytes in memory (tests, pasted data, small generated files). */
export function memorySource(name: string, bytes: Uint8Array, mime?: string): FileSource {
  return {
    name,
    size: bytes.byteLength,
    ...(mime ? { mime } : {}),
    read: async (offset, length) => bytes.slice(offset, offset + length),
  };
}

/** A FileSink that collects into memory; `bytes()` after finish. For tests and small files only. */
export class MemorySink implements FileSink {
  private buffer: Uint8Array;
  finished = false;
  aborted: string | null = null;
  writes = 0;
  /** The offset of every write, in order (tests check that nothing was written twice or skipped). */
  readonly offsets: number[] = [];

  constructor(
    size: number,
    private readonly savedAs = 'memory',
  ) {
    this.buffer = new Uint8Array(size);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.buffer.set(bytes, offset);
    this.writes++;
    this.offsets.push(offset);
  }

  async finish(): Promise<{ savedAs?: string }> {
    this.finished = true;
    return { savedAs: this.savedAs };
  }

  async abort(reason: string): Promise<void> {
    this.aborted = reason;
  }

  bytes(): Uint8Array {
    return this.buffer;
  }
}
