import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Probes a TURN relay with real WebRTC peers: gathers candidates, connects two
 * peers relay-only through it and pushes data across. Used by `turn/check.ts`
 * (self-hosters), the TURN tests and the benchmark. The RTCPeerConnection
 * constructor is injected (`@roamhq/wrtc` in Node).
 */
export type PeerConnectionCtor = new (config?: RTCConfiguration) => RTCPeerConnection;

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface GatherResult {
  /** Candidate lines (`candidate:... typ relay ...`). */
  candidates: string[];
  /** Types seen, e.g. ['relay']. */
  types: CandidateType[];
  /** `icecandidateerror` events: the TURN server's refusals show up here (e.g. 401). */
  errors: { url: string; errorCode: number; errorText: string }[];
  /** Whether gathering completed before the timeout. */
  complete: boolean;
}

export function candidateType(line: string): CandidateType | undefined {
  const m = / typ (host|srflx|prflx|relay)\b/.exec(line);
  return m?.[1] as CandidateType | undefined;
}

/** Gathers ICE candidates with `config` (bounded by timeoutMs) on a throwaway connection. */
export async function gatherCandidates(Ctor: PeerConnectionCtor, config: RTCConfiguration, timeoutMs = 8000): Promise<GatherResult> {
  const pc = new Ctor(config);
  const result: GatherResult = { candidates: [], types: [], errors: [], complete: false };
  try {
    const done = new Promise<void>((resolve) => {
      pc.onicecandidate = (ev) => {
        if (!ev.candidate) {
          result.complete = true;
          resolve();
          return;
        }
        if (ev.candidate.candidate === '') return;
        result.candidates.push(ev.candidate.candidate);
        const t = candidateType(ev.candidate.candidate);
        if (t && !result.types.includes(t)) result.types.push(t);
      };
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') {
          result.complete = true;
          resolve();
        }
      };
    });
    pc.addEventListener('icecandidateerror', (ev) => {
      const e = ev;
      result.errors.push({ url: e.url, errorCode: e.errorCode, errorText: e.errorText });
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([done, sleep(timeoutMs)]);
  } finally {
    pc.close();
  }
  return result;
}

export interface Pair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** Negotiated data channel (id 0) on each side. */
  dcA: RTCDataChannel;
  dcB: RTCDataChannel;
  close(): void;
}

export interface PairOptions {
  /** Called on `a` before the offer (e.g. to add a video track). */
  beforeOffer?: (a: RTCPeerConnection, b: RTCPeerConnection) => void;
  timeoutMs?: number;
}

/** Connects two peers in this process (in-memory signaling) and waits for the data channel to open. */
export async function connectPair(Ctor: PeerConnectionCtor, configA: RTCConfiguration, configB: RTCConfiguration, opts: PairOptions = {}): Promise<Pair> {
  const a = new Ctor(configA);
  const b = new Ctor(configB);
  const close = (): void => {
    a.close();
    b.close();
  };
  try {
    const dcA = a.createDataChannel('probe', { negotiated: true, id: 0, ordered: true });
    const dcB = b.createDataChannel('probe', { negotiated: true, id: 0, ordered: true });
    dcA.binaryType = 'arraybuffer';
    dcB.binaryType = 'arraybuffer';
    a.onicecandidate = (ev) => {
      if (ev.candidate) void b.addIceCandidate(ev.candidate).catch(() => undefined);
    };
    b.onicecandidate = (ev) => {
      if (ev.candidate) void a.addIceCandidate(ev.candidate).catch(() => undefined);
    };
    opts.beforeOffer?.(a, b);
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    while (Date.now() < deadline && !(dcA.readyState === 'open' && dcB.readyState === 'open')) {
      if (a.connectionState === 'failed' || b.connectionState === 'failed') break;
      await sleep(20);
    }
    if (dcA.readyState !== 'open' || dcB.readyState !== 'open') {
      throw new Error(`peers did not connect: a=${a.connectionState}/${a.iceConnectionState}, b=${b.connectionState}/${b.iceConnectionState}`);
    }
    return { a, b, dcA, dcB, close };
  } catch (err) {
    close();
    throw err;
  }
}

export interface SelectedPath {
  local: CandidateType | undefined;
  remote: CandidateType | undefined;
  /** 'relayed' when either end of the selected pair is a relay candidate. */
  path: 'direct' | 'relayed' | 'unknown';
  localProtocol?: string;
  relayProtocol?: string;
}

/** The selected candidate pair from getStats (RTCTransportStats.selectedCandidatePairId, else the nominated succeeded pair). */
export async function selectedPath(pc: RTCPeerConnection): Promise<SelectedPath> {
  const stats = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  stats.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
  let pair: Record<string, unknown> | undefined;
  for (const s of byId.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = byId.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    for (const s of byId.values()) {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated === true) pair = s;
    }
  }
  const local = pair ? byId.get(pair.localCandidateId as string) : undefined;
  const remote = pair ? byId.get(pair.remoteCandidateId as string) : undefined;
  const lt = local?.candidateType as CandidateType | undefined;
  const rt = remote?.candidateType as CandidateType | undefined;
  const path = !lt || !rt ? 'unknown' : lt === 'relay' || rt === 'relay' ? 'relayed' : 'direct';
  return {
    local: lt,
    remote: rt,
    path,
    localProtocol: local?.protocol as string | undefined,
    relayProtocol: local?.relayProtocol as string | undefined,
  };
}

export interface TransferResult {
  bytes: number;
  ms: number;
  /** MB/s (10^6 bytes per second). */
  mbPerSec: number;
  sha256Sent: string;
  sha256Received: string;
}

/**
 * Sends `totalBytes` of random data from `from` to `to` in `chunkBytes` messages,
 * pacing by polling bufferedAmount (bufferedamountlow never fires in @roamhq/wrtc),
 * and returns both SHA-256 digests. Bounded by timeoutMs.
 */
export async function transfer(from: RTCDataChannel, to: RTCDataChannel, totalBytes: number, chunkBytes = 64 * 1024, timeoutMs = 30_000): Promise<TransferResult> {
  const sent = createHash('sha256');
  const received = createHash('sha256');
  let got = 0;
  const deadline = Date.now() + timeoutMs;
  const allIn = new Promise<void>((resolve) => {
    to.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
      const buf = new Uint8Array(ev.data);
      received.update(buf);
      got += buf.byteLength;
      if (got >= totalBytes) resolve();
    };
  });
  const start = performance.now();
  let put = 0;
  while (put < totalBytes && Date.now() < deadline) {
    if (from.bufferedAmount > 1024 * 1024) {
      await sleep(1);
      continue;
    }
    const n = Math.min(chunkBytes, totalBytes - put);
    const chunk = randomBytes(n);
    sent.update(chunk);
    from.send(chunk);
    put += n;
  }
  await Promise.race([allIn, sleep(Math.max(0, deadline - Date.now()))]);
  const ms = performance.now() - start;
  return {
    bytes: got,
    ms,
    mbPerSec: got / 1e6 / (ms / 1000),
    sha256Sent: sent.digest('hex'),
    sha256Received: received.digest('hex'),
  };
}
