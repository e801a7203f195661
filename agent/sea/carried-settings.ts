import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TRAILER_MAX_BYTES, decodeTrailer, type DecodedTrailer } from '../../protocol/applet-trailer.ts';

/**
 * Reads the settings the server appended to this download (the signed
 * trailer of protocol/applet-trailer.ts) from the end of `file`, by default
 * the running executable. `found: false, problem: null` is a plain build.
 */
export function readCarriedSettings(file: string = process.execPath): DecodedTrailer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return { found: false, problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TRAILER_MAX_BYTES);
    const tail = new Uint8Array(length);
    readSync(fd, tail, 0, length, size - length);
    return decodeTrailer(tail);
  } finally {
    closeSync(fd);
  }
}
