/**
 * Test helper process: `node --import tsx colour-cycler.ts :N x y size everyMs` keeps
 * recolouring a square on display :N from a process of its own, so the test's event
 * loop can be busy (or blocked) while the screen changes.
 */
import { openDisplay } from '../../../agent/platform/linux-x11/display.ts';
import { drawRect } from '../../../testkit/xvfb.ts';

const [display, x, y, size, everyMs] = [process.argv[2]!, ...process.argv.slice(3, 7).map(Number)] as [string, number, number, number, number];
const conn = await openDisplay(display);
const win = drawRect(conn, x, y, size, size, 0x000000);
let n = 0;
setInterval(() => {
  n++;
  conn.client.ChangeWindowAttributes(win, { backgroundPixel: (n * 0x3f1d07) & 0xffffff });
  conn.client.ClearArea(win, 0, 0, 0, 0, 0);
}, everyMs);
process.stdout.write('ready\n');
