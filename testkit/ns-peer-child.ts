/**
 * One end of a real support session (the product's TechnicianEngine or
 * CustomerEngine on `@roamhq/wrtc`, a real SignalingClient) in its own
 * process, so that it can run in a network namespace (`ip netns exec`): a
 * process's WebRTC stack lives in one namespace. testkit/ns-peers.ts drives it
 * over the IPC channel; each command is answered with `{id, ok, value|error}`,
 * and events arrive as `{event, ...}`.
 *
 * The customer's screen is a synthetic I420 source: a marker number, drawn
 * as black and white blocks, that changes every 100–133 ms, over a moving
 * bar, so the encoder has real work; each change is recorded with its wall
 * time, and the technician records when it first sees each number, which
 * gives glass to glass (both processes share the wall clock).
 */
import { createCipheriv, createHash } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import type { InputMessage, PointerMessage } from '../protocol/channels.ts';
import { CustomerEngine } from '../rtc/customer-engine.ts';
import type { FileSink } from '../rtc/file-types.ts';
import { memorySource } from '../rtc/memory-file.ts';
import { SignalingClient, type WebSocketCtor } from '../rtc/signaling-client.ts';
import type { SupportEngine } from '../rtc/support-engine.ts';
import { TechnicianEngine } from '../rtc/technician-engine.ts';
import { wallNow } from '../bench/lib/marker.ts';
import { RTCPeerConnectionNode } from './rtc-pair.ts';

const WS = WebSocket as unknown as WebSocketCtor;
type Command = { id: number; cmd: string; [key: string]: unknown };
type Engine = TechnicianEngine | CustomerEngine;

const send = (message: unknown): void => {
  process.send?.(message);
};

/** Deterministic bytes for a file (AES-CTR keystream of a seed), so both processes can regenerate and compare them. */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Received files: what arrived, checked against the seeded bytes the sender used. */
const received: Array<{ name: string; size: number; sha256: string; corruptedBytes: number }> = [];

function sinkFor(name: string, size: number): FileSink {
  const buffer = Buffer.alloc(size);
  return {
    write: async (offset, bytes) => {
      buffer.set(bytes, offset);
    },
    finish: async () => {
      // The file's name is its seed: compare every byte with what the sender made.
      const expected = seededBytes(name, size);
      let corrupted = 0;
      for (let i = 0; i < size; i++) if (buffer[i] !== expected[i]) corrupted++;
      received.push({ name, size, sha256: sha256(buffer), corruptedBytes: corrupted });
      return { savedAs: name };
    },
    abort: async () => undefined,
  };
}

/** Input as the customer's machine would inject it: recorded in order, with the keys it holds. */
const injected: Array<{ type: string; code?: string; button?: string; down?: boolean }> = [];
const held = new Set<string>();
let releaseAlls = 0;
const injector = {
  inject: (msg: InputMessage | PointerMessage): void => {
    if (msg.type === 'key') {
      injected.push({ type: 'key', code: msg.code, down: msg.down });
      if (msg.down) held.add(msg.code);
      else held.delete(msg.code);
    } else if (msg.type === 'pointer.button') {
      injected.push({ type: 'button', button: msg.button, down: msg.down });
      if (msg.down) held.add(`button:${msg.button}`);
      else held.delete(`button:${msg.button}`);
    }
  },
  releaseAll: (): void => {
    releaseAlls++;
    held.clear();
  },
};

/** The frame number shown as 10 black or white blocks (bits), 32x32 px each, in a row at the top left. */
const BITS = 10;
const BLOCK = 32;
const blockX = (bit: number): number => 16 + bit * (BLOCK + 8);
const BLOCK_Y = 16;

/** The synthetic screen: frames at `fps`, the marker number changing every 100–133 ms. */
function startScreen(width: number, height: number, fps: number) {
  const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
  const draws: Array<[number, number]> = [];
  let mark = 0;
  let nextChange = 0;
  let frame = 0;
  const timer = setInterval(() => {
    const now = wallNow();
    if (now >= nextChange) {
      mark = (mark + 1) % (1 << BITS);
      draws.push([now, mark]);
      nextChange = now + 100 + Math.random() * 33;
    }
    const data = new Uint8Array((width * height * 3) / 2);
    data.fill(128);
    const bar = (frame++ * 8) % width;
    for (let row = 0; row < height; row++) data.fill(235, row * width + bar, row * width + Math.min(width, bar + 16));
    for (let bit = 0; bit < BITS; bit++) {
      const y = (mark >> bit) & 1 ? 235 : 16;
      for (let row = BLOCK_Y; row < BLOCK_Y + BLOCK; row++) data.fill(y, row * width + blockX(bit), row * width + blockX(bit) + BLOCK);
    }
    source.onFrame({ width, height, data });
  }, 1000 / fps);
  return { track: source.createTrack(), draws, stop: () => clearInterval(timer) };
}

