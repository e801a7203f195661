import type { FileSource } from './file-types.ts';

/**
 * Reads a FileSource for the sender's pump in blocks of `blockChunks` chunks
 * and starts reading the next block while the current one is sent.
 *
 * Measured (docs/performance-files.md): in Chromium each `File.slice().
 * arrayBuffer()` is an IPC round trip; one per 64 KiB chunk cost 15% of the
 * page's CPU during a browser → agent transfer and left the channel waiting on
 * the read. A block per 64 chunks (4 MiB), read ahead, takes the read off the
 * send path: 64 MiB from a File in Chromium 156 read in 116–120 ms in 4 MiB
 * slices, 161–352 ms in 1 MiB ones (docs/performance.md, 2026-12-06). At most
 * two blocks are held (the one being sent, the next).
 */
export class ReadAhead {
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  /** The blocks of `blocks` whose read has finished, for callers that must not wait (loaded). */
  private readonly ready = new Map<number, Uint8Array>();

  constructor(
    private readonly source: FileSource,
    private readonly chunkSize: number,
    readonly blockChunks = 64,
  ) {}

  /** The block chunk `index` is in. */
  blockOf(index: number): number {
    return Math.floor(index / this.blockChunks);
  }

  /** The whole of block `block` (read if it is not held). */
  block(block: number): Promise<Uint8Array> {
    return this.load(block);
  }

  /** Block `block` if it is held and read, without waiting; else undefined. */
  loaded(block: number): Uint8Array | undefined {
    return this.ready.get(block);
  }

  /** Lets block `block` go (its buffer was handed to someone else): a later ask reads it again. */
  forget(block: number): void {
    this.blocks.delete(block);
    this.ready.delete(block);
  }

  /** The bytes of chunk `index` (a view into its block: do not write to it). */
  async chunk(index: number): Promise<Uint8Array> {
    const block = this.blockOf(index);
    for (const b of this.blocks.keys()) if (b !== block && b !== block + 1) this.forget(b);
    const bytes = await this.load(block);
    if (this.blockStart(block + 1) < this.source.size) void this.load(block + 1).catch(() => undefined);
    const from = (index - block * this.blockChunks) * this.chunkSize;
    const len = Math.min(this.chunkSize, this.source.size - index * this.chunkSize);
    return bytes.subarray(from, from + len);
  }

  private blockStart(block: number): number {
    return block * this.blockChunks * this.chunkSize;
  }

  private load(block: number): Promise<Uint8Array> {
    let p = this.blocks.get(block);
    if (!p) {
      const offset = this.blockStart(block);
      const len = Math.min(this.blockChunks * this.chunkSize, this.source.size - offset);
      p = this.source.read(offset, len).then((bytes) => {
        if (bytes.byteLength !== len) throw new Error(`short read at ${offset}`);
        if (this.blocks.get(block) === p) this.ready.set(block, bytes);
        return bytes;
      });
      // A failed block is read again on the next ask, not remembered.
      p.catch(() => this.blocks.get(block) === p && this.forget(block));
      this.blocks.set(block, p);
    }
    return p;
  }
}
