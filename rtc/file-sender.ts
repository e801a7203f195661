import { FILE_FRAME_HEADER_BYTES, encodeFileFrame, uuidToBytes } from '../protocol/file-frame.ts';
import type { FileMessage } from '../protocol/channels.ts';
import type { FilePort } from './file-channel-port.ts';
import { ReadAhead } from './file-read-ahead.ts';
import { StallWatch } from './file-stall.ts';
import type { Hasher } from './sha256.ts';
import type {
  FileSource,
  ResolvedFileTransferOptions,
  TransferFailureCode,
  TransferInfo,
  TransferResult,
  TransferState,
} from './file-types.ts';

/** What a transfer needs from the FileTransfer that owns it. */
export interface TransferContext {
  readonly opts: ResolvedFileTransferOptions;
  /** The current port if it is open. */
  port(): FilePort | null;
  /** `info` is called only when the event is emitted (progress is throttled; a receiver reports after every chunk). */
  progress(transferId: string, info: () => TransferInfo, bytes: number, rate: number, force: boolean): void;
  paused(t: TransferInfo): void;
  resumed(t: TransferInfo, fromChunk: number): void;
  finished(r: TransferResult): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long the pump waits on acks alone (FileTransferOptions.inputAcks) before it decides the receiver does not ack each chunk. */
const INPUT_ACK_WAIT_MS = 100;
/** Resolves on the port's next input (FilePort.onInput), or after `ms`. */
function nextInput(port: FilePort, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const off = port.onInput?.(done) ?? ((): void => undefined);
    const timer = setTimeout(done, ms);
    function done(): void {
      off();
      clearTimeout(timer);
      resolve();
    }
  });
}
const FINAL: ReadonlySet<TransferState> = new Set(['done', 'failed']);

/**
 * One outgoing file: offer, paced frames hashed as they are sent (for the
 * console's worker: each read-ahead block once its frames are sent, and the
 * digest started within the last two blocks, so it is ready about when the
 * last frame has crossed), the digest after the last frame (`file.digest`),
 * resume from the receiver's `fromChunk`.
 */
