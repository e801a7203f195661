import { LIMITS } from './limits.ts';

// C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides and isolates, zero-width characters.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A name someone typed for others to read (the customer's name in the
 * technician's queue): control, bidirectional and zero-width characters
 * removed, white space collapsed, at most `LIMITS.nameChars` characters;
 * null when nothing readable is left.
 */
export function cleanDisplayName(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const cleaned = raw.replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim().slice(0, LIMITS.nameChars).trim();
  return cleaned === '' ? null : cleaned;
}
