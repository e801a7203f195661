/**
 * Removes the Authenticode signature from a Windows PE file (the staged `node.exe`) before the
 * applet's blob is injected into it. The injection changes the file, so Node's signature could
 * only ever be invalid afterwards; LIEF (inside postject) notices it and prints "The signature
 * seems corrupted!" on every build. An unsigned file is honest: a self-hoster who signs the
 * applet does it after the build (docs/windows.md, `osslsigncode sign`).
 *
 * PE layout (Microsoft PE format): the `PE\0\0` header's offset is at 0x3C; the optional header
 * follows the 20-byte COFF header; its data directory 4 (the certificate table) holds a *file*
 * offset and a size. The certificate table is the last thing in a signed file.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

export type SignatureRemoval = { removed: false; why: string } | { removed: true; bytes: number };

const CERTIFICATE_TABLE = 4;

export function removeAuthenticodeSignature(file: string): SignatureRemoval {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      if (offset < 0 || offset + length > size || readSync(fd, buf, 0, length, offset) !== length) throw new Error(`${file}: not a PE file (truncated at ${offset})`);
      return buf;
    };
    if (read(0, 2).toString('latin1') !== 'MZ') throw new Error(`${file}: not a PE file (no MZ header)`);
    const pe = read(0x3c, 4).readUInt32LE(0);
    if (read(pe, 4).toString('latin1') !== 'PE\0\0') throw new Error(`${file}: not a PE file (no PE signature at ${pe})`);
    const optional = pe + 4 + 20;
    const magic = read(optional, 2).readUInt16LE(0);
    const directories = magic === 0x20b ? optional + 112 : magic === 0x10b ? optional + 96 : -1;
    if (directories < 0) throw new Error(`${file}: unknown optional header magic 0x${magic.toString(16)}`);
    const count = read(directories - 4, 4).readUInt32LE(0);
    if (count <= CERTIFICATE_TABLE) return { removed: false, why: 'no certificate table entry' };
    const entry = directories + CERTIFICATE_TABLE * 8;
    const dir = read(entry, 8);
    const offset = dir.readUInt32LE(0);
    const length = dir.readUInt32LE(4);
    if (offset === 0 || length === 0) return { removed: false, why: 'not signed' };
    if (offset + length !== size) throw new Error(`${file}: its signature (${offset}+${length}) is not at the end of the file (${size} bytes); not touched`);
    writeSync(fd, Buffer.alloc(8), 0, 8, entry);
    writeSync(fd, Buffer.alloc(4), 0, 4, optional + 64); // CheckSum: covers the signature; 0 = not set
    ftruncateSync(fd, offset);
    return { removed: true, bytes: length };
  } finally {
    closeSync(fd);
  }
}
