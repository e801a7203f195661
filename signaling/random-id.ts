import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/**
 * `bytes` bytes from the system CSPRNG as base64url (session ids, customer
 * tokens; the code seal's nonces take from it too). They are drawn 4 KiB at a time into a pool and each byte is handed
 * out once, as node's own `randomInt` caches its randomness: one
 * `randomFillSync` per ~80 ids instead of one per id (the calls were 2.4% of
 * the server's time under the signaling bench, docs/performance-signaling.md).
 */
export function randomId(bytes: number): string {
  return take(bytes, (start, end) => pool.toString('base64url', start, end));
}

/** `bytes` fresh bytes from the same pool, as a Buffer of their own (an AES-GCM nonce: each is handed out once). */
export function pooledRandomBytes(bytes: number): Buffer {
  return take(bytes, (start, end) => Buffer.from(pool.subarray(start, end)));
}

function take<T>(bytes: number, read: (start: number, end: number) => T): T {
  if (bytes > POOL_BYTES) throw new RangeError('random pool: too many bytes at once');
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = read(used, used + bytes);
  // Handed-out bytes are wiped, so the pool never holds a past id or nonce.
  pool.fill(0, used, used + bytes);
  used += bytes;
  return out;
}
