/**
 * `KeyboardEvent.code` (the physical key, layout independent) → X keysym.
 * The technician sends codes; the agent presses the key that carries the
 * keysym in the customer's keymap. The table is documented in docs/agent.md.
 * Keysym values: https://gitlab.freedesktop.org/xorg/proto/xorgproto/-/blob/master/include/X11/keysymdef.h
 */
const NAMED: Record<string, number> = {
  // Modifiers.
  ShiftLeft: 0xffe1, ShiftRight: 0xffe2, ControlLeft: 0xffe3, ControlRight: 0xffe4,
  AltLeft: 0xffe9, AltRight: 0xffea, MetaLeft: 0xffeb, MetaRight: 0xffec, CapsLock: 0xffe5,
  // Editing and navigation.
  Enter: 0xff0d, Escape: 0xff1b, Tab: 0xff09, Backspace: 0xff08, Delete: 0xffff, Insert: 0xff63,
  Home: 0xff50, End: 0xff57, PageUp: 0xff55, PageDown: 0xff56,
  ArrowLeft: 0xff51, ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54,
  Space: 0x20, ContextMenu: 0xff67, PrintScreen: 0xff61, ScrollLock: 0xff14, Pause: 0xff13, NumLock: 0xff7f,
  // Punctuation (US positions).
  Minus: 0x2d, Equal: 0x3d, BracketLeft: 0x5b, BracketRight: 0x5d, Backslash: 0x5c, Semicolon: 0x3b,
  Quote: 0x27, Backquote: 0x60, Comma: 0x2c, Period: 0x2e, Slash: 0x2f, IntlBackslash: 0x3c,
  // Numeric keypad.
  NumpadEnter: 0xff8d, NumpadAdd: 0xffab, NumpadSubtract: 0xffad, NumpadMultiply: 0xffaa,
  NumpadDivide: 0xffaf, NumpadDecimal: 0xffae, NumpadEqual: 0xffbd,
};

/** The keysym for a `KeyboardEvent.code`, or null when the agent does not map it. */
export function keysymForCode(code: string): number | null {
  const named = NAMED[code];
  if (named !== undefined) return named;
  let m = /^Key([A-Z])$/.exec(code);
  if (m) return m[1]!.toLowerCase().charCodeAt(0);
  m = /^Digit([0-9])$/.exec(code);
  if (m) return 0x30 + Number(m[1]);
  m = /^F([1-9]|1[0-9]|2[0-4])$/.exec(code);
  if (m) return 0xffbe + Number(m[1]) - 1;
  m = /^Numpad([0-9])$/.exec(code);
  if (m) return 0xffb0 + Number(m[1]);
  return null;
}

/** The keysym that types one character: Latin-1 directly, control keys by name, the rest as Unicode keysyms. */
export function keysymForChar(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  if (char === '\n' || char === '\r') return 0xff0d;
  if (char === '\t') return 0xff09;
  if (char === '\b') return 0xff08;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 | cp;
}

/** Every mapped code, for docs and tests. */
export function mappedCodes(): string[] {
  const codes = Object.keys(NAMED);
  for (let c = 65; c <= 90; c++) codes.push(`Key${String.fromCharCode(c)}`);
  for (let d = 0; d <= 9; d++) codes.push(`Digit${d}`, `Numpad${d}`);
  for (let f = 1; f <= 24; f++) codes.push(`F${f}`);
  return codes;
}
