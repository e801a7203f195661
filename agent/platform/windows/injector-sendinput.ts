import type { MouseButton, Screen } from '../../../protocol/index.ts';
import { toPixels, type InputInjector } from '../input-injector.ts';
import { VK, scanCodeForCode } from './scan-codes.ts';
import type { Win32 } from './win32-api.ts';
import { INPUT_SIZE, KEYEVENTF, MOUSEEVENTF, WHEEL_DELTA, absoluteMove, encodeInputs, unicodeInputs, type Input, type KeyInput, type VirtualScreen } from './win32-structs.ts';

const SM_XVIRTUALSCREEN = 76;
const SM_YVIRTUALSCREEN = 77;
const SM_CXVIRTUALSCREEN = 78;
const SM_CYVIRTUALSCREEN = 79;
const MAPVK_VSC_TO_VK_EX = 3;

const BUTTON_FLAGS: Record<MouseButton, { down: number; up: number }> = {
  left: { down: MOUSEEVENTF.LEFTDOWN, up: MOUSEEVENTF.LEFTUP },
  middle: { down: MOUSEEVENTF.MIDDLEDOWN, up: MOUSEEVENTF.MIDDLEUP },
  right: { down: MOUSEEVENTF.RIGHTDOWN, up: MOUSEEVENTF.RIGHTUP },
};

/** Text typed per SendInput call: one call keeps a burst together, a bound keeps one call short. */
const TEXT_CHUNK = 64;

/** Reads the virtual screen (every monitor's bounding box) from GetSystemMetrics. */
export function virtualScreen(api: Win32): VirtualScreen {
  return {
    x: api.GetSystemMetrics(SM_XVIRTUALSCREEN),
    y: api.GetSystemMetrics(SM_YVIRTUALSCREEN),
    width: api.GetSystemMetrics(SM_CXVIRTUALSCREEN),
    height: api.GetSystemMetrics(SM_CYVIRTUALSCREEN),
  };
}

/** The layout's virtual key for a scan code (MapVirtualKeyW), 0 when it has none. */
export type VkOfScan = (scan: number, extended: boolean) => number;

/**
 * The key event for a `KeyboardEvent.code`: its scan code (the physical key)
 * with the virtual key the customer's layout gives that key, and the
 * extended flag. Both are sent, not KEYEVENTF_SCANCODE alone: Windows then
 * uses the same pair a real keyboard produces, and Wine 8 ignores a
 * scan-code-only event. Null when the code is not mapped.
 */
export function keyInput(code: string, down: boolean, vkOf: VkOfScan = () => 0): KeyInput | null {
  const mapped = scanCodeForCode(code);
  if (!mapped) return null;
  const vk = vkOf(mapped.scan, mapped.extended);
  const flags = (vk === 0 ? KEYEVENTF.SCANCODE : 0) | (mapped.extended ? KEYEVENTF.EXTENDEDKEY : 0) | (down ? 0 : KEYEVENTF.KEYUP);
  return { kind: 'key', vk, scan: mapped.scan, flags };
}

/** What typing `text` sends: Enter, Tab and Backspace as their keys (an edit control expects them), everything else as KEYEVENTF_UNICODE. */
export function textInputs(text: string): Input[] {
  const out: Input[] = [];
  let run = '';
  const flush = (): void => {
    out.push(...unicodeInputs(run));
    run = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const vk = ch === '\n' || ch === '\r' ? VK.RETURN : ch === '\t' ? VK.TAB : ch === '\b' ? VK.BACK : null;
    if (vk === null) {
      run += ch;
      continue;
    }
    if (ch === '\r' && text[i + 1] === '\n') continue; // CRLF is one Enter
    flush();
    out.push({ kind: 'key', vk, scan: 0, flags: 0 }, { kind: 'key', vk, scan: 0, flags: KEYEVENTF.KEYUP });
  }
  flush();
  return out;
}

