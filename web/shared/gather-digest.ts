import { Sha256, type Hasher } from '../../rtc/sha256.ts';

/** Files up to this size (sent or received) are gathered and hashed by WebCrypto at the end (it costs one more copy in memory). */
export const WEBCRYPTO_RECEIVE_MAX_BYTES = 128 * 1024 * 1024;

export function hex(digest: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(digest)) out += b.toString(16).padStart(2, '0');
  return out;
}

export const subtle = (): SubtleCrypto | undefined => globalThis.crypto?.subtle;

/**
 * A Hasher that gathers a file of known size into one buffer and hashes it
 * with WebCrypto at the end (`crypto.subtle.digest` cannot hash a stream): a
 * copy per chunk instead of a pure-TS compression. Measured per 24 MiB in
 * Chromium on this machine: 20–97 ms of native digest at the end against
 * 200–527 ms of CPU for rtc/sha256.ts along the way (docs/performance-files.md).
 * More bytes than announced switch it to the incremental pure-TS hash, so
 * the digest is still right; fewer give the digest of what came.
 */
export class GatherThenDigest implements Hasher {
  private readonly buffer: Uint8Array<ArrayBuffer>;
  private length = 0;
  private fallback: Sha256 | null = null;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  update(bytes: Uint8Array): void {
    if (this.fallback) return this.fallback.update(bytes);
    if (this.length + bytes.byteLength > this.buffer.byteLength) {
      this.fallback = new Sha256();
      this.fallback.update(this.buffer.subarray(0, this.length));
      this.fallback.update(bytes);
      return;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  async digestHex(): Promise<string> {
    if (this.fallback) return this.fallback.digestHex();
    return hex(await subtle()!.digest('SHA-256', this.buffer.subarray(0, this.length)));
  }
}

/**
 * The hasher for a file of `size` bytes where WebCrypto is at hand: gathered
 * up to WEBCRYPTO_RECEIVE_MAX_BYTES, the incremental pure-TS SHA-256 above
 * that (bounded memory), for an unknown size, or without WebCrypto.
 */
export function gatherOrIncremental(size: number | undefined): Hasher {
  return size !== undefined && size <= WEBCRYPTO_RECEIVE_MAX_BYTES && subtle() ? new GatherThenDigest(size) : new Sha256();
}
