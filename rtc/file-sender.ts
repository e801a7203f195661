import { encodeFileFrame } from '../protocol/file-frame.ts';
import type { FileMessage } from '../protocol/channels.ts';
import type { FilePort } from './file-channel-port.ts';
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
  progress(t: TransferInfo, bytes: number, rate: number, force: boolean): void;
  paused(t: TransferInfo): void;
  resumed(t: TransferInfo, fromChunk: number): void;
  finished(r: TransferResult): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FINAL: ReadonlySet<TransferState> = new Set(['done', 'failed']);

/** One outgoing file: hash, offer, paced frames, resume from the receiver's `fromChunk`. */
export class OutgoingTransfer {
  state: TransferState = 'hashing';
  readonly totalChunks: number;
  readonly chunkSize: number;
  readonly done: Promise<TransferResult>;
  private resolveDone!: (r: TransferResult) => void;
  private sha256: string | null;
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
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get info(): TransferInfo {
    return { transferId: this.transferId, direction: 'send', name: this.source.name, size: this.source.size, state: this.state };
  }

  get isFinal(): boolean {
    return FINAL.has(this.state);
  }

  /** Hashes the source (unless a digest was given), then offers. */
  async start(): Promise<void> {
    if (this.sha256 === null) {
      try {
        const hasher = this.ctx.opts.hasher(this.source.size);
        const step = 1024 * 1024;
        for (let offset = 0; offset < this.source.size; offset += step) {
          if (this.isFinal) return;
          const len = Math.min(step, this.source.size - offset);
          const bytes = await this.source.read(offset, len);
          if (bytes.byteLength !== len) throw new Error(`short read at ${offset}`);
          hasher.update(bytes);
        }
        this.sha256 = await hasher.digestHex();
      } catch (err) {
        this.fail('FILE_IO', `could not read ${this.source.name}: ${String(err)}`, false);
        return;
      }
    }
    if (this.isFinal) return;
    this.offer();
  }

  /** (Re)sends the offer on the current port, or waits paused for one. */
  offer(): void {
    if (this.isFinal || this.sha256 === null) return;
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
      sha256: this.sha256,
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
    if (this.isFinal || this.state === 'hashing' || this.state === 'paused') return;
    this.epoch++;
    this.clearCompleteTimer();
    this.state = 'paused';
    this.ctx.paused(this.info);
  }

  /** First chunk of the most recent accept, when it was a resume (0 otherwise). */
  private firstResumeChunk = 0;

  private async pump(epoch: number, port: FilePort): Promise<void> {
    const { highWaterMark, inputActiveMs, inputRecentMs, inputTrickleMs, inputWindowBytes, maxInFlightBytes, pollMs, stallMs } = this.ctx.opts;
    if (this.startChunk > 0) this.firstResumeChunk = this.startChunk;
    let lastMoveAt = Date.now();
    let lastAcked = this.ackedChunk;
    let lastSentAt = -Infinity;
    while (this.epoch === epoch && this.state === 'sending' && this.nextChunk < this.totalChunks) {
      if (!port.isOpen) return;
      const inFlight = (this.nextChunk - this.ackedChunk) * this.chunkSize;
      // Input first: while the technician's hand is on the remote screen, the file only trickles,
      // one chunk at a time; for a while after, little is queued ahead of the next input message.
      const sinceInput = port.msSinceInput ?? Infinity;
      const active = sinceInput < inputActiveMs;
      if (active && performance.now() - lastSentAt < inputTrickleMs) {
        await sleep(pollMs);
        lastMoveAt = Date.now();
        continue;
      }
      const window = active ? this.chunkSize : sinceInput < inputRecentMs ? Math.min(highWaterMark, inputWindowBytes) : highWaterMark;
      if (port.bufferedAmount >= window || inFlight >= maxInFlightBytes) {
        if (this.ackedChunk !== lastAcked) {
          lastAcked = this.ackedChunk;
          lastMoveAt = Date.now();
        } else if (Date.now() - lastMoveAt > stallMs) {
          this.cancel(`no progress for ${stallMs} ms`, 'FILE_IO');
          return;
        }
        await sleep(pollMs);
        continue;
      }
      const chunk = this.nextChunk;
      const offset = chunk * this.chunkSize;
      const len = Math.min(this.chunkSize, this.source.size - offset);
      let bytes: Uint8Array;
      try {
        bytes = await this.source.read(offset, len);
        if (bytes.byteLength !== len) throw new Error(`short read at ${offset}`);
      } catch (err) {
        this.cancel(`could not read ${this.source.name}: ${String(err)}`, 'FILE_IO');
        return;
      }
      if (this.epoch !== epoch || this.state !== 'sending' || !port.sendFrame(encodeFileFrame(this.transferId, chunk, bytes))) return;
      this.nextChunk = chunk + 1;
      lastMoveAt = Date.now();
      lastSentAt = performance.now();
    }
    if (this.epoch === epoch && this.state === 'sending') {
      this.state = 'verifying';
      this.watchCompletion(port, stallMs);
    }
  }

  /**
   * Every chunk is queued; `file.complete` is due once they have left and the
   * receiver verified the file. The last `highWaterMark` of the file may still
   * sit in the channel's send buffer: on a lossy path (SCTP's window small)
   * 1 MiB took longer than 30 s to leave (test/faults/loss.fault.ts, 10% loss).
   * So the transfer fails only after `stallMs` in which nothing moved: no ack
   * arrived and the send buffer did not shrink.
   */
  private watchCompletion(port: FilePort, stallMs: number): void {
    let lastAcked = this.ackedChunk;
    let lastBuffered = port.isOpen ? port.bufferedAmount : 0;
    let lastMoveAt = Date.now();
    this.completeTimer = setInterval(
      () => {
        const buffered = port.isOpen ? port.bufferedAmount : lastBuffered;
        if (this.ackedChunk !== lastAcked || buffered < lastBuffered) lastMoveAt = Date.now();
        lastAcked = this.ackedChunk;
        lastBuffered = buffered;
        if (Date.now() - lastMoveAt >= stallMs) this.cancel(`no file.complete within ${stallMs} ms`, 'FILE_IO');
      },
      Math.max(10, Math.min(1000, stallMs / 5)),
    );
  }

  private reportProgress(force: boolean): void {
    const bytes = Math.min(this.source.size, this.ackedChunk * this.chunkSize);
    const seconds = (Date.now() - this.startedAt) / 1000;
    const moved = Math.max(0, bytes - this.startChunk * this.chunkSize);
    this.ctx.progress(this.info, bytes, seconds > 0 ? moved / seconds : 0, force);
  }

  private fail(code: TransferFailureCode, message: string, tellPeer: boolean): void {
    if (this.isFinal) return;
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
