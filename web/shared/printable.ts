/**
 * Text from other people (names, event details, file names) made safe to
 * show: C0/C1 control characters and the Unicode bidirectional controls that
 * can make "exe.pdf" read as "fdp.exe" become a visible replacement mark.
 * Lit already escapes markup; this is about what the text looks like.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string | null | undefined): string {
  return (text ?? '').replace(UNPRINTABLE, '\uFFFD');
}
