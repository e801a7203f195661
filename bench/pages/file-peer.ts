/**
 * One end of the files benchmark, the same code in Node (@roamhq/wrtc) and in
 * Chromium (bundled by bench/files.ts with esbuild): a PeerSession with the
 * product's channels, the product's FileTransfer on its files channel, and
 * one extra negotiated data channel for the bare throughput beside it.
 */
import { PeerSession, type RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import type { FileSource } from '../../rtc/file-types.ts';
import type { HasherFactory } from '../../rtc/sha256.ts';
import type { SignalData } from '../../protocol/ice.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';

/** What the sender's pump saw during the last outgoing transfer (bench evidence, see docs/performance-files.md). */
export type PumpStats = {
  /** Reads of bufferedAmount by the pump. */
  polls: number;
  /** Reads that found the channel at or over the high-water mark (the pump then sleeps). */
  overMark: number;
  /** Reads under the mark with the in-flight window full (blocked on acks). */
  windowFull: number;
  /** Over-mark reads followed, after the sleep, by a native bufferedAmount below one chunk: the queue ran dry while the pump slept. */
  ranDry: number;
  /** Milliseconds from an over-mark read to the next read (time asleep), summed, and the largest. */
  sleptMs: number;
  maxSleepMs: number;
  frames: number;
  acks: number;
};

/** How an end turns bytes into what its product code offers: a source and, if the end computes it up front, the SHA-256. */
export type PrepareFile = (name: string, bytes: Uint8Array) => Promise<{ source: FileSource; sha256?: string }>;

/** The bytes every bench file holds (the bench writes the same to disk for a disk-backed File). */
export function benchBytes(bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4096) data[i] = (i >>> 12) & 0xff;
  return data;
}

const RAW_ID = 100;
const MESSAGE = 64 * 1024;
const HIGH_WATER = 1024 * 1024;

export class FilePeer {
  readonly peer: PeerSession;
  readonly files: FileTransfer;
  readonly raw: RTCDataChannel;
  private rawReceived = 0;
  /** Wall time (ms) when the last incoming offer was accepted here: the sender's delay before its first frame. */
  lastIncomingAt = 0;
  /** Wall time (ms) when the last byte of the last incoming file was written here (before the digest and file.complete). */
  lastWrittenAt = 0;
  private rawWaiter: { bytes: number; resolve: (at: number) => void } | null = null;
  /** The pump's view during the last outgoing transfer (reset by sendFile). */
  pump: PumpStats = FilePeer.emptyStats();

  private static emptyStats(): PumpStats {
    return { polls: 0, overMark: 0, windowFull: 0, ranDry: 0, sleptMs: 0, maxSleepMs: 0, frames: 0, acks: 0 };
  }

  constructor(
    ctor: RTCPeerConnectionCtor,
    polite: boolean,
    sendSignal: (d: SignalData) => void,
    hasher?: HasherFactory,
    private readonly prepare: PrepareFile = async (name, bytes) => ({ source: memorySource(name, bytes) }),
  ) {
    this.peer = new PeerSession({ RTCPeerConnection: ctor, ice: { iceServers: [], iceTransportPolicy: 'all', turnConfigured: false }, polite, sendSignal });
    this.raw = this.peer.pc.createDataChannel('bench-raw', { negotiated: true, id: RAW_ID, ordered: true });
    this.raw.binaryType = 'arraybuffer';
    this.raw.onmessage = (e: MessageEvent) => {
      this.rawReceived += (e.data as ArrayBuffer).byteLength;
      if (this.rawWaiter && this.rawReceived >= this.rawWaiter.bytes) {
        this.rawWaiter.resolve(Date.now());
        this.rawWaiter = null;
      }
    };
    this.files = new FileTransfer({
      ...(hasher ? { hasher } : {}),
      // Verified by the protocol (SHA-256 over what arrived); the bytes themselves are dropped.
      sinkFactory: async () => ({ write: async () => undefined, finish: async () => ({}), abort: async () => undefined }),
    });
  }

