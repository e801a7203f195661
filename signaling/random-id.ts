import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/**
 * `bytes` bytes from the system CSPRNG as base64url (session ids, customer
 * tokens). They are drawn 4 KiB at a time into a pool and each byte is handed
 * out once, as node's own `randomInt` caches its randomness: one
 * `randomFillSync` per ~80 ids instead of one per id (the calls were 2.4% of
 * the server's time under the signaling bench, docs/performance-signaling.md).
 */
export function randomId(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError('randomId: too many bytes');
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('base64url', used, used + bytes);
  // Handed-out bytes are wiped, so the pool never holds a past id.
  pool.fill(0, used, used + bytes);
  used += bytes;
  return id;
}
