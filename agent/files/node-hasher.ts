import { createHash } from 'node:crypto';
import type { Hasher, HasherFactory } from '../../rtc/sha256.ts';

/** Node's native SHA-256 behind the rtc `Hasher` interface (much faster than the pure-TS one). */
export const nodeHasher: HasherFactory = (): Hasher => {
  const hash = createHash('sha256');
  return {
    update: (bytes) => void hash.update(bytes),
    digestHex: () => hash.digest('hex'),
  };
};