/**
 * Windows input through SendInput (user32, via koffi): absolute moves over
 * the virtual screen, buttons, wheel, keys by scan code (with the layout's
 * virtual key) and text as
 * KEYEVENTF_UNICODE. SendInput cannot reach the secure desktop (UAC
 * prompts, Ctrl+Alt+Del) nor windows of a higher integrity level: see
 * docs/windows.md.
 */
export class SendInputInjector implements InputInjector {
  readonly method = 'sendinput';
  private screen: Screen;
  private readonly heldKeys = new Map<string, KeyInput>();
  private readonly heldButtons = new Set<MouseButton>();
  private closed = false;
  private readonly vkOf: VkOfScan;

  constructor(private readonly api: Win32) {
    this.vkOf = (scan, extended) => api.MapVirtualKeyW(extended ? 0xe000 | scan : scan, MAPVK_VSC_TO_VK_EX) & 0xff;
    const v = virtualScreen(api);
    this.screen = { id: 'virtual', name: 'Whole screen', x: v.x, y: v.y, width: v.width, height: v.height, primary: true };
  }

  setScreen(screen: Screen): void {
    this.screen = screen;
  }

  move(fx: number, fy: number): void {
    this.send([this.moveInput(fx, fy)]);
  }

  button(button: MouseButton, down: boolean, fx: number, fy: number): void {
    if (down) this.heldButtons.add(button);
    else this.heldButtons.delete(button);
    const flags = down ? BUTTON_FLAGS[button].down : BUTTON_FLAGS[button].up;
    this.send([this.moveInput(fx, fy), { kind: 'mouse', dx: 0, dy: 0, data: 0, flags }]);
  }

  wheel(dx: number, dy: number, fx: number, fy: number): void {
    const notches = (n: number): number => Math.max(-20, Math.min(20, Math.trunc(n)));
    const inputs: Input[] = [this.moveInput(fx, fy)];
    // Positive dy scrolls down; Windows' positive wheel delta scrolls up (away from the user).
    if (notches(dy) !== 0) inputs.push({ kind: 'mouse', dx: 0, dy: 0, data: -notches(dy) * WHEEL_DELTA, flags: MOUSEEVENTF.WHEEL });
    if (notches(dx) !== 0) inputs.push({ kind: 'mouse', dx: 0, dy: 0, data: notches(dx) * WHEEL_DELTA, flags: MOUSEEVENTF.HWHEEL });
    this.send(inputs);
  }

  key(code: string, down: boolean): boolean {
    const input = keyInput(code, down, this.vkOf);
    if (!input) return false;
    if (down) this.heldKeys.set(code, input);
    else this.heldKeys.delete(code);
    this.send([input]);
    return true;
  }

  async text(text: string): Promise<void> {
    const inputs = textInputs(text);
    for (let i = 0; i < inputs.length && !this.closed; i += TEXT_CHUNK * 2) {
      this.send(inputs.slice(i, i + TEXT_CHUNK * 2));
      // Let the target's message loop take the burst before the next one.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  releaseAll(): void {
    const ups: Input[] = [];
    for (const code of this.heldKeys.keys()) {
      const up = keyInput(code, false, this.vkOf);
      if (up) ups.push(up);
    }
    for (const button of this.heldButtons) ups.push({ kind: 'mouse', dx: 0, dy: 0, data: 0, flags: BUTTON_FLAGS[button].up });
    this.heldKeys.clear();
    this.heldButtons.clear();
    if (ups.length > 0) this.send(ups);
  }

  close(): void {
    if (this.closed) return;
    this.releaseAll();
    this.closed = true;
  }

  private moveInput(fx: number, fy: number): Input {
    const { x, y } = toPixels(this.screen, fx, fy);
    return absoluteMove(virtualScreen(this.api), x, y);
  }

  private send(inputs: Input[]): void {
    if (this.closed || inputs.length === 0) return;
    this.api.SendInput(inputs.length, encodeInputs(inputs), INPUT_SIZE);
  }
}