/** The marker number in an I420 frame (the luma at each block's centre), or -1 when a block is neither black nor white. */
function readMark(data: Uint8Array, width: number): number {
  let mark = 0;
  for (let bit = 0; bit < BITS; bit++) {
    const y = data[(BLOCK_Y + BLOCK / 2) * width + blockX(bit) + BLOCK / 2] ?? 128;
    if (y > 180) mark |= 1 << bit;
    else if (y > 70) return -1;
  }
  return mark;
}

/** What the technician's side sees of the video: every frame's arrival time and each colour change. */
const video = { frames: [] as number[], seen: [] as Array<[number, number]>, width: 0, height: 0 };

function watchVideo(track: MediaStreamTrack): void {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  let last = -1;
  sink.onframe = ({ frame }: { frame: { width: number; height: number; data: Uint8Array } }) => {
    const now = wallNow();
    video.frames.push(now);
    video.width = frame.width;
    video.height = frame.height;
    const mark = readMark(frame.data, frame.width);
    if (mark >= 0 && mark !== last) {
      last = mark;
      video.seen.push([now, mark]);
    }
  };
}

/** Logs in over HTTP from this namespace; returns the Cookie header value. */
async function login(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = res.headers.getSetCookie().find((line) => line.startsWith('rr_session='));
  if (!res.ok || !cookie) throw new Error(`login of ${email} failed: ${res.status}`);
  return cookie.split(';')[0] ?? '';
}

let engine: Engine | null = null;
let screen: ReturnType<typeof startScreen> | null = null;

