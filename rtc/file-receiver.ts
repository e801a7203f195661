import type { FileFrame } from '../protocol/file-frame.ts';
import type { TransferContext } from './file-sender.ts';
import type { FileOffer, FileSink, TransferFailureCode, TransferInfo, TransferResult, TransferState } from './file-types.ts';
import type { Hasher } from './sha256.ts';

/** The receiver acks at least this often while chunks arrive (acks are the sender's sign of progress). */
const ACK_MAX_INTERVAL_MS = 250;

/** One incoming file: ordered writes, running SHA-256, acks, resume from the last verified chunk. */
export class IncomingTransfer {
  state: TransferState = 'offered';
  readonly totalChunks: number;
  private sink: FileSink | null = null;
  private readonly hasher: Hasher;
  /** The next chunk index a frame must carry. */
  private expected = 0;
  /** Chunks written and hashed (the "verified" count sent as fromChunk / nextChunk). */
  private written = 0;
  private queuedBytes = 0;
  private writeChain: Promise<void> = Promise.resolve();
  private startChunk = 0;
  private startedAt = 0;
  private firstResumeChunk = 0;
  private lastFrameAt = 0;
  private lastAckAt = 0;
  /** The sender's digest: from the offer, or from `file.digest` after the last frame. */
  private expectedSha256: string | null;

  constructor(
    private readonly ctx: TransferContext,
    readonly offer: FileOffer,
  ) {
    this.totalChunks = Math.ceil(offer.size / offer.chunkSize);
    this.hasher = ctx.opts.hasher(offer.size);
    this.expectedSha256 = offer.sha256 ?? null;
  }

  get transferId(): string {
    return this.offer.transferId;
  }

  get info(): TransferInfo {
    return { transferId: this.transferId, direction: 'receive', name: this.offer.name, size: this.offer.size, state: this.state };
  }

