import wrtc from '@roamhq/wrtc';
import type { IceConfig, SignalData } from '../protocol/ice.ts';
import { PeerSession } from '../rtc/peer-session.ts';
import type { PeerSessionOptions, RTCPeerConnectionCtor } from '../rtc/peer-session.ts';

export const RTCPeerConnectionNode = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;
export const LOOPBACK_ICE: IceConfig = { iceServers: [], iceTransportPolicy: 'all', turnConfigured: false };

export type Pair = { tech: PeerSession; cust: PeerSession; signals: { toTech: SignalData[]; toCust: SignalData[] }; close(): void };

/**
 * Two real PeerSessions in one process, signals relayed with an async hop
 * (like a server would), technician impolite, customer polite.
 */
export function makePair(extra: Partial<PeerSessionOptions> = {}, delayMs = 1): Pair {
  const signals = { toTech: [] as SignalData[], toCust: [] as SignalData[] };
  let tech: PeerSession | null = null;
  let cust: PeerSession | null = null;
  const relay = (to: () => PeerSession | null, log: SignalData[]) => (data: SignalData) => {
    log.push(data);
    // A JSON round trip, as the server would do.
    const copy = JSON.parse(JSON.stringify(data)) as SignalData;
    setTimeout(() => {
      const peer = to();
      if (peer && !peer.closed) void peer.handleSignal(copy);
    }, delayMs);
  };
  tech = new PeerSession({ RTCPeerConnection: RTCPeerConnectionNode, ice: LOOPBACK_ICE, polite: false, sendSignal: relay(() => cust, signals.toCust), ...extra });
  cust = new PeerSession({ RTCPeerConnection: RTCPeerConnectionNode, ice: LOOPBACK_ICE, polite: true, sendSignal: relay(() => tech, signals.toTech), ...extra });
  const t = tech;
  const c = cust;
  return {
    tech: t,
    cust: c,
    signals,
    close() {
      t.close();
      c.close();
    },
  };
}

/**
 * The mime type of the codec of the first video RTP stream of `type` in a getStats report ('' before there is one);
 * `decoded`: only an inbound stream that has decoded a frame.
 */
export async function videoStreamCodec(getStats: () => Promise<RTCStatsReport>, type: 'outbound-rtp' | 'inbound-rtp', options: { decoded?: boolean } = {}): Promise<string> {
  const report = await getStats();
  let codecId: string | undefined;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === type && s.kind === 'video' && typeof s.codecId === 'string' && (!options.decoded || Number(s.framesDecoded) > 0)) codecId ??= s.codecId;
  });
  return codecId ? ((report.get(codecId) as { mimeType?: string } | undefined)?.mimeType ?? '') : '';
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function nextEvent<T>(subscribe: (h: (v: T) => void) => () => void, timeoutMs = 10_000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}
