import { sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';

/**
 * Text from outside (the technician's chat, names, file names, error
 * messages) made safe for the support window: the one sanitiser of
 * protocol/sanitize-terminal-text.ts (control, format and bidi characters
 * become visible escapes), then cut to `max` characters, so the message still
 * fits its schema, without splitting a surrogate pair. The page renders it as
 * text, never as HTML.
 */
export function displayText(text: string, max: number): string {
  const safe = sanitizeTerminalText(text, max);
  if (safe.length <= max) return safe;
  const cut = safe.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
