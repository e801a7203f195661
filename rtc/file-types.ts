import type { FileMessage } from '../protocol/channels.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import type { HasherFactory } from './sha256.ts';

export type FileOffer = Extract<FileMessage, { type: 'file.offer' }>;

/** Where an outgoing file's bytes come from (browser File, Node file handle, memory). */
export type FileSource = {
  name: string;
  size: number;
  mime?: string;
  read(offset: number, length: number): Promise<Uint8Array>;
};

/** Where an incoming file's bytes go. Writes arrive in order, one at a time. */
export type FileSink = {
  /** Stores `bytes`; it must not keep them once the promise resolves (copy what it keeps): the receiver then hands their buffer to the hasher. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /**
   * Chunks already stored from an earlier attempt (e.g. a partial file on disk);
   * used only together with `read`, which lets the receiver re-hash them.
   */
  committedChunks?: number;
  read?(offset: number, length: number): Promise<Uint8Array>;
  /** Called once the whole file arrived and its SHA-256 matched. */
  finish(): Promise<{ savedAs?: string }>;
  abort(reason: string): Promise<void>;
};

/** Creates a sink for an accepted offer; throw a RescueError (e.g. FILE_NAME_INVALID) to refuse. */
export type FileSinkFactory = (offer: FileOffer) => Promise<FileSink>;

export type TransferDirection = 'send' | 'receive';
export type TransferState = 'hashing' | 'offered' | 'sending' | 'receiving' | 'verifying' | 'paused' | 'done' | 'failed';
export type TransferFailureCode = ErrorCode;

export type TransferInfo = {
  transferId: string;
  direction: TransferDirection;
  name: string;
  size: number;
  state: TransferState;
};

export type TransferProgress = TransferInfo & {
  /** Bytes acknowledged by the receiver (send) or written and hashed (receive). */
  bytes: number;
  total: number;
  /** Bytes per second since the transfer (re)started. */
  rate: number;
};

export type TransferResult =
  | (TransferInfo & { ok: true; sha256: string; savedAs?: string; resumedFromChunk: number })
  | (TransferInfo & { ok: false; code: TransferFailureCode; message: string });

export type FileTransferEvents = {
  /** An outgoing transfer started (it hashes, then offers). */
  outgoing: TransferInfo;
  /** An incoming offer was accepted (or resumed) and a sink created. */
  incoming: TransferInfo & { resumedFromChunk: number };
  progress: TransferProgress;
  paused: TransferInfo;
  resumed: TransferInfo & { fromChunk: number };
  /** Finished, successfully or not (`ok`). */
  finished: TransferResult;
  /** A bad frame or message that was not tied to a live transfer. */
  warning: { code: string; message: string };
};

export type FileTransferOptions = {
  /** Receiving: without one every offer is refused with FILE_REJECTED. */
  sinkFactory?: FileSinkFactory;
  /** Receiving gate (the customer side ties it to the 'files' permission). */
  isAllowed?: (offer: FileOffer) => boolean;
  /** Default: the pure-TS SHA-256; Node may pass `() => nodeHasher()`. */
  hasher?: HasherFactory;
  /** Payload bytes per frame. Default LIMITS.fileChunkBytes (64 KiB). */
  chunkSize?: number;
  /** Send while `bufferedAmount` is below this. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Input first: while input (pointer, keys) crossed the connection in the
   * last `inputActiveMs`, the sender pauses, sending one chunk per
   * `inputTrickleMs` (and only once the channel's queue is empty) so a
   * transfer still moves; for `inputRecentMs` after input, it keeps at most
   * `inputWindowBytes` buffered instead of `highWaterMark`, so the next input
   * message waits behind little. Default 500 ms, 50 ms, 30 s and 128 KiB
   * (what was measured: docs/performance.md, Input).
   */
  inputActiveMs?: number;
  inputTrickleMs?: number;
  inputRecentMs?: number;
  inputWindowBytes?: number;
  /**
   * Input first, counted by acks (default true): while input is recent the
   * receiver acks every chunk, and the sender keeps at most `inputWindowBytes`
   * sent but unacknowledged (while active: none, so at most the one chunk in
   * transit). `bufferedAmount` alone does not bound what input waits behind:
   * in @roamhq/wrtc it reads 0 while SCTP's own send buffer still holds
   * ~256 KiB (measured: bench/channel-priority.ts --marks,
   * docs/performance-files.md). A receiver that does not ack each chunk
   * (an older version, or a path slower than ~100 ms per chunk) is noticed
   * after 100 ms blocked on acks, and that pump goes back to `bufferedAmount`
   * only. false: `bufferedAmount` only, as before.
   */
  inputAcks?: boolean;
  /** At most this many bytes beyond the last ack. Default 16 MiB. */
  maxInFlightBytes?: number;
  /** The receiver acks every N chunks (and at the end). Default 16. */
  ackEveryChunks?: number;
  /** How often to re-check `bufferedAmount` while above the mark. Default 2 ms. */
  pollMs?: number;
  /** Fail a transfer after this long without progress on an open channel. Default 30 s. */
  stallMs?: number;
  /** Minimum interval between progress events per transfer. Default 100 ms. */
  progressIntervalMs?: number;
};

export type ResolvedFileTransferOptions = Required<Omit<FileTransferOptions, 'sinkFactory'>> & Pick<FileTransferOptions, 'sinkFactory'>;