  async open(): Promise<void> {
    this.files.on('incoming', () => (this.lastIncomingAt = Date.now()));
    this.files.on('progress', (p) => p.direction === 'receive' && p.bytes === p.total && (this.lastWrittenAt = Date.now()));
    await this.peer.waitOpen();
    for (let i = 0; i < 1000 && this.raw.readyState !== 'open'; i++) await new Promise((r) => setTimeout(r, 10));
    this.files.attach(this.countingPort(this.peer.filesPort(), this.peer.channel('files')));
  }

  /** The files port, counting what the sender's pump sees (one extra native bufferedAmount read after each sleep). */
  private countingPort(port: FilePort, channel: RTCDataChannel): FilePort {
    const { highWaterMark, maxInFlightBytes, chunkSize } = this.files.opts;
    let lastAck = 0;
    let sleptAt = -1;
    port.onMessage((m) => {
      if (m.type === 'file.ack') {
        lastAck = m.nextChunk;
        this.pump.acks++;
      }
    });
    const stats = (): PumpStats => this.pump;
    return {
      get isOpen() {
        return port.isOpen;
      },
      get msSinceInput() {
        return port.msSinceInput;
      },
      get pathUp() {
        return port.pathUp;
      },
      get bufferedAmount() {
        const s = stats();
        const now = performance.now();
        if (sleptAt >= 0) {
          const slept = now - sleptAt;
          s.sleptMs += slept;
          s.maxSleepMs = Math.max(s.maxSleepMs, slept);
          if (channel.bufferedAmount < chunkSize) s.ranDry++;
          sleptAt = -1;
        }
        const b = port.bufferedAmount;
        s.polls++;
        if (b >= highWaterMark) {
          s.overMark++;
          sleptAt = now;
        } else if ((s.frames - lastAck) * chunkSize >= maxInFlightBytes) {
          s.windowFull++;
          sleptAt = now;
        }
        return b;
      },
      sendMessage: (m) => port.sendMessage(m),
      sendFrame: (f) => {
        stats().frames++;
        return port.sendFrame(f);
      },
      onMessage: (h) => port.onMessage(h),
      onFrame: (h) => port.onFrame(h),
      onClose: (h) => port.onClose(h),
    };
  }

  handleSignal(d: SignalData): Promise<void> {
    return this.peer.handleSignal(d);
  }

  /** Resolves with the wall time when `bytes` more raw bytes have arrived. */
  expectRaw(bytes: number): Promise<number> {
    this.rawReceived = 0;
    return new Promise((resolve) => (this.rawWaiter = { bytes, resolve }));
  }

  /** Sends `bytes` in 64 KiB messages, keeping at most 1 MiB buffered (polled every 1 ms, as the file protocol must). */
  async sendRaw(bytes: number, messageBytes = MESSAGE): Promise<number> {
    const started = Date.now();
    const chunk = new Uint8Array(messageBytes);
    for (let sent = 0; sent < bytes; ) {
      while (this.raw.bufferedAmount > HIGH_WATER) await new Promise((r) => setTimeout(r, 1));
      this.raw.send(chunk);
      sent += messageBytes;
    }
    return started;
  }

  /** Sends `bytes` of generated data with the product's file protocol; resolves with [start wall ms, end wall ms, ok]. */
  async sendFile(bytes: number): Promise<[number, number, boolean]> {
    const data = benchBytes(bytes);
    // The File (the page copies the bytes into Chromium's blob store) exists before the user sends it: not timed.
    const { source, sha256 } = await this.prepare('bench.bin', data);
    const started = Date.now();
    this.pump = FilePeer.emptyStats();
    const result = await this.files.send(source, sha256 ? { sha256 } : {}).done;
    return [started, Date.now(), result.ok];
  }

  close(): void {
    this.files.close();
    this.peer.close();
  }
}
