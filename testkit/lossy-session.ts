/**
 * A real support session across testkit/lossy-path.ts: the technician's
 * engine in the technician namespace, the customer's in the customer
 * namespace (each its own process, testkit/ns-peer-child.ts), the signaling
 * server in the router namespace, reached directly from both sides; only
 * the peer-to-peer traffic crosses the netem shim. Shared by the fault
 * scenario (test/faults/loss.fault.ts) and the bench (bench/loss.ts), which
 * read the same figures: video frames and glass to glass, input order and
 * held keys, files with every byte compared.
 */
import type { LossyPath } from './lossy-path.ts';
import { spawnNsPeer, type NsPeer } from './ns-peers.ts';

export interface LossySession {
  tech: NsPeer;
  cust: NsPeer;
  sessionId: string;
  close(): Promise<void>;
}

export interface VideoFigures {
  frames: number;
  fps: number;
  /** The longest time without a frame, ms. */
  maxGapMs: number;
  glassToGlassMs: number[];
  width: number;
  height: number;
}

export interface InputFigures {
  sent: number;
  arrived: number;
  inOrder: boolean;
  /** Keys and buttons the customer's side still holds down after the technician released them all. */
  stuck: string[];
  /** How long after the last message was sent the customer had them all, ms. */
  lastArrivedMs: number;
}

export interface FileFigures {
  direction: 'technician → customer' | 'customer → technician';
  bytes: number;
  ok: boolean;
  code?: string;
  ms: number;
  mbps: number;
  sha256Match: boolean;
  corruptedBytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const wallNow = (): number => performance.timeOrigin + performance.now();

/** Starts both engines in their namespaces, activates the session and grants view, control and files. */
export async function startLossySession(
  path: LossyPath,
  server: { port: number; origin: string },
  login: { email: string; password: string },
  video: { width?: number; height?: number; fps?: number } = {},
): Promise<LossySession> {
  const tech = await spawnNsPeer(path.namespaces.technician, 'technician');
  const cust = await spawnNsPeer(path.namespaces.customer, 'customer').catch(async (error: unknown) => {
    await tech.stop();
    throw error;
  });
  const close = async (): Promise<void> => {
    await Promise.all([tech.stop(), cust.stop()]);
  };
  try {
    const techHost = `${path.addresses.routerTechnicianSide}:${server.port}`;
    const created = await tech.call<{ sessionId: string; code: string }>('start', { role: 'technician', url: `http://${techHost}`, wsUrl: `ws://${techHost}`, origin: server.origin, ...login });
    await cust.call('start', { role: 'customer', wsUrl: `ws://${path.addresses.routerCustomerSide}:${server.port}`, code: created.code, ...video });
    const ready = Promise.all([tech.waitEvent((e) => e.event === 'ready', 'ready', 60_000), cust.waitEvent((e) => e.event === 'ready', 'ready', 60_000)]);
    await tech.call('activate');
    await ready;
    await tech.call('request', { permissions: ['view', 'control', 'files'] });
    const deadline = Date.now() + 30_000;
    while (!(await tech.call<boolean>('granted'))) {
      if (Date.now() > deadline) throw new Error('control not granted within 30 s');
      await sleep(100);
    }
    return { tech, cust, sessionId: created.sessionId, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Watches the technician's video for `ms`: frames, fps, the longest gap, glass to glass per marker change. */
export async function measureVideo(s: LossySession, ms: number): Promise<VideoFigures> {
  const since = wallNow();
  await sleep(ms);
  const [video, draws] = await Promise.all([
    s.tech.call<{ frames: number[]; seen: Array<[number, number]>; width: number; height: number }>('video', { since }),
    s.cust.call<Array<[number, number]>>('draws', { since: since - 1000 }),
  ]);
  const times = [since, ...video.frames, since + ms];
  let maxGap = 0;
  for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, (times[i] as number) - (times[i - 1] as number));
  return {
    frames: video.frames.length,
    fps: video.frames.length / (ms / 1000),
    maxGapMs: maxGap,
    glassToGlassMs: matchMarks(draws, video.seen),
    width: video.width,
    height: video.height,
  };
}

/** Glass to glass per marker number seen: the time since that number was drawn. */
function matchMarks(draws: Array<[number, number]>, seen: Array<[number, number]>): number[] {
  const drawnAt = new Map(draws.map(([at, mark]) => [mark, at]));
  return seen.flatMap(([at, mark]) => {
    const drawn = drawnAt.get(mark);
    return drawn !== undefined && drawn < at ? [at - drawn] : [];
  });
}

type Sent = { type: string; code?: string; button?: string; down: boolean };

/** `count` key strokes and clicks from the technician; what the customer's side injected, in what order, what it still holds. */
export async function measureInput(s: LossySession, count: number, timeoutMs = 30_000): Promise<InputFigures> {
  const before = (await s.cust.call<{ injected: Sent[] }>('injected')).injected.length;
  const sent = await s.tech.call<Sent[]>('keys', { count, gapMs: 10 }, 120_000);
  const sentAt = performance.now();
  let got: { injected: Sent[]; held: string[] } = { injected: [], held: [] };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    got = await s.cust.call<{ injected: Sent[]; held: string[] }>('injected');
    if (got.injected.length - before >= sent.length || Date.now() > deadline) break;
    await sleep(20);
  }
  const key = (m: Sent): string => `${m.type}:${m.code ?? m.button}:${m.down}`;
  const tail = got.injected.slice(before);
  return {
    sent: sent.length,
    arrived: tail.length,
    inOrder: tail.length === sent.length && tail.every((m, i) => key(m) === key(sent[i] as Sent)),
    stuck: got.held,
    lastArrivedMs: performance.now() - sentAt,
  };
}

/** A file of `bytes` each way at once; every byte the receiver kept is compared with what the sender sent. */
export async function measureFiles(s: LossySession, bytes: number, tag: string): Promise<FileFigures[]> {
  type Sent = { ok: boolean; code?: string; ms: number; sha256?: string; sourceSha256: string };
  type Received = { name: string; size: number; sha256: string; corruptedBytes: number };
  const names = { toCustomer: `t2c-${tag}.bin`, toTechnician: `c2t-${tag}.bin` };
  const [down, up] = await Promise.all([
    s.tech.call<Sent>('sendFile', { name: names.toCustomer, size: bytes }, 840_000),
    s.cust.call<Sent>('sendFile', { name: names.toTechnician, size: bytes }, 840_000),
  ]);
  const [custGot, techGot] = await Promise.all([s.cust.call<Received[]>('received'), s.tech.call<Received[]>('received')]);
  const figures = (direction: FileFigures['direction'], result: Sent, got: Received | undefined): FileFigures => ({
    direction,
    bytes,
    ok: result.ok,
    ...(result.code ? { code: result.code } : {}),
    ms: result.ms,
    mbps: (bytes * 8) / 1e6 / (result.ms / 1000),
    sha256Match: got !== undefined && got.sha256 === result.sourceSha256,
    corruptedBytes: got ? got.corruptedBytes : bytes,
  });
  return [
    figures('technician → customer', down, custGot.find((r) => r.name === names.toCustomer)),
    figures('customer → technician', up, techGot.find((r) => r.name === names.toTechnician)),
  ];
}
