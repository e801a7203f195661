import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Sha256, sha256Hex } from '../../rtc/sha256.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('rtc/sha256', () => {
  it('matches the FIPS 180-4 / NIST vectors', () => {
    expect(sha256Hex(text(''))).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(text('abc'))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).to.equal(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).to.equal('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('matches node:crypto for every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = randomBytes(n);
      expect(sha256Hex(bytes), `length ${n}`).to.equal(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('gives the same digest whatever the update split', () => {
    const bytes = randomBytes(300_000);
    const want = createHash('sha256').update(bytes).digest('hex');
    for (const step of [1, 3, 63, 64, 65, 4096, 65536]) {
      const h = new Sha256();
      for (let i = 0; i < Math.min(bytes.length, step === 1 ? 5000 : bytes.length); i += step) h.update(bytes.subarray(i, i + step));
      const len = step === 1 ? 5000 : bytes.length;
      expect(h.digestHex(), `step ${step}`).to.equal(createHash('sha256').update(bytes.subarray(0, len)).digest('hex'));
    }
    expect(sha256Hex(bytes)).to.equal(want);
  });

  it('refuses update or digest after digest', () => {
    const h = new Sha256();
    h.digestHex();
    expect(() => h.update(new Uint8Array(1))).to.throw(/after digest/);
    expect(() => h.digest()).to.throw(/twice/);
  });
});
