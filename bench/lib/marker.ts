/**
 * The glass-to-glass marker: a 64x64 X window whose colour the bench changes
 * at known times, and the matching of colour changes seen downstream (a
 * capturer's frames, the console's presented frames) to those draws.
 */
import { xcall, type XConnection } from '../../agent/platform/linux-x11/display.ts';

export const PALETTE = [0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff, 0xff00ff, 0xffffff];
export const MARK = { x: 40, y: 40, size: 64 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** BT.601 limited-range Y, U, V of an RGB colour (what an I420 frame should hold). */
function yuvOf(rgb: number): [number, number, number] {
  const r = (rgb >> 16) & 0xff;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  return [((66 * r + 129 * g + 25 * b + 128) >> 8) + 16, ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128, ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128];
}

/** Nearest palette index of an RGB colour, or -1 if nothing is close (a blend between two). */
export function classifyRgb(r: number, g: number, b: number): number {
  let best = -1;
  let bestD = 90 * 90 * 3;
  PALETTE.forEach((c, i) => {
    const d = (r - ((c >> 16) & 255)) ** 2 + (g - ((c >> 8) & 255)) ** 2 + (b - (c & 255)) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

export function classifyYuv(y: number, u: number, v: number): number {
  let best = -1;
  let bestD = 40 * 40 * 3;
  PALETTE.forEach((c, i) => {
    const [py, pu, pv] = yuvOf(c);
    const d = (y - py) ** 2 + (u - pu) ** 2 + (v - pv) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

/** Palette index at the marker's centre in an I420 frame. */
export function markerColourI420(data: Uint8Array | Uint8ClampedArray, width: number, height: number): number {
  const x = MARK.x + MARK.size / 2;
  const y = MARK.y + MARK.size / 2;
  const c = (y >> 1) * (width >> 1) + (x >> 1);
  const u = width * height;
  return classifyYuv(data[y * width + x] ?? -1, data[u + c] ?? -1, data[u + (width >> 1) * (height >> 1) + c] ?? -1);
}

/** Changes the marker's colour `count` times, 100–133 ms apart; returns [wall ms when drawn, palette index]. */
export async function drawMarks(x: XConnection, win: number, count: number): Promise<Array<[number, number]>> {
  const drawn: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const colour = i % PALETTE.length;
    const before = wallNow();
    x.client.ChangeWindowAttributes(win, { backgroundPixel: PALETTE[colour] });
    x.client.ClearArea(win, 0, 0, 0, 0, 0);
    await xcall((cb) => x.client.GetInputFocus(cb));
    drawn.push([(before + wallNow()) / 2, colour]);
    await sleep(100 + Math.random() * 33);
  }
  return drawn;
}

/**
 * Matches observed colour changes [wall ms, palette index] to draws in order; returns latencies.
 * Any 7 consecutive draws have distinct colours, so a change matches at most one of the next 7 draws;
 * a draw that was never shown (overwritten before a frame carried it) is skipped.
 */
export function match(drawn: Array<[number, number]>, seen: Array<[number, number]>): number[] {
  const out: number[] = [];
  let j = 0;
  for (const [at, colour] of seen) {
    for (let k = j; k < Math.min(drawn.length, j + PALETTE.length); k++) {
      const d = drawn[k]!;
      if (d[1] === colour && d[0] < at) {
        out.push(at - d[0]);
        j = k + 1;
        break;
      }
    }
  }
  return out;
}
