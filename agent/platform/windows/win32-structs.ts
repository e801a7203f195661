/**
 * The Win32 structures the Windows platform passes, encoded and decoded by
 * hand into Buffers (x64 layout), so they are unit-tested on Linux:
 * INPUT (SendInput), BITMAPINFOHEADER (CreateDIBSection), MONITORINFOEXW.
 */

/** sizeof(INPUT) on x64: DWORD type, 4 bytes padding, then the 32-byte union (MOUSEINPUT is the largest). */
export const INPUT_SIZE = 40;
export const INPUT_MOUSE = 0;
export const INPUT_KEYBOARD = 1;

export const MOUSEEVENTF = {
  MOVE: 0x0001,
  LEFTDOWN: 0x0002,
  LEFTUP: 0x0004,
  RIGHTDOWN: 0x0008,
  RIGHTUP: 0x0010,
  MIDDLEDOWN: 0x0020,
  MIDDLEUP: 0x0040,
  WHEEL: 0x0800,
  HWHEEL: 0x1000,
  VIRTUALDESK: 0x4000,
  ABSOLUTE: 0x8000,
} as const;

export const KEYEVENTF = { EXTENDEDKEY: 0x0001, KEYUP: 0x0002, UNICODE: 0x0004, SCANCODE: 0x0008 } as const;

/** One wheel notch (WHEEL_DELTA). */
export const WHEEL_DELTA = 120;

export interface MouseInput {
  kind: 'mouse';
  dx: number;
  dy: number;
  /** Wheel amount (signed) for WHEEL/HWHEEL. */
  data: number;
  flags: number;
}

export interface KeyInput {
  kind: 'key';
  vk: number;
  scan: number;
  flags: number;
}

export type Input = MouseInput | KeyInput;

/** Encodes INPUT structures back to back, ready for SendInput(n, buffer, INPUT_SIZE). */
export function encodeInputs(inputs: readonly Input[]): Buffer {
  const buf = Buffer.alloc(inputs.length * INPUT_SIZE);
  inputs.forEach((input, i) => {
    const o = i * INPUT_SIZE;
    if (input.kind === 'mouse') {
      // MOUSEINPUT: LONG dx, LONG dy, DWORD mouseData, DWORD dwFlags, DWORD time, ULONG_PTR dwExtraInfo.
      buf.writeUInt32LE(INPUT_MOUSE, o);
      buf.writeInt32LE(input.dx, o + 8);
      buf.writeInt32LE(input.dy, o + 12);
      buf.writeInt32LE(input.data, o + 16);
      buf.writeUInt32LE(input.flags, o + 20);
    } else {
      // KEYBDINPUT: WORD wVk, WORD wScan, DWORD dwFlags, DWORD time, ULONG_PTR dwExtraInfo.
      buf.writeUInt32LE(INPUT_KEYBOARD, o);
      buf.writeUInt16LE(input.vk, o + 8);
      buf.writeUInt16LE(input.scan, o + 10);
      buf.writeUInt32LE(input.flags, o + 12);
    }
  });
  return buf;
}

/** The virtual screen (all monitors' bounding box) as GetSystemMetrics reports it. */
export interface VirtualScreen {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * An absolute move to pixel (x, y) of the virtual screen: SendInput's
 * absolute coordinates are 0..65535 over the whole virtual desktop
 * (MOUSEEVENTF_VIRTUALDESK), mapped back as x = dx * (width - 1) / 65535
 * pixels; rounding to the nearest unit lands on the pixel itself.
 */
export function absoluteMove(screen: VirtualScreen, x: number, y: number): MouseInput {
  const norm = (v: number, origin: number, size: number): number => (size <= 1 ? 0 : Math.round(((v - origin) * 65535) / (size - 1)));
  return {
    kind: 'mouse',
    dx: Math.min(65535, Math.max(0, norm(x, screen.x, screen.width))),
    dy: Math.min(65535, Math.max(0, norm(y, screen.y, screen.height))),
    data: 0,
    flags: MOUSEEVENTF.MOVE | MOUSEEVENTF.ABSOLUTE | MOUSEEVENTF.VIRTUALDESK,
  };
}

/** UTF-16 code units of `text` as KEYEVENTF_UNICODE presses and releases (surrogate pairs as two units, as Windows expects). */
export function unicodeInputs(text: string): KeyInput[] {
  const out: KeyInput[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out.push({ kind: 'key', vk: 0, scan: unit, flags: KEYEVENTF.UNICODE }, { kind: 'key', vk: 0, scan: unit, flags: KEYEVENTF.UNICODE | KEYEVENTF.KEYUP });
  }
  return out;
}

/** A top-down 32 bpp BITMAPINFOHEADER (BGRA rows, no palette) for CreateDIBSection. */
export function bitmapInfo(width: number, height: number): Buffer {
  const buf = Buffer.alloc(40 + 16);
  buf.writeUInt32LE(40, 0); // biSize
  buf.writeInt32LE(width, 4);
  buf.writeInt32LE(-height, 8); // negative: top-down rows
  buf.writeUInt16LE(1, 12); // biPlanes
  buf.writeUInt16LE(32, 14); // biBitCount
  buf.writeUInt32LE(0, 16); // BI_RGB
  buf.writeUInt32LE(width * height * 4, 20);
  return buf;
}

/** sizeof(MONITORINFOEXW): cbSize, rcMonitor, rcWork, dwFlags, szDevice[32]. */
export const MONITORINFOEXW_SIZE = 104;
const MONITORINFOF_PRIMARY = 1;

export function monitorInfoBuffer(): Buffer {
  const buf = Buffer.alloc(MONITORINFOEXW_SIZE);
  buf.writeUInt32LE(MONITORINFOEXW_SIZE, 0);
  return buf;
}

export interface MonitorInfo {
  x: number;
  y: number;
  width: number;
  height: number;
  primary: boolean;
  /** e.g. `\\.\DISPLAY1`. */
  device: string;
}

export function decodeMonitorInfo(buf: Buffer): MonitorInfo {
  const left = buf.readInt32LE(4);
  const top = buf.readInt32LE(8);
  const right = buf.readInt32LE(12);
  const bottom = buf.readInt32LE(16);
  const raw = buf.subarray(40, MONITORINFOEXW_SIZE).toString('utf16le');
  const end = raw.indexOf('\0');
  return {
    x: left,
    y: top,
    width: right - left,
    height: bottom - top,
    primary: (buf.readUInt32LE(36) & MONITORINFOF_PRIMARY) !== 0,
    device: end >= 0 ? raw.slice(0, end) : raw,
  };
}
