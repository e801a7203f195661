import { expect } from 'chai';
import { XTestInjector } from '../../../../agent/platform/linux-x11/injector-xtest.ts';
import { keysymForCode, mappedCodes } from '../../../../agent/platform/linux-x11/key-map.ts';
import { openDisplay, xcall, xrequest, type XConnection, type XEvent } from '../../../../agent/platform/linux-x11/display.ts';
import { startXvfb, type TestXvfb } from '../../../../testkit/xvfb.ts';
import { until } from '../../../../testkit/wait.ts';

const KEY_PRESS_MASK = 1;
const KEY_RELEASE_MASK = 2;

/** A focused window that records the keysyms of the key presses it gets (as an X application would see them). */
async function keyWindow(conn: XConnection): Promise<{ presses: string[]; releases: number }> {
  const min = conn.client.display.min_keycode;
  const count = conn.client.display.max_keycode - min + 1;
  const rows = await xrequest(conn.client, 'CxSCCxx', [101, 2, min, count], (buf, per) => {
    const out: number[][] = [];
    for (let i = 0; i < count; i++) out.push([buf.readUInt32LE(24 + i * per * 4), buf.readUInt32LE(24 + i * per * 4 + 4)]);
    return out;
  });
  const id = conn.client.AllocID();
  conn.client.CreateWindow(id, conn.root, 0, 0, 200, 200, 0, 0, 0, 0, { eventMask: KEY_PRESS_MASK | KEY_RELEASE_MASK });
  conn.client.MapWindow(id);
  await xcall((cb) => conn.client.GetInputFocus(cb));
  conn.client.SetInputFocus(id, 1);
  await xcall((cb) => conn.client.GetInputFocus(cb));
  const seen = { presses: [] as string[], releases: 0 };
  conn.client.on('event', (ev: XEvent) => {
    if (ev.name === 'KeyRelease') seen.releases++;
    if (ev.name !== 'KeyPress' || typeof ev.keycode !== 'number') return;
    const row = rows[ev.keycode - min] ?? [0, 0];
    const shifted = ((ev.buttons as number) & 1) === 1;
    const sym = shifted && row[1] ? row[1] : row[0]!;
    seen.presses.push(sym >= 0x20 && sym < 0x7f ? String.fromCharCode(sym) : `0x${sym.toString(16)}`);
  });
  return seen;
}



describe('agent input injection (XTEST on Xvfb)', function () {
  this.timeout(20_000);
  let xvfb: TestXvfb;
  let observer: XConnection;
  let injector: XTestInjector;

  before(async () => {
    xvfb = await startXvfb(1280, 720);
    observer = await openDisplay(xvfb.display);
    injector = await XTestInjector.open(xvfb.display);
  });
  after(async () => {
    injector?.close();
    observer?.close();
    await xvfb?.stop();
  });

  const pointer = (): Promise<{ rootX: number; rootY: number; keyMask: number }> =>
    xcall((cb) => observer.client.QueryPointer(observer.root, cb));

  it('maps fractional coordinates to the whole screen', async () => {
    injector.move(0.5, 0.25);
    await injector.sync();
    expect(await pointer()).to.include({ rootX: 640, rootY: 180 });
    injector.move(1, 1);
    await injector.sync();
    expect(await pointer()).to.include({ rootX: 1279, rootY: 719 });
  });

  it('maps fractional coordinates to the selected screen (monitor offset)', async () => {
    injector.setScreen({ id: 'r', name: 'right', x: 640, y: 0, width: 640, height: 720, primary: false });
    injector.move(0, 0.5);
    await injector.sync();
    expect(await pointer()).to.include({ rootX: 640, rootY: 360 });
    injector.setScreen({ id: 'root', name: 'all', x: 0, y: 0, width: 1280, height: 720, primary: true });
  });

  it('presses and releases mouse buttons (seen in the pointer state)', async () => {
    injector.button('left', true, 0.1, 0.1);
    await injector.sync();
    expect((await pointer()).keyMask & 0x100, 'Button1Mask').to.equal(0x100);
    injector.button('left', false, 0.1, 0.1);
    await injector.sync();
    expect((await pointer()).keyMask & 0x100).to.equal(0);
  });

  it('releaseAll lets go of held buttons and keys', async () => {
    injector.button('right', true, 0.2, 0.2);
    injector.key('ShiftLeft', true);
    await injector.sync();
    expect((await pointer()).keyMask & 0x401).to.equal(0x401);
    injector.releaseAll();
    await injector.sync();
    expect((await pointer()).keyMask & 0x401).to.equal(0);
  });

  it('presses keys by KeyboardEvent.code, including named keys and modifiers', async () => {
    const seen = await keyWindow(observer);
    for (const code of ['KeyA', 'Digit7', 'Enter', 'Escape', 'Tab', 'Backspace', 'Delete', 'Home', 'End', 'PageUp', 'PageDown', 'ArrowLeft', 'F5', 'F12']) {
      expect(injector.key(code, true), code).to.equal(true);
      injector.key(code, false);
    }
    expect(injector.key('NoSuchKey', true)).to.equal(false);
    await injector.sync();
    await until(() => seen.presses.length >= 14, 'key presses');
    expect(seen.presses).to.deep.equal(['a', '7', '0xff0d', '0xff1b', '0xff09', '0xff08', '0xffff', '0xff50', '0xff57', '0xff55', '0xff56', '0xff51', '0xffc2', '0xffc9']);
    expect(seen.releases).to.be.at.least(14);
  });

  it('types text with the right shift state, whatever the characters', async () => {
    const seen = await keyWindow(observer);
    await injector.text('Hi there, 42!');
    await injector.sync();
    await until(() => seen.presses.filter((p) => p !== '0xffe1').length >= 13, 'typed text');
    expect(seen.presses.filter((p) => p !== '0xffe1').join('')).to.equal('Hi there, 42!');
  });

  it('types a character the keymap lacks through a spare keycode', async () => {
    const seen = await keyWindow(observer);
    await injector.text('é€');
    await injector.sync();
    await until(() => seen.presses.length >= 2, 'unicode presses');
    // Both land on a keycode that had no symbol when the window read the keymap.
    expect(seen.presses.slice(0, 2)).to.deep.equal(['0x0', '0x0']);
  });

  it('key map covers modifiers, arrows, function keys and editing keys', () => {
    for (const code of ['ShiftLeft', 'ControlRight', 'AltLeft', 'MetaLeft', 'ArrowUp', 'ArrowDown', 'F1', 'F24', 'Insert', 'Space', 'Numpad0']) {
      expect(keysymForCode(code), code).to.be.a('number');
    }
    expect(mappedCodes().length).to.be.greaterThan(90);
  });
});
