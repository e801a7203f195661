/**
 * Makes text from outside (the technician's chat, names, file names, error
 * messages) safe to show in the support window: C0/C1 control characters
 * (except line breaks and tabs) and the bidirectional overrides that can make
 * text read differently from what it is (`U+202A`–`U+202E`, `U+2066`–`U+2069`)
 * are removed, and the result is cut to `max` characters without splitting a
 * surrogate pair. The page renders it as text, never as HTML.
 */
export function displayText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').replace(/\r\n?/g, '\n');
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