async function start(c: Command): Promise<unknown> {
  const reconnect = { initialMs: 250, maxMs: 1000 };
  if (c.role === 'technician') {
    const cookie = await login(String(c.url), String(c.email), String(c.password));
    const sig = new SignalingClient({ url: `${String(c.wsUrl)}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: String(c.origin) }, reconnect });
    await sig.connect();
    const created = await sig.request({ type: 'session.create', ...(c.forceRelay === true ? { forceRelay: true } : {}) });
    if (created.type !== 'session.created' || !created.session.code) throw new Error(`session.create answered ${created.type}`);
    const tech = new TechnicianEngine({ signaling: sig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Tess', client: 'browser', sessionId: created.session.sessionId, files: { sinkFactory: async (offer) => sinkFor(offer.name, offer.size) } });
    tech.on('track', ({ track }) => watchVideo(track));
    wire(tech, sig);
    engine = tech;
    return { sessionId: created.session.sessionId, code: created.session.code };
  }
  const sig = new SignalingClient({ url: `${String(c.wsUrl)}/ws/customer`, role: 'customer', WebSocket: WS, client: 'agent', reconnect });
  await sig.connect();
  await sig.request({ type: 'code.submit', code: String(c.code), client: 'agent' });
  const width = Number(c.width ?? 640);
  const height = Number(c.height ?? 360);
  const cust = new CustomerEngine({
    signaling: sig,
    RTCPeerConnection: RTCPeerConnectionNode,
    name: 'Carl',
    client: 'agent',
    capabilities: { input: true, screens: true, clipboard: false, files: true },
    ask: async () => true,
    video: {
      start: async () => {
        screen = startScreen(width, height, Number(c.fps ?? 30));
        return screen.track;
      },
      stop: (track) => {
        screen?.stop();
        track.stop();
      },
    },
    input: injector,
    files: { sinkFactory: async (offer) => sinkFor(offer.name, offer.size) },
  });
  wire(cust, sig);
  engine = cust;
  return {};
}

let lastProgressAt = 0;

function wire(engineOfEitherRole: Engine, sig: SignalingClient): void {
  const e = engineOfEitherRole as SupportEngine;
  e.on('ready', () => send({ event: 'ready' }));
  e.on('connectionstatechange', (state) => send({ event: 'connection', state, at: wallNow() }));
  e.on('session.state', (s) => send({ event: 'session.state', ...s }));
  e.on('closed', (closed) => send({ event: 'closed', ...closed }));
  e.files.on('finished', (r) => send({ event: 'file.finished', name: r.name, direction: r.direction, ok: r.ok, ...(r.ok ? {} : { code: r.code, message: r.message }) }));
  e.files.on('progress', (p) => {
    const now = performance.now();
    if (now - lastProgressAt < 1000) return;
    lastProgressAt = now;
    send({ event: 'file.progress', name: p.name, direction: p.direction, bytes: p.bytes, buffered: e.peer?.isOpen('files') ? e.peer.channel('files').bufferedAmount : -1 });
  });
  e.on('chat', (m) => m.from === 'peer' && send({ event: 'chat', text: m.text }));
  e.on('facts', (f) => send({ event: 'facts', path: f.path, local: f.localCandidateType, remote: f.remoteCandidateType }));
  sig.on('session.state', (m) => send({ event: 'server.state', state: m.state, reason: m.reason }));
}

const tech = (): TechnicianEngine => {
  if (!(engine instanceof TechnicianEngine)) throw new Error('not the technician');
  return engine;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'start':
      return start(c);
    case 'activate':
      await tech().activate();
      return null;
    case 'request':
      for (const p of c.permissions as Array<'view' | 'control' | 'files'>) tech().requestPermission(p);
      return null;
    case 'granted':
      return tech().controlGranted;
    case 'keys': {
      // Key strokes and clicks, `gapMs` apart, with pointer moves in between (unreliable channel).
      const codes = ['KeyA', 'KeyS', 'ShiftLeft', 'KeyD', 'ControlLeft', 'KeyF'];
      const sent: Array<{ type: string; code?: string; button?: string; down: boolean }> = [];
      const count = Number(c.count);
      for (let i = 0; i < count; i++) {
        const code = codes[i % codes.length] ?? 'KeyA';
        const m: InputMessage = { type: 'key', code, key: code.slice(-1).toLowerCase(), down: true };
        for (const down of [true, false]) {
          if (!tech().sendInput(i % 10 === 9 ? { type: 'pointer.button', button: 'left', down, x: 0.5, y: 0.5 } : { ...m, down })) throw new Error('input channel not open');
          sent.push(i % 10 === 9 ? { type: 'button', button: 'left', down } : { type: 'key', code, down });
          tech().sendPointer({ type: 'pointer.move', x: Math.random(), y: Math.random() });
          await sleep(Number(c.gapMs ?? 10));
        }
      }
      return sent;
    }
    case 'keyDown':
      if (!tech().sendInput({ type: 'key', code: String(c.code), key: '', down: true })) throw new Error('input channel not open');
      return null;
    case 'injected':
      return { injected, held: [...held], releaseAlls };
    case 'sendFile': {
      const name = String(c.name);
      const bytes = seededBytes(name, Number(c.size));
      const started = performance.now();
      const result = await engine!.sendFile(memorySource(name, bytes)).done;
      return { ...result, ms: performance.now() - started, sourceSha256: sha256(bytes) };
    }
    case 'received':
      return received;
    case 'video': {
      const since = Number(c.since ?? 0);
      return { frames: video.frames.filter((t) => t >= since), seen: video.seen.filter(([t]) => t >= since), width: video.width, height: video.height };
    }
    case 'draws':
      return (screen?.draws ?? []).filter(([t]) => t >= Number(c.since ?? 0));
    case 'chat': {
      const e = engine!;
      return e.sendChat(String(c.text));
    }
    case 'log':
      return engine!.log.entries().map((entry) => entry.text);
    case 'facts': {
      const facts = await engine!.getConnectionFacts();
      return facts ? { path: facts.path, local: facts.localCandidateType, remote: facts.remoteCandidateType, protocol: facts.protocol } : null;
    }
    case 'state':
      return { connection: engine?.peer?.connectionState ?? 'none', connected: engine?.connected ?? false, closed: engine?.closed ?? true };
    case 'end':
      await engine?.end('done');
      return null;
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

process.on('message', (c: Command) => {
  handle(c).then(
    (value) => send({ id: c.id, ok: true, value }),
    (error: unknown) => send({ id: c.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => {
  engine?.close();
  screen?.stop();
  process.exit(0);
});
engine = null;
send({ event: 'up', pid: process.pid });
