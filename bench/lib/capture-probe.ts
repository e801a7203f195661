/**
 * `node --import tsx bench/lib/capture-probe.ts '{"display":":N","width":W,"height":H,"fps":30,"method":"native"}'`:
 * one of the agent's capturers in a process of its own (as in the agent),
 * printing a JSON line `{"at": wall ms, "c": palette index}` each time the
 * marker's colour changes in its frames, and every second `{"frames": N, "seconds": S}` (its
 * frame rate so far); "stop" on stdin ends it.
 */
import { createInterface } from 'node:readline';
import { createScreenCapturer, type CaptureMethod } from '../../agent/platform/linux-x11/create-capturer.ts';
import { markerColourI420, wallNow } from './marker.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as { display: string; width: number; height: number; fps: number; method: CaptureMethod };
const capturer = createScreenCapturer(opts.display, opts.method);
let last = -2;
let frames = 0;
const started = performance.now();
await capturer.start({ id: 'bench', name: 'bench', x: 0, y: 0, width: opts.width, height: opts.height, primary: true }, { fps: opts.fps }, (frame) => {
  frames++;
  const c = markerColourI420(frame.data, frame.width, frame.height);
  if (c >= 0 && c !== last) process.stdout.write(`${JSON.stringify({ at: wallNow(), c })}\n`);
  last = c;
});
process.stdout.write(`${JSON.stringify({ ready: capturer.method })}\n`);
// Every second, the frames delivered so far (the screen moves every frame): the bench's reference for frames shown.
setInterval(() => process.stdout.write(`${JSON.stringify({ frames, seconds: (performance.now() - started) / 1000 })}\n`), 1000).unref();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  void capturer.stop().then(() => process.exit(0));
});
