import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeAuthenticodeSignature } from '../../scripts/pe-signature.ts';

/** A minimal PE32+ image: MZ, the PE header at 0x40, a COFF header, an optional header with 16 data directories. */
function peImage(signature?: Buffer, trailer = Buffer.alloc(0)): Buffer {
  const optional = 0x40 + 4 + 20;
  const body = Buffer.alloc(optional + 112 + 16 * 8 + 256);
  body.write('MZ', 0, 'latin1');
  body.writeUInt32LE(0x40, 0x3c);
  body.write('PE\0\0', 0x40, 'latin1');
  body.writeUInt16LE(0x20b, optional);
  body.writeUInt32LE(0x1234abcd, optional + 64);
  body.writeUInt32LE(16, optional + 108);
  if (signature) {
    body.writeUInt32LE(body.length + trailer.length, optional + 112 + 4 * 8);
    body.writeUInt32LE(signature.length, optional + 112 + 4 * 8 + 4);
  }
  return Buffer.concat([body, trailer, signature ?? Buffer.alloc(0)]);
}

describe('scripts: the Windows applet build removes node.exe\'s Authenticode signature before injecting', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rr-pe-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts the certificate table off the end and clears its directory entry and the checksum', () => {
    const file = join(dir, 'node.exe');
    const unsigned = peImage();
    const signed = peImage(Buffer.alloc(1000, 7));
    writeFileSync(file, signed);
    expect(removeAuthenticodeSignature(file)).to.deep.equal({ removed: true, bytes: 1000 });
    const after = readFileSync(file);
    expect(after.length).to.equal(unsigned.length);
    const optional = 0x40 + 24;
    expect(after.readUInt32LE(optional + 112 + 32)).to.equal(0);
    expect(after.readUInt32LE(optional + 112 + 36)).to.equal(0);
    expect(after.readUInt32LE(optional + 64)).to.equal(0);
    expect(removeAuthenticodeSignature(file)).to.deep.equal({ removed: false, why: 'not signed' });
  });

  it('refuses, untouched, a file that is not PE or whose signature is not at its end', () => {
    const text = join(dir, 'a.txt');
    writeFileSync(text, 'hello, not a program');
    expect(() => removeAuthenticodeSignature(text)).to.throw(/not a PE file/);
    const odd = join(dir, 'odd.exe');
    const image = peImage(Buffer.alloc(100, 1));
    const moved = Buffer.concat([image, Buffer.from('appended after the signature')]);
    writeFileSync(odd, moved);
    expect(() => removeAuthenticodeSignature(odd)).to.throw(/not at the end/);
    expect(readFileSync(odd).equals(moved)).to.equal(true);
  });
});
