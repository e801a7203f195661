import type { FileMessage } from '../protocol/channels.ts';
import { encodeChannelMessage } from './channel-codec.ts';

/** What FileTransfer needs from the files channel; PeerSession provides one per connection. */
export interface FilePort {
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
  /** Milliseconds since input (pointer, keys) last crossed the connection; absent: no input on it. */
  readonly msSinceInput?: number;
  /**
   * Input (pointer, keys) just crossed the connection; absent: the sender polls `msSinceInput`. While input is active
   * the sender sends its next chunk right behind an input message (rtc/file-sender.ts), so the chunk has the whole gap
   * to the next one to cross.
   */
  onInput?(handler: () => void): () => void;
  /** False while the connection under the channel is not `connected` (ICE lost the path); absent: assume up. */
  readonly pathUp?: boolean;
  sendMessage(msg: FileMessage): boolean;
  /**
   * Sends without changing `frame` and keeps no reference to it (a data channel's `send` copies it): once it returns,
   * the sender builds the next frame in the same buffer (checked in Chromium 156: 200 frames sent from one buffer
   * rewritten after each `send`, 13 MiB queued, all arrived intact; docs/performance.md, 2026-12-06).
   */
  sendFrame(frame: Uint8Array): boolean;
  onMessage(handler: (msg: FileMessage) => void): () => void;
  /** A received frame; its buffer is the receiver's alone (its hasher may take it once the sink has written it). */
  onFrame(handler: (frame: Uint8Array) => void): () => void;
  /** The channel or its connection closed; the port is dead. */
  onClose(handler: () => void): () => void;
}

type Source = {
  on(type: 'files', h: (m: FileMessage) => void): () => void;
  on(type: 'files.frame', h: (f: Uint8Array) => void): () => void;
  on(type: 'channel.close', h: (name: string) => void): () => void;
  on(type: 'closed', h: () => void): () => void;
  on(type: 'input.crossed', h: () => void): () => void;
  readonly msSinceInput?: number;
  readonly connectionState?: RTCPeerConnectionState;
};

/** How stale the native `bufferedAmount` reading may get (see FileChannelPort). */
const BUFFERED_REFRESH_MS = 1;

/**
 * The files data channel of one PeerSession as a FilePort.
 *
 * `isOpen` is asked several times per 64 KiB frame (the sender's pump, every
 * send, every ack). In @roamhq/wrtc `readyState` is a synchronous call into
 * the native network thread, ~50 µs each (as costly as `bufferedAmount`), so
 * the port reads it only until it first reports `open` and then trusts the
 * close events; a send that still races a closing channel returns false.
 * `bufferedAmount` likewise reads the native value at most once per
 * millisecond and adds what this port sent since: never below the true
 * value (the queue only drains between reads), so back-pressure against a
 * high-water mark stays as strict while most per-frame native reads go.
 */
export class FileChannelPort implements FilePort {
  private seenOpen = false;
  private closed = false;
  /** The last native `bufferedAmount`, when it was read, and bytes sent since. */
  private buffered = 0;
  private bufferedAt = -Infinity;
  private sentSince = 0;

  constructor(
    private readonly channel: RTCDataChannel,
    private readonly source: Source,
  ) {
    source.on('channel.close', (name) => {
      if (name === 'files') this.closed = true;
    });
    source.on('closed', () => (this.closed = true));
  }

  get isOpen(): boolean {
    if (this.closed) return false;
    if (!this.seenOpen) this.seenOpen = this.channel.readyState === 'open';
    return this.seenOpen;
  }

  get bufferedAmount(): number {
    const now = performance.now();
    if (now - this.bufferedAt >= BUFFERED_REFRESH_MS) {
      this.buffered = this.channel.bufferedAmount;
      this.bufferedAt = now;
      this.sentSince = 0;
    }
    return this.buffered + this.sentSince;
  }

  get msSinceInput(): number {
    return this.source.msSinceInput ?? Infinity;
  }

  /** Read only by stall checks (a native call, like readyState). */
  get pathUp(): boolean {
    const state = this.source.connectionState;
    return state === undefined || state === 'connected';
  }

  sendMessage(msg: FileMessage): boolean {
    const text = encodeChannelMessage('files', msg);
    if (!this.isOpen) return false;
    // At most 3 UTF-8 bytes per UTF-16 unit: an upper bound, as the estimate needs.
    return this.trySend(() => this.channel.send(text), text.length * 3);
  }

  sendFrame(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    return this.trySend(() => this.channel.send(frame as Uint8Array<ArrayBuffer>), frame.byteLength);
  }

  private trySend(send: () => void, bytes: number): boolean {
    try {
      send();
      this.sentSince += bytes;
      return true;
    } catch {
      // Closing under us (the close event is on its way) or closed: not sent.
      if (this.channel.readyState !== 'open') this.closed = true;
      return false;
    }
  }

  onMessage(handler: (msg: FileMessage) => void): () => void {
    return this.source.on('files', handler);
  }

  onFrame(handler: (frame: Uint8Array) => void): () => void {
    return this.source.on('files.frame', handler);
  }

  onInput(handler: () => void): () => void {
    return this.source.on('input.crossed', handler);
  }

  onClose(handler: () => void): () => void {
    const offA = this.source.on('channel.close', (name) => {
      if (name === 'files') handler();
    });
    const offB = this.source.on('closed', () => handler());
    return () => {
      offA();
      offB();
    };
  }
}
