/**
 * One end of a support session in its own network namespace, driven by the
 * fault test over the IPC channel (testkit/netns.ts spawns it):
 *
 * - `technician`: the real signaling server (listening on the namespace's
 *   veth address), a logged-in console's signaling client and the product's
 *   TechnicianEngine; it counts the video frames that arrive and sends files.
 * - `customer`: the product's CustomerEngine as the agent runs it, over real
 *   signaling to that address: it answers every prompt yes (and counts them),
 *   sends a synthetic screen at a steady frame rate and keeps what it receives.
 *
 * Requests are `{id, cmd, args}`; replies `{id, ok, value | error}`; events
 * `{event, data}`. Every time is Date.now(), comparable across the two.
 */
import { createHash, randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import { PERMISSIONS, type Permission } from '../../../protocol/permissions.ts';
import { CustomerEngine } from '../../../rtc/customer-engine.ts';
import { memorySource, MemorySink } from '../../../rtc/memory-file.ts';
import type { FileSink } from '../../../rtc/file-types.ts';
import { nodeHasher } from '../../../agent/files/node-hasher.ts';
import { SignalingClient, type WebSocketCtor } from '../../../rtc/signaling-client.ts';
import type { SupportEngine } from '../../../rtc/support-engine.ts';
import { TechnicianEngine } from '../../../rtc/technician-engine.ts';
import { createTechnician, loginCookie, startTestServer, type RunningServer } from '../../../testkit/server.ts';
import { until } from '../../../testkit/wait.ts';
import { RTCPeerConnectionNode } from '../../../testkit/rtc-pair.ts';

const WS = WebSocket as unknown as WebSocketCtor;
const RECONNECT = { initialMs: 250, maxMs: 1000 };
const FPS = 15;
const EMAIL = 'link@example.test';
const PASSWORD = 'password-link-down';

type Request = { id: number; cmd: string; args: Record<string, unknown> };
type Handler = (args: Record<string, unknown>) => Promise<unknown>;

const role = process.argv[2];
const send = (message: unknown): void => {
  process.send?.(message);
};
const event = (name: string, data: unknown): void => send({ event: name, data });

let engine: SupportEngine | null = null;
const closed: { cause: string; reason: string; at: number }[] = [];
const states: { state: string; at: number }[] = [];
const sessionStates: string[] = [];
const restarts: string[] = [];
const iceStates: { state: string; at: number }[] = [];
/** The file transfer pausing (its channel closed) and resuming (offered again on a new one). */
const fileEvents: { event: 'paused' | 'resumed'; fromChunk?: number; at: number; sinkWritten?: number }[] = [];
/** Peer connections this end opened (a new one replaces a dead one). */
let peers = 0;
/** Data channels that closed under a live peer connection (`name@time`). */
const channelCloses: string[] = [];

/** What both ends report: the engine's log, connection states, closes, ICE restarts. */
function watch(end: TechnicianEngine | CustomerEngine, sig: SignalingClient): void {
  const e = end as unknown as SupportEngine;
  engine = e;
  e.on('connectionstatechange', (state) => states.push({ state, at: Date.now() }));
  e.on('closed', (c) => closed.push({ ...c, at: Date.now() }));
  e.on('session.state', (s) => sessionStates.push(`${s.state}/${s.reason}`));
  e.files.on('paused', () => fileEvents.push({ event: 'paused', at: Date.now() }));
  e.on('peer', (peer) => {
    peers++;
    peer.on('channel.close', (name) => channelCloses.push(`${name}@${Date.now()}`));
    peer.on('ice.restart', (r) => restarts.push(`${Date.now()} ${r.reason}`));
    peer.pc.addEventListener('iceconnectionstatechange', () => iceStates.push({ state: peer.pc.iceConnectionState, at: Date.now() }));
  });
  sig.on('resume.failed', (f) => sessionStates.push(`resume.failed/${f.code}`));
}

function common(): Record<string, unknown> {
  return {
    log: engine?.log.entries().map((entry) => entry.text) ?? [],
    states,
    iceStates,
    closed,
    sessionStates,
    restarts,
    fileEvents,
    peers,
    channelCloses,
    connectionState: engine?.peer?.connectionState ?? 'none',
    now: Date.now(),
  };
}

function technician(): Record<string, Handler> {
  let server: RunningServer | null = null;
  let sig: SignalingClient | null = null;
  let tech: TechnicianEngine | null = null;
  const frames: number[] = [];
  const sinks: { stop(): void }[] = [];
  return {
    async init(args) {
      server = await startTestServer({ HOST: String(args.host), ALLOW_INSECURE_HTTP: '1', RECONNECT_GRACE_SECONDS: String(args.graceSeconds), HEARTBEAT_MS: String(args.heartbeatMs) }, { plugins: [] });
      await createTechnician(server, { email: EMAIL, password: PASSWORD, name: 'Tess' });
      const cookie = await loginCookie(server, EMAIL, PASSWORD);
      sig = new SignalingClient({ url: `${server.wsUrl}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: server.publicUrl }, reconnect: RECONNECT });
      await sig.connect();
      const created = await sig.request({ type: 'session.create' });
      if (created.type !== 'session.created') throw new Error(`session.create answered ${created.type}`);
      const { sessionId, code } = created.session;
      tech = new TechnicianEngine({ signaling: sig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Tess', client: 'browser', sessionId, factsIntervalMs: 0 });
      watch(tech, sig);
      tech.on('track', ({ track }) => {
        if (track.kind !== 'video') return;
        const sink = new wrtc.nonstandard.RTCVideoSink(track);
        sink.onframe = () => frames.push(Date.now());
        sinks.push(sink);
      });
      tech.files.on('progress', (p) => event('progress', { bytes: p.bytes, total: p.total }));
      tech.files.on('finished', (r) => event('finished', r));
      tech.files.on('resumed', (t) => fileEvents.push({ event: 'resumed', fromChunk: t.fromChunk, at: Date.now() }));
      return { port: server.port, code, wsUrl: server.wsUrl };
    },
    async activate() {
      if (!tech) throw new Error('not initialised');
      const ready = new Promise<void>((resolve) => tech?.once('ready', () => resolve()));
      await tech.activate();
      await ready;
      return null;
    },
    async ask(args) {
      const wanted = args.permissions as Permission[];
      for (const p of wanted) tech?.requestPermission(p);
      await until(() => wanted.every((p) => tech?.permissions.isGranted(p)), `granted: ${wanted.join(', ')}`, 15_000);
      return null;
    },
    async sendFile(args) {
      if (!tech) throw new Error('not initialised');
      const bytes = randomBytes(Number(args.size));
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const started = tech.sendFile(memorySource('link-down.bin', bytes), { sha256 });
      return { transferId: started.transferId, sha256 };
    },
    async stats() {
      return { ...common(), frames, permissions: tech?.permissions.snapshot() ?? null, engineClosed: tech?.closed ?? true };
    },
    async stop() {
      for (const sink of sinks) sink.stop();
      tech?.close();
      sig?.close();
      await server?.close();
      return null;
    },
  };
}

/** A sink that records every write, so a byte written twice or never shows. */
class CountingSink implements FileSink {
  readonly memory: MemorySink;
  written = 0;
  overlapping = 0;
  private covered: Uint8Array;

  constructor(size: number) {
    this.memory = new MemorySink(size);
    this.covered = new Uint8Array(size);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    for (let i = offset; i < offset + bytes.byteLength; i += 4096) if (this.covered[i]) this.overlapping++;
    this.covered.fill(1, offset, offset + bytes.byteLength);
    this.written += bytes.byteLength;
    await this.memory.write(offset, bytes);
  }

  finish(): Promise<{ savedAs?: string }> {
    return this.memory.finish();
  }

  abort(reason: string): Promise<void> {
    return this.memory.abort(reason);
  }
}

function customer(): Record<string, Handler> {
  let sig: SignalingClient | null = null;
  let cust: CustomerEngine | null = null;
  let framesSent = 0;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const prompts: string[] = [];
  const received: { name: string; bytes: number; sha256: string; written: number; overlapping: number; ok: boolean }[] = [];
  let sink: CountingSink | null = null;
  return {
    async init(args) {
      sig = new SignalingClient({ url: `${String(args.wsUrl)}/ws/customer`, role: 'customer', WebSocket: WS, client: 'agent', reconnect: RECONNECT });
      await sig.connect();
      cust = new CustomerEngine({
        signaling: sig,
        RTCPeerConnection: RTCPeerConnectionNode,
        name: 'Carl',
        client: 'agent',
        capabilities: { input: true, screens: true, clipboard: true, files: true },
        ask: async (permission) => {
          prompts.push(permission);
          return true;
        },
        video: {
          start: async () => {
            const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
            const width = 320;
            const height = 240;
            const data = new Uint8Array(width * height * 1.5);
            ticker = setInterval(() => {
              data.fill(framesSent % 255, 0, width * height);
              source.onFrame({ width, height, data });
              framesSent++;
            }, 1000 / FPS);
            return source.createTrack();
          },
          stop: (track) => {
            if (ticker) clearInterval(ticker);
            track.stop();
          },
        },
        input: { inject: () => undefined, releaseAll: () => undefined },
        files: {
          hasher: nodeHasher,
          sinkFactory: async (offer) => {
            sink = new CountingSink(offer.size);
            return sink;
          },
        },
      });
      watch(cust, sig);
      // What the sink holds when the receiver resumes: its verified chunks (writes are hashed in order before they count).
      cust.files.on('resumed', (t) => fileEvents.push({ event: 'resumed', fromChunk: t.fromChunk, at: Date.now(), sinkWritten: sink?.written ?? 0 }));
      cust.files.on('finished', (r) => {
        const bytes = sink?.memory.bytes() ?? new Uint8Array();
        received.push({ name: r.name, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), written: sink?.written ?? 0, overlapping: sink?.overlapping ?? 0, ok: r.ok });
      });
      await sig.request({ type: 'code.submit', code: String(args.code), client: 'agent' });
      return null;
    },
    async stats() {
      const granted = cust ? PERMISSIONS.filter((p) => cust?.permissions.isGranted(p)) : [];
      return { ...common(), framesSent, prompts, granted, received, signalingConnected: sig?.connected ?? false, engineClosed: cust?.closed ?? true };
    },
    async stop() {
      cust?.close();
      sig?.close();
      return null;
    },
  };
}

const handlers = role === 'technician' ? technician() : role === 'customer' ? customer() : null;
if (!handlers) {
  console.error(`usage: netns-peer.ts technician|customer (got ${String(role)})`);
  process.exit(2);
}
process.on('message', (raw) => {
  const req = raw as Request;
  const handler = handlers[req.cmd];
  if (!handler) {
    send({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
    return;
  }
  handler(req.args ?? {}).then(
    (value) => send({ id: req.id, ok: true, value }),
    (err: unknown) => send({ id: req.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ event: 'ready', data: { pid: process.pid } });
