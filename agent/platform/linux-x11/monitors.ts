import type { Screen } from '../../../protocol/index.ts';
import { xcall, xrequest, type XConnection } from './display.ts';

/**
 * Lists the monitors of the X screen with RandR 1.5 GetMonitors; falls back to
 * the whole root window as one screen when RandR is missing or reports none.
 * See https://gitlab.freedesktop.org/xorg/proto/xorgproto/-/blob/master/randrproto.txt.
 */
export async function listMonitors(conn: XConnection): Promise<Screen[]> {
  const whole: Screen[] = [{ id: 'root', name: 'Whole screen', x: 0, y: 0, width: conn.width, height: conn.height, primary: true }];
  const ext = await xcall<{ present: boolean; majorOpcode: number }>((cb) => conn.client.QueryExtension('RANDR', cb));
  if (!ext.present) return whole;
  try {
    // RRGetMonitors: opcode 42, length 3, window, get_active.
    const raw = await xrequest(conn.client, 'CCSLCxxx', [ext.majorOpcode, 42, 3, conn.root, 1], (buf) => {
      // The reply after its 8-byte header: timestamp, nmonitors, noutputs, 12 pad; then per monitor
      // name atom, primary, automatic, noutputs (16), x, y (signed 16), width, height (16), mm (2×32), outputs.
      const count = buf.length >= 8 ? buf.readUInt32LE(4) : 0;
      const out: { atom: number; primary: boolean; x: number; y: number; width: number; height: number }[] = [];
      let off = 24;
      for (let i = 0; i < count && off + 24 <= buf.length; i++) {
        out.push({
          atom: buf.readUInt32LE(off),
          primary: buf.readUInt8(off + 4) === 1,
          x: buf.readInt16LE(off + 8),
          y: buf.readInt16LE(off + 10),
          width: buf.readUInt16LE(off + 12),
          height: buf.readUInt16LE(off + 14),
        });
        off += 24 + 4 * buf.readUInt16LE(off + 6);
      }
      return out;
    });
    if (raw.length === 0) return whole;
    const screens: Screen[] = [];
    for (const [i, m] of raw.entries()) {
      let name = `Screen ${i + 1}`;
      try {
        name = (await xcall<string>((cb) => conn.client.GetAtomName(m.atom, cb))).slice(0, 100) || name;
      } catch {
        // Keep the generic name.
      }
      screens.push({ id: `m${i}`, name, x: m.x, y: m.y, width: m.width, height: m.height, primary: m.primary });
    }
    if (!screens.some((s) => s.primary) && screens[0]) screens[0].primary = true;
    return screens.slice(0, 16);
  } catch {
    return whole;
  }
}
