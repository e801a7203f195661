import type { FileMessage } from '../protocol/channels.ts';
import { RescueError, type ErrorCode } from '../protocol/errors.ts';
import { FILE_FRAME_HEADER_BYTES, bytesToUuid, decodeFileFrame } from '../protocol/file-frame.ts';
import { LIMITS } from '../protocol/limits.ts';
import { assertNever } from '../protocol/parse.ts';
import { Emitter } from './emitter.ts';
import type { FilePort } from './file-channel-port.ts';
import { IncomingTransfer } from './file-receiver.ts';
import { OutgoingTransfer } from './file-sender.ts';
import type { TransferContext } from './file-sender.ts';
import type {
  FileOffer,
  FileSource,
  FileTransferEvents,
  FileTransferOptions,
  ResolvedFileTransferOptions,
  TransferInfo,
  TransferResult,
} from './file-types.ts';
import { sha256Factory } from './sha256.ts';

export type * from './file-types.ts';

const MAX_INCOMING = 8;
const REMEMBER_COMPLETED = 64;

/**
 * The file protocol of one session side, over the files channel
 * (protocol/channels.ts FILE_MESSAGES, protocol/file-frame.ts). Survives
 * reconnects: `attach()` the new connection's port and paused transfers
 * resume from the receiver's last verified chunk.
 */
export class FileTransfer extends Emitter<FileTransferEvents> {
  readonly opts: ResolvedFileTransferOptions;
  private readonly sinkFactory: FileTransferOptions['sinkFactory'];
  private current: FilePort | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly outgoing = new Map<string, OutgoingTransfer>();
  private readonly incoming = new Map<string, IncomingTransfer>();
  private readonly completed = new Map<string, IncomingTransfer['lastComplete']>();
  private readonly warnedIds = new Set<string>();
  private readonly lastProgressAt = new Map<string, number>();
  private readonly ctx: TransferContext;
  private isClosed = false;

  constructor(options: FileTransferOptions = {}) {
    super();
    this.sinkFactory = options.sinkFactory;
    this.opts = {
      isAllowed: options.isAllowed ?? (() => true),
      hasher: options.hasher ?? sha256Factory,
      chunkSize: Math.max(1024, Math.min(options.chunkSize ?? LIMITS.fileChunkBytes, LIMITS.fileChunkBytes)),
      highWaterMark: options.highWaterMark ?? 1024 * 1024,
      inputActiveMs: options.inputActiveMs ?? 500,
      inputTrickleMs: options.inputTrickleMs ?? 50,
      inputRecentMs: options.inputRecentMs ?? 30_000,
      inputWindowBytes: options.inputWindowBytes ?? 128 * 1024,
      inputAcks: options.inputAcks ?? true,
      maxInFlightBytes: options.maxInFlightBytes ?? 16 * 1024 * 1024,
      ackEveryChunks: options.ackEveryChunks ?? 16,
      pollMs: options.pollMs ?? 2,
      stallMs: options.stallMs ?? 30_000,
      progressIntervalMs: options.progressIntervalMs ?? 100,
    };
    this.ctx = {
      opts: this.opts,
      port: () => (this.current?.isOpen ? this.current : null),
      progress: (transferId, info, bytes, rate, force) => {
        const now = Date.now();
        if (!force && now - (this.lastProgressAt.get(transferId) ?? 0) < this.opts.progressIntervalMs) return;
        this.lastProgressAt.set(transferId, now);
        const t = info();
        this.emit('progress', { ...t, bytes, total: t.size, rate });
      },
      paused: (t) => this.emit('paused', t),
      resumed: (t, fromChunk) => this.emit('resumed', { ...t, fromChunk }),
      finished: (r) => this.onFinished(r),
    };
  }

  /** Uses a (new) files channel; paused outgoing transfers are offered again on it. */
  attach(port: FilePort): void {
    if (this.isClosed) return;
    this.detach();
    this.current = port;
    const offs = [
      port.onMessage((m) => this.onMessage(port, m)),
      port.onFrame((f) => this.onFrame(port, f)),
      port.onClose(() => {
        if (this.current === port) this.detach();
      }),
    ];
    this.unsubscribe = () => offs.forEach((off) => off());
    for (const t of this.outgoing.values()) if (t.state === 'paused') t.offer();
  }

