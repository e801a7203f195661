import type { MouseButton, Screen } from '../../../protocol/index.ts';
import { openDisplay, xcall, xrequest, type XConnection } from './display.ts';
import { toPixels, type InputInjector } from '../input-injector.ts';
import { keysymForChar, keysymForCode } from './key-map.ts';

interface XTest {
  FakeInput(type: number, detail: number, time: number, wid: number, x: number, y: number): void;
}
const KEY_PRESS = 2;
const KEY_RELEASE = 3;
const BUTTON_PRESS = 4;
const BUTTON_RELEASE = 5;
const MOTION = 6;
const BUTTONS: Record<MouseButton, number> = { left: 1, middle: 2, right: 3 };
const SHIFT_L = 0xffe1;

/** Where a keysym sits in the keymap: its keycode and whether Shift selects it. */
interface KeyPlace {
  keycode: number;
  shift: boolean;
}

/**
 * X11 input through the XTEST extension (FakeInput), over the pure-JS `x11`
 * client: ~0.1 ms per event, no child process. Text the keymap cannot type is
 * typed by binding the character to a spare keycode for the moment
 * (ChangeKeyboardMapping), as xdotool does.
 * See https://www.x.org/releases/X11R7.7/doc/xextproto/xtest.html.
 */
export class XTestInjector implements InputInjector {
  readonly method = 'xtest';
  private screen: Screen;
  private readonly heldKeys = new Set<number>();
  private readonly heldButtons = new Set<number>();
  private keymap = new Map<number, KeyPlace>();
  private spareKeycode: number | null = null;
  private perKeycode = 0;
  private closed = false;
  /** Called after every injected event with the time it was flushed to the X server (bench, logs). */
  onInjected: ((kind: string, at: number) => void) | null = null;

  private constructor(
    private readonly conn: XConnection,
    private readonly xtest: XTest,
  ) {
    this.screen = { id: 'root', name: 'Whole screen', x: 0, y: 0, width: conn.width, height: conn.height, primary: true };
  }

  static async open(display: string): Promise<XTestInjector> {
    const conn = await openDisplay(display);
    try {
      const xtest = await xcall<XTest>((cb) => conn.client.require('xtest', cb));
      const injector = new XTestInjector(conn, xtest);
      await injector.loadKeymap();
      return injector;
    } catch (err) {
      conn.close();
      throw new Error(`XTEST is not available on ${display}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  setScreen(screen: Screen): void {
    this.screen = screen;
  }

  move(fx: number, fy: number): void {
    const { x, y } = toPixels(this.screen, fx, fy);
    this.fake(MOTION, 0, x, y, 'move');
  }

  button(button: MouseButton, down: boolean, fx: number, fy: number): void {
    this.move(fx, fy);
    const detail = BUTTONS[button];
    if (down) this.heldButtons.add(detail);
    else this.heldButtons.delete(detail);
    this.fake(down ? BUTTON_PRESS : BUTTON_RELEASE, detail, 0, 0, 'button');
  }

  wheel(dx: number, dy: number, fx: number, fy: number): void {
    this.move(fx, fy);
    const clicks = (count: number, button: number): void => {
      for (let i = 0; i < Math.min(20, Math.abs(count)); i++) {
        this.fake(BUTTON_PRESS, button, 0, 0, 'wheel');
        this.fake(BUTTON_RELEASE, button, 0, 0, 'wheel');
      }
    };
    clicks(dy, dy > 0 ? 5 : 4);
    clicks(dx, dx > 0 ? 7 : 6);
  }

  key(code: string, down: boolean): boolean {
    const keysym = keysymForCode(code);
    const place = keysym === null ? undefined : this.keymap.get(keysym);
    if (!place) return false;
    if (down) this.heldKeys.add(place.keycode);
    else this.heldKeys.delete(place.keycode);
    this.fake(down ? KEY_PRESS : KEY_RELEASE, place.keycode, 0, 0, 'key');
    return true;
  }

  async text(text: string): Promise<void> {
    const shift = this.keymap.get(SHIFT_L)?.keycode;
    for (const char of text) {
      if (this.closed) return;
      const keysym = keysymForChar(char);
      const place = this.keymap.get(keysym);
      if (place && (!place.shift || shift !== undefined)) {
        if (place.shift) this.fake(KEY_PRESS, shift!, 0, 0, 'text');
        this.tap(place.keycode);
        if (place.shift) this.fake(KEY_RELEASE, shift!, 0, 0, 'text');
      } else if (this.spareKeycode !== null) {
        // Bind the character to the spare keycode, wait until the server has it, type it.
        await this.bindSpare(keysym);
        this.tap(this.spareKeycode);
        await this.sync();
      }
    }
    if (this.spareKeycode !== null) await this.bindSpare(0);
  }

  releaseAll(): void {
    for (const keycode of this.heldKeys) this.fake(KEY_RELEASE, keycode, 0, 0, 'release');
    for (const button of this.heldButtons) this.fake(BUTTON_RELEASE, button, 0, 0, 'release');
    this.heldKeys.clear();
    this.heldButtons.clear();
  }

  /** Waits until the X server has processed everything sent so far. */
  async sync(): Promise<void> {
    await xcall((cb) => this.conn.client.GetInputFocus(cb));
  }

  close(): void {
    if (this.closed) return;
    this.releaseAll();
    this.closed = true;
    this.conn.close();
  }

  private tap(keycode: number): void {
    this.fake(KEY_PRESS, keycode, 0, 0, 'text');
    this.fake(KEY_RELEASE, keycode, 0, 0, 'text');
  }

  private fake(type: number, detail: number, x: number, y: number, kind: string): void {
    if (this.closed) return;
    this.xtest.FakeInput(type, detail, 0, type === MOTION ? this.conn.root : 0, x, y);
    this.onInjected?.(kind, performance.now());
  }

  private async loadKeymap(): Promise<void> {
    const { min_keycode: min, max_keycode: max } = this.conn.client.display;
    const count = max - min + 1;
    const { per, syms } = await xrequest(this.conn.client, 'CxSCCxx', [101, 2, min, count], (buf, opt) => {
      const out: number[] = [];
      for (let off = 24; off + 4 <= buf.length; off += 4) out.push(buf.readUInt32LE(off));
      return { per: opt, syms: out };
    });
    this.perKeycode = per;
    const map = new Map<number, KeyPlace>();
    let spare: number | null = null;
    for (let i = 0; i < count; i++) {
      const row = syms.slice(i * per, i * per + per);
      const keycode = min + i;
      if (row.every((s) => s === 0)) {
        spare ??= keycode;
        continue;
      }
      for (const [col, sym] of row.slice(0, 2).entries()) {
        if (sym !== 0 && !map.has(sym)) map.set(sym, { keycode, shift: col === 1 });
      }
    }
    // A lowercase-only row (e.g. "a" with NoSymbol) still types the capital with Shift.
    for (let c = 0x61; c <= 0x7a; c++) {
      const lower = map.get(c);
      if (lower && !map.has(c - 0x20)) map.set(c - 0x20, { keycode: lower.keycode, shift: true });
    }
    this.keymap = map;
    this.spareKeycode = spare;
  }

  private async bindSpare(keysym: number): Promise<void> {
    if (this.spareKeycode === null) return;
    const per = Math.max(1, this.perKeycode);
    const row = Array.from({ length: per }, (_, i) => (i < 2 ? keysym : 0));
    this.conn.client.ChangeKeyboardMapping(this.spareKeycode, per, row);
    await this.sync();
  }
}
