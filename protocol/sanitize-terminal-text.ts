/**
 * Text from outside (the technician's chat, names and file names, error text
 * from a peer or a server) made safe to print on a terminal.
 *
 * A terminal obeys control characters: ESC starts CSI (`ESC[2J` clears the
 * screen, `ESC[1A ESC[2K` erases the line above), OSC (`ESC]0;` sets the
 * title, `ESC]52;` writes the clipboard), DCS, SOS, PM and APC strings; the
 * 8-bit C1 controls (U+0080–U+009F, e.g. U+009B for CSI) do the same on many
 * terminals; CR and LF let text start a line of its own, which is how a fake
 * prompt is drawn. Bidirectional overrides (U+202E) and other format
 * characters reorder or hide what is shown. See ECMA-48 and Unicode TR #9.
 *
 * Rather than trying to parse every sequence, every such character is
 * replaced by a visible escape (`\x1b`, `\n`, `\u{202e}`): the sequence it
 * would have started is then plain, harmless text, whatever follows it (a
 * BEL- or ST-terminated OSC, an unterminated DCS...). Nothing else changes, so
 * ordinary text in any script, and emoji, print as sent.
 */
export function sanitizeTerminalText(text: string, maxChars = 4000): string {
  const clipped = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return clipped.replace(UNSAFE, (ch, offset: number, whole: string) => {
    if (ch === ZWJ && isEmojiJoin(whole, offset)) return ch;
    return visibleEscape(ch);
  });
}

/** True when `text` holds nothing `sanitizeTerminalText` would change (apart from length). */
export function isTerminalSafe(text: string): boolean {
  return sanitizeTerminalText(text, Infinity) === text;
}

/**
 * C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F), format characters (Cf: bidi
 * embeddings, overrides and isolates, zero-width characters, the BOM, tags),
 * line and paragraph separators, unpaired surrogates, and the "filler" letters
 * that draw nothing (Hangul fillers, Khmer inherent vowels, the Braille blank),
 * which can make a line look empty or a name look like another.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\ud800-\udfff\u2800\u3164\uffa0]|\u115f|\u1160|\u17b4|\u17b5/gu;

const ZWJ = '\u200d';
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const cp = ch.codePointAt(0) ?? 0xfffd;
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** A zero-width joiner inside an emoji sequence (👩‍💻) is kept; anywhere else it only hides things. */
function isEmojiJoin(text: string, offset: number): boolean {
  const before = text.slice(Math.max(0, offset - 3), offset);
  const after = text.slice(offset + 1, offset + 3);
  return /[\p{Extended_Pictographic}\p{Emoji_Modifier}]\ufe0f?$/u.test(before) && /^\p{Extended_Pictographic}/u.test(after);
}
