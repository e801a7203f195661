import { basename, extname, join } from 'node:path';

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const MAX_NAME_BYTES = 200;

/**
 * Makes a file name from the other side safe to create in the download folder:
 * only the last path component (both / and \ separators), no control or
 * Windows-forbidden characters, no leading dots (hidden files, "..") or
 * trailing dots and spaces, no reserved device names, at most 200 UTF-8 bytes
 * with the extension kept. Never returns an empty name.
 */
export function sanitizeFileName(raw: string): string {
  let name = raw.split(/[/\\]/).pop() ?? '';
  name = name.normalize('NFC');
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*\u202a-\u202e\u2066-\u2069]/g, '_');
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  const stem = name.split('.')[0] ?? '';
  if (WINDOWS_RESERVED.test(stem.trim())) name = `_${name}`;
  name = truncateBytes(name, MAX_NAME_BYTES);
  return name.length > 0 ? name : 'file';
}

function truncateBytes(name: string, max: number): string {
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= max) return name;
  let ext = extname(name);
  if (bytes(ext) > 20) ext = '';
  let stem = name.slice(0, name.length - ext.length);
  while (stem.length > 0 && bytes(stem) + bytes(ext) > max) stem = Array.from(stem).slice(0, -1).join('');
  return stem + ext;
}

/** "name.ext", then "name (1).ext", "name (2).ext", … : the n-th candidate for a free name. */
export function candidateName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext && ext !== name ? ext : ''}`;
}

/** Whether `path` is inside `dir` (after resolving), the last line of defence against traversal. */
export function isInside(dir: string, path: string): boolean {
  return join(dir, basename(path)) === path;
}