export class OutgoingTransfer {
  state: TransferState = 'hashing';
  readonly totalChunks: number;
  readonly chunkSize: number;
  readonly done: Promise<TransferResult>;
  private resolveDone!: (r: TransferResult) => void;
  private sha256: string | null;
  /** Hashes each chunk the first time it is read; null when the digest was given. */
  private hasher: Hasher | null = null;
  private hashedChunks = 0;
  private readonly reader: ReadAhead;
  private readonly idBytes: Uint8Array;
  /** Incremented on every accept/pause: a pump loop from an older epoch stops. */
  private epoch = 0;
  private nextChunk = 0;
  private ackedChunk = 0;
  private startChunk = 0;
  private startedAt = 0;
  private everAccepted = false;
  private completeTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: TransferContext,
    readonly transferId: string,
    private readonly source: FileSource,
    sha256?: string,
  ) {
    this.chunkSize = ctx.opts.chunkSize;
    this.totalChunks = Math.ceil(source.size / this.chunkSize);
    this.sha256 = sha256 ?? null;
    this.reader = new ReadAhead(source, this.chunkSize);
    this.idBytes = uuidToBytes(transferId);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get info(): TransferInfo {
    return { transferId: this.transferId, direction: 'send', name: this.source.name, size: this.source.size, state: this.state };
  }

  get isFinal(): boolean {
    return FINAL.has(this.state);
  }

  /**
   * Offers at once: the file is hashed while it is sent (each block once, as
   * its frames go), not read a first time for a digest before the offer.
   */
  async start(): Promise<void> {
    if (this.sha256 === null) this.hasher = this.ctx.opts.hasher(this.source.size);
    this.offer();
  }

  /** (Re)sends the offer on the current port, or waits paused for one. */
  offer(): void {
    if (this.isFinal) return;
    const port = this.ctx.port();
    if (!port) {
      this.state = 'paused';
      return;
    }
    this.epoch++;
    this.state = 'offered';
    const offer: FileMessage = {
      type: 'file.offer',
      transferId: this.transferId,
      name: this.source.name,
      size: this.source.size,
      ...(this.sha256 !== null ? { sha256: this.sha256 } : {}),
      chunkSize: this.chunkSize,
      ...(this.source.mime ? { mime: this.source.mime } : {}),
    };
    port.sendMessage(offer);
  }

  onAccept(fromChunk: number): void {
    if (this.state !== 'offered') return;
    const port = this.ctx.port();
    if (!port) return;
    if (fromChunk > this.totalChunks) {
      this.cancel(`accept from chunk ${fromChunk} but the file has ${this.totalChunks}`, 'FILE_REJECTED');
      return;
    }
    const epoch = ++this.epoch;
    if (this.everAccepted) this.ctx.resumed(this.info, fromChunk);
    this.everAccepted = true;
    this.state = 'sending';
    this.nextChunk = this.ackedChunk = this.startChunk = fromChunk;
    this.startedAt = Date.now();
    void this.pump(epoch, port);
  }

  onAck(nextChunk: number): void {
    if (this.state !== 'sending' && this.state !== 'verifying') return;
    if (nextChunk > this.nextChunk) {
      this.cancel(`ack for chunk ${nextChunk} not sent yet`, 'FILE_REJECTED');
      return;
    }
    if (nextChunk <= this.ackedChunk) return;
    this.ackedChunk = nextChunk;
    this.reportProgress(nextChunk === this.totalChunks);
  }

  onComplete(ok: boolean, sha256: string, savedAs: string | undefined): void {
    if (this.isFinal) return;
    if (ok && sha256 === this.sha256) {
      this.ackedChunk = this.totalChunks;
      this.reportProgress(true);
      this.finish({ ...this.info, state: 'done', ok: true, sha256, resumedFromChunk: this.firstResumeChunk, ...(savedAs !== undefined ? { savedAs } : {}) });
    } else {
      this.fail('FILE_HASH_MISMATCH', `the receiver computed ${sha256}, expected ${this.sha256 ?? '?'}`, false);
    }
  }

  onReject(code: string, message: string): void {
    const known: TransferFailureCode = code === 'PERMISSION_REQUIRED' || code === 'FILE_TOO_LARGE' || code === 'FILE_NAME_INVALID' || code === 'FILE_IO' ? code : 'FILE_REJECTED';
    this.fail(known, message || 'The file was refused.', false);
  }

  /** The peer cancelled. */
  /** The receiver gave up; with a code (DISK_FULL) the failure is shown as that. */
  onCancel(reason: string, code?: TransferFailureCode): void {
    this.fail(code ?? 'CANCELLED', code ? reason : `cancelled by the receiver: ${reason}`, false);
  }

  /** Cancels here and tells the peer. */
  cancel(reason: string, code: TransferFailureCode = 'CANCELLED'): void {
    this.fail(code, reason, true);
  }

  /** The channel went away: stop sending until `offer()` on a new one. */
  pause(): void {
    if (this.isFinal || this.state === 'paused') return;
    this.epoch++;
    this.clearCompleteTimer();
    this.state = 'paused';
    this.ctx.paused(this.info);
  }

  /** First chunk of the most recent accept, when it was a resume (0 otherwise). */
  private firstResumeChunk = 0;

  private async pump(epoch: number, port: FilePort): Promise<void> {
    const { highWaterMark, inputAcks, inputActiveMs, inputRecentMs, inputTrickleMs, inputWindowBytes, maxInFlightBytes, pollMs, stallMs } = this.ctx.opts;
    if (this.startChunk > 0) this.firstResumeChunk = this.startChunk;
    const watch = new StallWatch(port, stallMs);
    let lastSentAt = -Infinity;
    // Pacing by acks needs a receiver that acks each chunk while input is recent; one that does not (an older
    // version) would hold the file to a chunk per 250 ms, so after INPUT_ACK_WAIT_MS blocked on acks alone
    // this pump goes back to bufferedAmount only (as it does on a path slower than that per chunk).
    let ackPacing = inputAcks;
    let ackBlockedSince = -1;
    /** The pump waited for an input cue since its last chunk (FilePort.onInput). */
    let cued = false;
    while (this.epoch === epoch && this.state === 'sending' && this.nextChunk < this.totalChunks) {
      if (!port.isOpen) return;
      const inFlight = (this.nextChunk - this.ackedChunk) * this.chunkSize;
      // Input first: while the technician's hand is on the remote screen, the file only trickles,
      // one chunk at a time; for a while after, little is queued ahead of the next input message.
      const sinceInput = port.msSinceInput ?? Infinity;
      const active = sinceInput < inputActiveMs;
      // While active, a chunk goes right behind an input message, so it has the whole gap to the next one to cross:
      // sent at any moment, a chunk was in flight when 9-12% of moves were sent, and a move behind one waited 2.6-4.1 ms
      // at the median instead of 0.8-1.0; right behind a move, 2-3% (docs/performance-files.md, 2026-12-04). Due once inputTrickleMs passed since
      // the last chunk; then, with an onInput cue, it waits for the next input (at most inputTrickleMs more: input that
      // paused lets it go), and without one it goes at the first poll after an input that came since the last chunk.
      const sinceChunk = performance.now() - lastSentAt;
      const cue = port.onInput !== undefined;
      if (active && (sinceChunk < inputTrickleMs || (cue ? !cued : sinceInput >= sinceChunk))) {
        if (sinceChunk >= inputTrickleMs && cue) {
          void this.reader.chunk(this.nextChunk).catch(() => undefined); // Read while waiting, so the send is not.
          await nextInput(port, inputTrickleMs);
          cued = true;
        } else await sleep(pollMs);
        watch.moved();
        continue;
      }
      // Active: the next chunk only once the last one left the channel's queue (a slow path must not stack two ahead of input).
      const recent = sinceInput < inputRecentMs;
      const window = active ? 1 : recent ? Math.min(highWaterMark, inputWindowBytes) : highWaterMark;
      // What input really waits behind is what is unacknowledged (the receiver acks each chunk while input is recent):
      // while active, the next chunk once the last one arrived; while recent, at most inputWindowBytes beyond the ack.
      const inFlightCap = !ackPacing || !recent ? maxInFlightBytes : active ? 1 : Math.min(maxInFlightBytes, Math.max(inputWindowBytes, this.chunkSize));
      const buffered = port.bufferedAmount;
      if (buffered < window && inFlight < maxInFlightBytes && inFlight >= inFlightCap) {
        const now = performance.now();
        if (ackBlockedSince < 0) ackBlockedSince = now;
        else if (now - ackBlockedSince > INPUT_ACK_WAIT_MS) ackPacing = false;
      } else ackBlockedSince = -1;
      if (buffered >= window || inFlight >= inFlightCap) {
        if (watch.stalled(this.ackedChunk, buffered)) {
          this.cancel(`no progress for ${stallMs} ms on a connected path`, 'FILE_IO');
          return;
        }
        await sleep(pollMs);
        continue;
      }
      const chunk = this.nextChunk;
      let bytes: Uint8Array;
      try {
        // A receiver that already holds chunks from an earlier attempt (its partial file) starts past what this sender read.
        await this.hashBlocksBefore(this.reader.blockOf(chunk));
        bytes = await this.reader.chunk(chunk);
      } catch (err) {
        if (this.epoch !== epoch) return; // A newer pump took over (and may have handed the block this one read to the hasher).
        this.cancel(`could not read ${this.source.name}: ${String(err)}`, 'FILE_IO');
        return;
      }
      // Every frame is built in one reused buffer: the channel copies it on send (FilePort.sendFrame). A new 64 KiB
      // buffer per frame was page faults and zeroing on the Node sender's thread, and on the page `encodeFileFrame`
      // was its costliest stage after `send` (docs/performance.md, 2026-12-06).
      const frame = encodeFileFrame(this.idBytes, chunk, bytes, this.frameBuffer());
      if (this.epoch !== epoch || this.state !== 'sending' || !port.sendFrame(frame)) return;
      this.nextChunk = chunk + 1;
      // No hasher: the digest is known, already started (startDigestEarly), or none is asked for.
      if (this.hasher && !this.hasher.updateOwned) {
        // A hasher here (Node's, pure TS): each chunk as it is sent, so no 4 MiB hash stalls the agent's event loop
        // that dispatches input; its digest at the end is immediate.
        if (this.hashedChunks === chunk) {
          this.hasher.update(bytes);
          this.hashedChunks++;
        }
      } else if (this.hasher) {
        // A hasher that takes buffers (the console's worker): a block whose frames are all sent goes there whole
        // (one transfer per block, no copy); near the end the rest of the file goes at once and the digest starts
        // while the last frames are sent and the channel drains.
        const block = this.reader.blockOf(chunk);
        if (this.nextChunk === this.totalChunks || this.reader.blockOf(this.nextChunk) !== block) this.hashLoadedBlock(block);
        this.startDigestEarly();
      }
      watch.moved();
      lastSentAt = performance.now();
      cued = false;
    }
    if (this.epoch === epoch && this.state === 'sending' && this.sha256 === null) {
      try {
        await this.hashBlocksBefore(this.reader.blockOf(this.totalChunks - 1) + 1);
        this.digest ??= this.hasher?.digestHex() ?? null;
        this.hasher = null;
        this.sha256 = await this.digest;
      } catch (err) {
        if (this.epoch !== epoch) return;
        this.cancel(`could not read ${this.source.name}: ${String(err)}`, 'FILE_IO');
        return;
      }
      if (this.epoch !== epoch || this.state !== 'sending') return;
    }
    if (this.epoch === epoch && this.state === 'sending') {
      // The offer of this epoch may have gone without a digest (always, unless it was known before it).
      if (this.sha256 !== null) port.sendMessage({ type: 'file.digest', transferId: this.transferId, sha256: this.sha256 });
      this.state = 'verifying';
      // The receiver may still be far behind (up to maxInFlightBytes on a slow path): a stall, not a deadline, ends the wait.
      watch.moved();
      this.completeTimer = setInterval(() => {
        if (watch.stalled(this.ackedChunk, port.bufferedAmount)) this.cancel(`no ack or file.complete for ${stallMs} ms on a connected path`, 'FILE_IO');
      }, Math.min(1000, stallMs / 4));
    }
  }

  private reusedFrame: Uint8Array | null = null;

  /** The buffer every frame is built in (FilePort.sendFrame: the channel copies on send). */
  private frameBuffer(): Uint8Array {
    return (this.reusedFrame ??= new Uint8Array(FILE_FRAME_HEADER_BYTES + this.chunkSize));
  }

  /**
   * Hashes whatever of blocks before `block` is not hashed yet, reading them if they are not held (a resume past
   * them); each is let go once hashed, so a resume far into a file holds one block at a time.
   */
  private async hashBlocksBefore(block: number): Promise<void> {
    while (this.hasher && this.hashedChunks < this.totalChunks && this.reader.blockOf(this.hashedChunks) < block) {
      const b = this.reader.blockOf(this.hashedChunks);
      const bytes = await this.reader.block(b);
      if (this.reader.blockOf(this.hashedChunks) === b) this.hashBlock(b, bytes);
      this.reader.forget(b);
    }
  }

  /** Hashes the rest of block `block` (all its frames were sent) if it is the next the hash needs and is held. */
  private hashLoadedBlock(block: number): void {
    if (!this.hasher || this.hashedChunks >= this.totalChunks || this.reader.blockOf(this.hashedChunks) !== block) return;
    const bytes = this.reader.loaded(block);
    if (bytes) this.hashBlock(block, bytes);
  }

  /**
   * Feeds block `block`'s bytes from chunk `hashedChunks` on to the hash. A block that is the whole of its buffer
   * (a File's read) goes with Hasher.updateOwned, which may take the buffer, so the reader lets it go (a chunk of it
   * sent again is read again); other bytes, and any when `handOver` is false, go with `update`.
   */
  private hashBlock(block: number, bytes: Uint8Array, handOver = true): void {
    if (!this.hasher) return;
    const first = block * this.reader.blockChunks;
    const from = (this.hashedChunks - first) * this.chunkSize;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (handOver && whole && this.hasher.updateOwned) {
      this.reader.forget(block);
      this.hasher.updateOwned(from === 0 ? bytes : bytes.subarray(from));
    } else this.hasher.update(bytes.subarray(from));
    this.hashedChunks = Math.min(this.totalChunks, first + this.reader.blockChunks);
  }

  /** The digest, once asked of the hasher (startDigestEarly or the pump's end). */
  private digest: Promise<string> | string | null = null;

  /**
   * Within the last two blocks, once both are read: their unhashed bytes go to the hash (`update`: they are still
   * being sent from) and the digest starts, so it is ready about when the last frame has crossed instead of a
   * whole-file digest after it (WebCrypto cannot hash a stream: the console's worker digests at the end).
   */
  private startDigestEarly(): void {
    if (!this.hasher || this.digest !== null) return;
    const last = this.reader.blockOf(this.totalChunks - 1);
    const from = this.reader.blockOf(this.hashedChunks);
    if (last - this.reader.blockOf(this.nextChunk) > 1 || last - from > 1) return;
    const blocks: Uint8Array[] = [];
    for (let b = from; b <= last && this.hashedChunks < this.totalChunks; b++) {
      const bytes = this.reader.loaded(b);
      if (!bytes) return;
      blocks.push(bytes);
    }
    // Copied, not handed over: their frames are still being sent from them.
    for (const [i, bytes] of blocks.entries()) this.hashBlock(from + i, bytes, false);
    const digest = this.hasher.digestHex();
    this.hasher = null;
    if (typeof digest !== 'string') digest.catch(() => undefined); // Awaited at the pump's end, unless the transfer failed first.
    this.digest = digest;
  }

  private reportProgress(force: boolean): void {
    const bytes = Math.min(this.source.size, this.ackedChunk * this.chunkSize);
    const seconds = (Date.now() - this.startedAt) / 1000;
    const moved = Math.max(0, bytes - this.startChunk * this.chunkSize);
    this.ctx.progress(this.transferId, () => this.info, bytes, seconds > 0 ? moved / seconds : 0, force);
  }

  private fail(code: TransferFailureCode, message: string, tellPeer: boolean): void {
    if (this.isFinal) return;
    this.hasher?.dispose?.();
    this.hasher = null;
    if (tellPeer) this.ctx.port()?.sendMessage({ type: 'file.cancel', transferId: this.transferId, reason: message.slice(0, 200) });
    this.finish({ ...this.info, state: 'failed', ok: false, code, message });
  }

  private finish(result: TransferResult): void {
    this.epoch++;
    this.clearCompleteTimer();
    this.state = result.ok ? 'done' : 'failed';
    const final = { ...result, state: this.state };
    this.ctx.finished(final);
    this.resolveDone(final);
  }

  private clearCompleteTimer(): void {
    if (this.completeTimer) clearInterval(this.completeTimer);
    this.completeTimer = null;
  }
}
