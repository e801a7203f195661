import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Sha256 } from '../../rtc/sha256.ts';
import { WEBCRYPTO_RECEIVE_MAX_BYTES, consoleHasher } from '../../web/shared/file-digest.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Feeds `bytes` in uneven chunks (copies, as the receiver hands over frames' payloads). */
async function digestOf(bytes: Uint8Array, size: number): Promise<string> {
  const h = consoleHasher(size);
  for (let off = 0, step = 1; off < bytes.length; off += step, step = (step * 7 + 13) % 70_000 || 1) h.update(bytes.slice(off, off + step));
  return h.digestHex();
}

describe('web/shared/file-digest (the console hashes with WebCrypto)', () => {
  it('a received file of announced size: gathered and hashed by WebCrypto, the same SHA-256 as node:crypto', async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
    expect(consoleHasher(bytes.length)).not.to.be.instanceOf(Sha256);
    expect(await digestOf(bytes, bytes.length)).to.equal(sha(bytes));
    expect(await digestOf(new Uint8Array(0), 0)).to.equal(sha(new Uint8Array(0)));
  });

  it('more bytes than announced still give the right digest (it falls back to the incremental hash)', async () => {
    const bytes = new Uint8Array(randomBytes(200_000));
    expect(await digestOf(bytes, 100_000)).to.equal(sha(bytes));
  });

  it('files above the in-memory limit, or of unknown size, hash incrementally (bounded memory)', () => {
    expect(consoleHasher(WEBCRYPTO_RECEIVE_MAX_BYTES + 1)).to.be.instanceOf(Sha256);
    expect(consoleHasher()).to.be.instanceOf(Sha256);
  });
});
