/**
 * `KeyboardEvent.code` → PC/AT scan code set 1, for SendInput with
 * KEYEVENTF_SCANCODE: the physical key, whatever the customer's layout, as
 * the Linux key map does with keysyms (agent/platform/linux-x11/key-map.ts,
 * whose `mappedCodes()` this table covers one for one; a unit test checks).
 * Codes above 0xff are the 0xE0-prefixed keys (KEYEVENTF_EXTENDEDKEY).
 * Values: https://www.w3.org/TR/uievents-code/ (Windows scan codes column).
 */
const NAMED: Record<string, number> = {
  ShiftLeft: 0x2a, ShiftRight: 0x36, ControlLeft: 0x1d, ControlRight: 0xe01d,
  AltLeft: 0x38, AltRight: 0xe038, MetaLeft: 0xe05b, MetaRight: 0xe05c, CapsLock: 0x3a,
  Enter: 0x1c, Escape: 0x01, Tab: 0x0f, Backspace: 0x0e, Delete: 0xe053, Insert: 0xe052,
  Home: 0xe047, End: 0xe04f, PageUp: 0xe049, PageDown: 0xe051,
  ArrowLeft: 0xe04b, ArrowUp: 0xe048, ArrowRight: 0xe04d, ArrowDown: 0xe050,
  Space: 0x39, ContextMenu: 0xe05d, PrintScreen: 0xe037, ScrollLock: 0x46, Pause: 0x45, NumLock: 0xe045,
  Minus: 0x0c, Equal: 0x0d, BracketLeft: 0x1a, BracketRight: 0x1b, Backslash: 0x2b, Semicolon: 0x27,
  Quote: 0x28, Backquote: 0x29, Comma: 0x33, Period: 0x34, Slash: 0x35, IntlBackslash: 0x56,
  NumpadEnter: 0xe01c, NumpadAdd: 0x4e, NumpadSubtract: 0x4a, NumpadMultiply: 0x37,
  NumpadDivide: 0xe035, NumpadDecimal: 0x53, NumpadEqual: 0x59,
  Numpad0: 0x52, Numpad1: 0x4f, Numpad2: 0x50, Numpad3: 0x51, Numpad4: 0x4b,
  Numpad5: 0x4c, Numpad6: 0x4d, Numpad7: 0x47, Numpad8: 0x48, Numpad9: 0x49,
  Digit1: 0x02, Digit2: 0x03, Digit3: 0x04, Digit4: 0x05, Digit5: 0x06,
  Digit6: 0x07, Digit7: 0x08, Digit8: 0x09, Digit9: 0x0a, Digit0: 0x0b,
  KeyQ: 0x10, KeyW: 0x11, KeyE: 0x12, KeyR: 0x13, KeyT: 0x14, KeyY: 0x15, KeyU: 0x16, KeyI: 0x17, KeyO: 0x18, KeyP: 0x19,
  KeyA: 0x1e, KeyS: 0x1f, KeyD: 0x20, KeyF: 0x21, KeyG: 0x22, KeyH: 0x23, KeyJ: 0x24, KeyK: 0x25, KeyL: 0x26,
  KeyZ: 0x2c, KeyX: 0x2d, KeyC: 0x2e, KeyV: 0x2f, KeyB: 0x30, KeyN: 0x31, KeyM: 0x32,
  F1: 0x3b, F2: 0x3c, F3: 0x3d, F4: 0x3e, F5: 0x3f, F6: 0x40, F7: 0x41, F8: 0x42, F9: 0x43, F10: 0x44,
  F11: 0x57, F12: 0x58, F13: 0x64, F14: 0x65, F15: 0x66, F16: 0x67, F17: 0x68, F18: 0x69, F19: 0x6a,
  F20: 0x6b, F21: 0x6c, F22: 0x6d, F23: 0x6e, F24: 0x76,
};

/** The scan code of a `KeyboardEvent.code` and whether it is an extended (0xE0) key; null when unmapped. */
export function scanCodeForCode(code: string): { scan: number; extended: boolean } | null {
  const value = Object.hasOwn(NAMED, code) ? NAMED[code] : undefined;
  if (value === undefined) return null;
  return { scan: value & 0xff, extended: value > 0xff };
}

/** The Windows virtual-key codes of the keys whose characters text typing must send as keys, not KEYEVENTF_UNICODE. */
export const VK = { BACK: 0x08, TAB: 0x09, RETURN: 0x0d } as const;
