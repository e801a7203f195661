/** What the UIs show about the connection, read from `getStats()`. */
export type ConnectionFacts = {
  /** 'relayed' when either end of the selected pair is a TURN relay candidate. */
  path: 'direct' | 'relayed' | 'unknown';
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  /** 'udp' | 'tcp' of the local candidate. */
  protocol: string | null;
  /** Seconds, from the selected candidate pair. */
  roundTripTime: number | null;
  video: {
    framesPerSecond: number | null;
    /** Bits per second since the previous call (null on the first call). */
    bitrate: number | null;
    framesDecoded: number | null;
    frameWidth: number | null;
    frameHeight: number | null;
  } | null;
};

type Stat = Record<string, unknown> & { id: string; type: string; timestamp?: number };
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Keeps the previous sample so bitrate can come from deltas. */
export class ConnectionFactsReader {
  private last: { bytes: number; at: number } | null = null;

  async read(pc: RTCPeerConnection): Promise<ConnectionFacts> {
    const report = await pc.getStats();
    const stats = new Map<string, Stat>();
    report.forEach((value: unknown) => {
      const s = value as Stat;
      stats.set(s.id, s);
    });
    let pair: Stat | undefined;
    for (const s of stats.values()) {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = stats.get(s.selectedCandidatePairId);
    }
    if (!pair) {
      for (const s of stats.values()) {
        if (s.type !== 'candidate-pair' || s.state !== 'succeeded') continue;
        if (s.selected === true || s.nominated === true || !pair) pair = s;
      }
    }
    const local = pair ? stats.get(String(pair.localCandidateId)) : undefined;
    const remote = pair ? stats.get(String(pair.remoteCandidateId)) : undefined;
    const localType = str(local?.candidateType);
    const remoteType = str(remote?.candidateType);
    const path: ConnectionFacts['path'] =
      !localType || !remoteType ? 'unknown' : localType === 'relay' || remoteType === 'relay' ? 'relayed' : 'direct';

    let video: ConnectionFacts['video'] = null;
    for (const s of stats.values()) {
      if (s.type !== 'inbound-rtp' || (s.kind ?? s.mediaType) !== 'video') continue;
      const bytes = num(s.bytesReceived);
      const at = num(s.timestamp) ?? Date.now();
      let bitrate: number | null = null;
      if (bytes !== null && this.last && at > this.last.at) {
        bitrate = Math.round(((bytes - this.last.bytes) * 8 * 1000) / (at - this.last.at));
      }
      if (bytes !== null) this.last = { bytes, at };
      video = {
        framesPerSecond: num(s.framesPerSecond),
        bitrate,
        framesDecoded: num(s.framesDecoded),
        frameWidth: num(s.frameWidth),
        frameHeight: num(s.frameHeight),
      };
      break;
    }
    return {
      path,
      localCandidateType: localType,
      remoteCandidateType: remoteType,
      protocol: str(local?.protocol),
      roundTripTime: num(pair?.currentRoundTripTime),
      video,
    };
  }
}
