/**
 * `node --import tsx bench/lib/screen-mover.ts DISPLAY WIDTH HEIGHT EVERY_MS`: a
 * 400x250 window that moves and changes colour every EVERY_MS, from a process
 * of its own: the screen changes every frame like a busy desktop, and its
 * timing is independent of the bench's marker draws (in one process, timers
 * that fire together would line the marker up with the animation's frames).
 */
import { openDisplay } from '../../agent/platform/linux-x11/display.ts';

const [display, width, height, everyMs] = [process.argv[2] ?? ':0', Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 16)];
const x = await openDisplay(display);
const win = x.client.AllocID();
x.client.CreateWindow(win, x.root, 200, height - 300, 400, 250, 0, 0, 0, 0, { backgroundPixel: 0x2288cc, overrideRedirect: 1 });
x.client.MapWindow(win);
let n = 0;
setInterval(() => {
  n++;
  x.client.MoveWindow(win, 200 + ((n * 37) % Math.max(1, width - 700)), height - 300 - ((n * 23) % 200));
  x.client.ChangeWindowAttributes(win, { backgroundPixel: (n * 0x10203) & 0xffffff });
  x.client.ClearArea(win, 0, 0, 0, 0, 0);
}, everyMs);
process.stdout.write('{"ready":true}\n');