  get isFinal(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** Whether a re-offer describes the same file (a digest, where both know one, must match too). */
  sameFile(offer: FileOffer): boolean {
    const digestsAgree = offer.sha256 === undefined || this.expectedSha256 === null || offer.sha256 === this.expectedSha256;
    return offer.name === this.offer.name && offer.size === this.offer.size && offer.chunkSize === this.offer.chunkSize && digestsAgree;
  }

  /** The sender's digest arrived (after its last frame); verifies if every chunk is written. */
  onDigest(sha256: string): void {
    if (this.isFinal) return;
    if (this.expectedSha256 !== null && this.expectedSha256 !== sha256) {
      this.cancel(`the sender's digest changed from ${this.expectedSha256} to ${sha256}`, 'FILE_REJECTED');
      return;
    }
    this.expectedSha256 = sha256;
    if (this.written === this.totalChunks) void this.verify();
  }

  /** Takes the sink, re-hashes what it already holds, and accepts. Returns the chunk it accepted from. */
  async open(sink: FileSink): Promise<number> {
    this.sink = sink;
    const committed = Math.min(sink.committedChunks ?? 0, this.totalChunks);
    if (committed > 0 && sink.read) {
      for (let c = 0; c < committed; c++) {
        const offset = c * this.offer.chunkSize;
        const len = this.chunkBytes(c);
        const bytes = await sink.read(offset, len);
        if (bytes.byteLength !== len) break;
        this.hasher.update(bytes);
        this.written = c + 1;
      }
      this.firstResumeChunk = this.written;
    }
    this.accept();
    return this.written;
  }

  /** The sender offered the same transfer again (after a reconnect): accept from the last verified chunk. */
  async resume(offer: FileOffer): Promise<number> {
    if (this.isFinal) return this.written;
    if (offer.sha256 !== undefined) this.expectedSha256 = offer.sha256;
    this.state = 'paused';
    await this.writeChain;
    if (this.isFinal) return this.written;
    this.firstResumeChunk = this.written;
    this.ctx.resumed(this.info, this.written);
    this.accept();
    return this.written;
  }

  pause(): void {
    if (this.isFinal || this.state === 'paused') return;
    this.state = 'paused';
    this.ctx.paused(this.info);
  }

  onFrame(frame: FileFrame): void {
    if (this.state !== 'receiving') {
      this.cancel(`unexpected chunk ${frame.chunk} while ${this.state}`, 'FILE_REJECTED');
      return;
    }
    if (frame.chunk !== this.expected) {
      this.cancel(`out-of-order chunk ${frame.chunk}, expected ${this.expected}`, 'FILE_REJECTED');
      return;
    }
    const want = this.chunkBytes(frame.chunk);
    if (frame.chunk >= this.totalChunks || frame.payload.byteLength !== want) {
      this.cancel(`chunk ${frame.chunk} has ${frame.payload.byteLength} bytes, expected ${frame.chunk >= this.totalChunks ? 0 : want}`, 'FILE_REJECTED');
      return;
    }
    this.expected++;
    this.queuedBytes += want;
    this.lastFrameAt = Date.now();
    if (this.queuedBytes > 2 * this.ctx.opts.maxInFlightBytes + want) {
      this.cancel('the sender ignores flow control', 'FILE_REJECTED');
      return;
    }
    const payload = frame.payload;
    this.writeChain = this.writeChain.then(() => this.write(frame.chunk, payload));
  }

  onCancel(reason: string, code?: TransferFailureCode): void {
    void this.fail(code ?? 'CANCELLED', code ? reason : `cancelled by the sender: ${reason}`, false);
  }

  cancel(reason: string, code: TransferFailureCode = 'CANCELLED'): void {
    void this.fail(code, reason, true);
  }

  /** Milliseconds since the last frame (for stall checks). */
  get idleMs(): number {
    return Date.now() - this.lastFrameAt;
  }

  private accept(): void {
    const port = this.ctx.port();
    if (!port) {
      this.state = 'paused';
      return;
    }
    this.state = 'receiving';
    this.expected = this.startChunk = this.written;
    this.startedAt = this.lastFrameAt = Date.now();
    port.sendMessage({ type: 'file.accept', transferId: this.transferId, fromChunk: this.written });
    if (this.written === this.totalChunks) void this.verify();
  }

  private chunkBytes(chunk: number): number {
    return Math.min(this.offer.chunkSize, this.offer.size - chunk * this.offer.chunkSize);
  }

  private async write(chunk: number, payload: Uint8Array): Promise<void> {
    if (this.isFinal || !this.sink) return;
    try {
      await this.sink.write(chunk * this.offer.chunkSize, payload);
    } catch (err) {
      await this.failIo(err, 'write');
      return;
    }
    if (this.isFinal) return;
    // The frame's buffer is this side's (FilePort.onFrame) and the sink kept no reference (FileSink.write): the hasher may take it.
    if (this.hasher.updateOwned) this.hasher.updateOwned(payload);
    else this.hasher.update(payload);
    this.written = chunk + 1;
    this.queuedBytes -= payload.byteLength;
    const last = this.written === this.totalChunks;
    const bytes = Math.min(this.offer.size, this.written * this.offer.chunkSize);
    const seconds = (Date.now() - this.startedAt) / 1000;
    const moved = bytes - this.startChunk * this.offer.chunkSize;
    this.ctx.progress(this.transferId, () => this.info, bytes, seconds > 0 ? moved / seconds : 0, last);
    // Every N chunks, and at least every ACK_MAX_INTERVAL_MS on a slow path, so the sender sees progress;
    // every chunk while input is recent (the sender then paces by acks: FileTransferOptions.inputAcks).
    const now = Date.now();
    const port = this.ctx.port();
    const inputRecent = this.ctx.opts.inputAcks && (port?.msSinceInput ?? Infinity) < this.ctx.opts.inputRecentMs;
    if (last || inputRecent || this.written % this.ctx.opts.ackEveryChunks === 0 || now - this.lastAckAt >= ACK_MAX_INTERVAL_MS) {
      this.lastAckAt = now;
      port?.sendMessage({ type: 'file.ack', transferId: this.transferId, nextChunk: this.written });
    }
    if (last) await this.verify();
  }

  /** This side's digest of what was written, computed once (a hash cannot be finished twice). */
  private ownDigest: Promise<string> | null = null;

  /** Once every chunk is written and the sender's digest is known: compare, then finish the sink. */
  private async verify(): Promise<void> {
    if (this.isFinal || this.state === 'verifying' || !this.sink) return;
    if (this.written !== this.totalChunks) return;
    if (!this.ownDigest) {
      this.ownDigest = Promise.resolve().then(() => this.hasher.digestHex());
      this.ownDigest.catch(() => undefined); // Awaited below once file.digest is here.
    }
    if (this.expectedSha256 === null) return; // file.digest is on its way.
    this.state = 'verifying';
    const expected = this.expectedSha256;
    let sha256: string;
    try {
      sha256 = await this.ownDigest;
    } catch (err) {
      await this.fail('FILE_IO', `could not hash ${this.offer.name}: ${String(err)}`, true);
      return;
    }
    if (this.isFinal) return;
    if (sha256 !== expected) {
      this.ctx.port()?.sendMessage({ type: 'file.complete', transferId: this.transferId, ok: false, sha256 });
      await this.fail('FILE_HASH_MISMATCH', `SHA-256 ${sha256} does not match the sender's ${expected}`, false);
      return;
    }
    let savedAs: string | undefined;
    try {
      savedAs = (await this.sink.finish()).savedAs;
    } catch (err) {
      await this.failIo(err, 'save');
      return;
    }
    const complete = { type: 'file.complete', transferId: this.transferId, ok: true, sha256, ...(savedAs !== undefined ? { savedAs: savedAs.slice(0, 255) } : {}) } as const;
    this.ctx.port()?.sendMessage(complete);
    this.state = 'done';
    const result: TransferResult = { ...this.info, ok: true, sha256, resumedFromChunk: this.firstResumeChunk, ...(savedAs !== undefined ? { savedAs } : {}) };
    this.lastComplete = complete;
    this.ctx.finished(result);
  }

  /** The file.complete sent, kept so a late re-offer can be answered again. */
  lastComplete: { type: 'file.complete'; transferId: string; ok: true; sha256: string; savedAs?: string } | null = null;

  /** A write or save failed: a full disk (ENOSPC, EDQUOT) is DISK_FULL on both sides, anything else FILE_IO; the partial file goes. */
  private async failIo(err: unknown, what: 'write' | 'save'): Promise<void> {
    const errno = (err as NodeJS.ErrnoException | null)?.code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT') {
      await this.fail('DISK_FULL', `The disk of the download folder is full: ${this.offer.name} was not saved.`, true);
      return;
    }
    await this.fail('FILE_IO', `could not ${what} ${this.offer.name}: ${String(err)}`, true);
  }

  private async fail(code: TransferFailureCode, message: string, tellPeer: boolean): Promise<void> {
    if (this.isFinal) return;
    this.state = 'failed';
    this.hasher.dispose?.();
    const cancelCode = code === 'DISK_FULL' || code === 'FILE_IO' ? { code } : {};
    if (tellPeer) this.ctx.port()?.sendMessage({ type: 'file.cancel', transferId: this.transferId, reason: message.slice(0, 200), ...cancelCode });
    this.ctx.finished({ ...this.info, ok: false, code, message });
    try {
      await this.sink?.abort(message);
    } catch {
      // The sink's own cleanup failed; nothing more to do.
    }
  }
}