  /** Stops using the current channel; live transfers pause. */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.current = null;
    for (const t of this.outgoing.values()) t.pause();
    for (const t of this.incoming.values()) t.pause();
  }

  /** Starts sending a file; `done` resolves with the result (never rejects). */
  send(source: FileSource, options: { sha256?: string; transferId?: string } = {}): { transferId: string; done: Promise<TransferResult> } {
    if (this.isClosed) throw new Error('file transfer closed');
    if (source.size > LIMITS.fileBytes) throw new RescueError('FILE_TOO_LARGE');
    const transferId = options.transferId ?? crypto.randomUUID();
    const t = new OutgoingTransfer(this.ctx, transferId, source, options.sha256);
    this.outgoing.set(transferId, t);
    this.emit('outgoing', t.info);
    void t.start();
    return { transferId, done: t.done };
  }

  /** Cancels one transfer (either direction) and tells the peer. */
  cancel(transferId: string, reason = 'cancelled'): void {
    (this.outgoing.get(transferId) ?? this.incoming.get(transferId))?.cancel(reason);
  }

  /** Cancels every live transfer, e.g. when the 'files' permission is revoked. */
  cancelAll(reason: string, direction?: 'send' | 'receive'): void {
    if (direction !== 'receive') for (const t of [...this.outgoing.values()]) t.cancel(reason);
    if (direction !== 'send') for (const t of [...this.incoming.values()]) t.cancel(reason);
  }

  list(): TransferInfo[] {
    return [...[...this.outgoing.values()].map((t) => t.info), ...[...this.incoming.values()].map((t) => t.info)];
  }

  close(): void {
    if (this.isClosed) return;
    this.cancelAll('session closed');
    this.detach();
    this.isClosed = true;
    this.removeAllListeners();
  }

  private onFinished(r: TransferResult): void {
    this.outgoing.delete(r.transferId);
    const inc = this.incoming.get(r.transferId);
    this.incoming.delete(r.transferId);
    this.lastProgressAt.delete(r.transferId);
    if (inc?.lastComplete) {
      this.completed.set(r.transferId, inc.lastComplete);
      if (this.completed.size > REMEMBER_COMPLETED) this.completed.delete(this.completed.keys().next().value!);
    }
    this.emit('finished', r);
  }

  private onMessage(port: FilePort, msg: FileMessage): void {
    if (port !== this.current) return;
    switch (msg.type) {
      case 'file.offer':
        void this.onOffer(port, msg);
        return;
      case 'file.digest':
        this.incoming.get(msg.transferId)?.onDigest(msg.sha256);
        return;
      case 'file.accept':
        this.outgoing.get(msg.transferId)?.onAccept(msg.fromChunk);
        return;
      case 'file.reject':
        this.outgoing.get(msg.transferId)?.onReject(msg.code, msg.message);
        return;
      case 'file.ack':
        this.outgoing.get(msg.transferId)?.onAck(msg.nextChunk);
        return;
      case 'file.complete':
        this.outgoing.get(msg.transferId)?.onComplete(msg.ok, msg.sha256, msg.savedAs);
        return;
      case 'file.cancel':
        (this.outgoing.get(msg.transferId) ?? this.incoming.get(msg.transferId))?.onCancel(msg.reason, msg.code);
        return;
      default:
        assertNever(msg, 'file message');
    }
  }

  private async onOffer(port: FilePort, offer: FileOffer): Promise<void> {
    const reject = (code: ErrorCode, message: string): void => {
      port.sendMessage({ type: 'file.reject', transferId: offer.transferId, code, message });
    };
    const done = this.completed.get(offer.transferId);
    if (done) {
      port.sendMessage(done);
      return;
    }
    if (this.outgoing.has(offer.transferId)) return reject('FILE_REJECTED', 'That transfer id is in use.');
    if (!this.opts.isAllowed(offer)) {
      this.incoming.get(offer.transferId)?.cancel('permission withdrawn', 'PERMISSION_REQUIRED');
      return reject('PERMISSION_REQUIRED', 'The customer has not granted file transfer.');
    }
    const known = this.incoming.get(offer.transferId);
    if (known) {
      if (!known.sameFile(offer)) return reject('FILE_REJECTED', 'A different file was offered under the same transfer id.');
      await known.resume(offer);
      return;
    }
    if (!this.sinkFactory) return reject('FILE_REJECTED', 'This side does not accept files.');
    if (this.incoming.size >= MAX_INCOMING) return reject('FILE_REJECTED', 'Too many files are arriving at once.');
    const t = new IncomingTransfer(this.ctx, offer);
    this.incoming.set(offer.transferId, t);
    try {
      const sink = await this.sinkFactory(offer);
      if (t.isFinal || this.isClosed) {
        await sink.abort('cancelled');
        return;
      }
      const from = await t.open(sink);
      this.emit('incoming', { ...t.info, resumedFromChunk: from });
    } catch (err) {
      this.incoming.delete(offer.transferId);
      const code = err instanceof RescueError ? err.code : 'FILE_IO';
      reject(code, err instanceof Error ? err.message.slice(0, 500) : 'The file could not be accepted.');
      this.emit('finished', { ...t.info, state: 'failed', ok: false, code, message: String(err) });
    }
  }

  private onFrame(port: FilePort, bytes: Uint8Array): void {
    if (port !== this.current) return;
    const frame = decodeFileFrame(bytes);
    if (!frame) {
      if (bytes.byteLength >= FILE_FRAME_HEADER_BYTES) {
        const id = bytesToUuid(bytes.subarray(0, 16));
        const t = this.incoming.get(id);
        if (t) return t.cancel(`frame of ${bytes.byteLength} bytes is too large`, 'FILE_REJECTED');
      }
      this.emit('warning', { code: 'INVALID_MESSAGE', message: `malformed file frame of ${bytes.byteLength} bytes` });
      return;
    }
    const t = this.incoming.get(frame.transferId);
    if (!t) {
      if (!this.warnedIds.has(frame.transferId) && this.warnedIds.size < 256) {
        this.warnedIds.add(frame.transferId);
        this.emit('warning', { code: 'INVALID_MESSAGE', message: `frame for unknown transfer ${frame.transferId}` });
        port.sendMessage({ type: 'file.cancel', transferId: frame.transferId, reason: 'unknown transfer' });
      }
      return;
    }
    t.onFrame(frame);
  }
}
