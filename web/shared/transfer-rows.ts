import type { FileTransfer } from '../../rtc/file-transfer.ts';
import type { FileOffer, FileSink, FileSinkFactory, FileSource, TransferInfo, TransferResult } from '../../rtc/file-types.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { TransferView } from './view-models.ts';

/** Largest file a page keeps in memory. */
const MAX_IN_MEMORY = 1024 * 1024 * 1024;

/** A browser File/Blob as an rtc FileSource. */
export function blobSource(file: File): FileSource {
  return {
    name: file.name || 'file',
    size: file.size,
    ...(file.type ? { mime: file.type.slice(0, 100) } : {}),
    read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
  };
}

/** An in-memory sink: the chunks become a Blob the page offers as a download. */
class BlobSink implements FileSink {
  private parts: Uint8Array<ArrayBuffer>[] = [];

  constructor(
    private readonly offer: FileOffer,
    private readonly done: (blob: Blob) => void,
  ) {}

  async write(_offset: number, bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
  }

  async finish(): Promise<{ savedAs?: string }> {
    this.done(new Blob(this.parts, { type: this.offer.mime ?? 'application/octet-stream' }));
    this.parts = [];
    return {};
  }

  async abort(): Promise<void> {
    this.parts = [];
  }
}

/** A page's sink factory: every received file ends as a Blob in `blobs` (by transfer id), up to 1 GiB each. */
export function blobSinkFactory(blobs: Map<string, Blob>): FileSinkFactory {
  return async (offer) => {
    if (offer.size > MAX_IN_MEMORY) throw new RescueError('FILE_TOO_LARGE', 'This page keeps received files in memory: at most 1 GiB each.');
    return new BlobSink(offer, (blob) => blobs.set(offer.transferId, blob));
  };
}

/**
 * The rows a page's file panel shows, kept in step with an engine's file
 * transfers: progress, SHA-256 results, and a download link (object URL) for
 * each received file.
 */
export class TransferRows {
  private readonly rows = new Map<string, TransferView>();

  constructor(
    files: FileTransfer,
    private readonly blobs: Map<string, Blob>,
    private readonly onChange: (rows: TransferView[]) => void,
  ) {
    files.on('outgoing', (t) => this.add(t, 'waiting'));
    files.on('incoming', (t) => this.add(t, 'transferring'));
    files.on('progress', (p) => this.patch(p.transferId, { bytes: p.bytes, phase: 'transferring' }));
    files.on('finished', (r) => this.onFinished(r));
  }

  /** Revokes the download URLs. */
  dispose(): void {
    for (const row of this.rows.values()) if (row.url) URL.revokeObjectURL(row.url);
  }

  private add(t: TransferInfo, phase: TransferView['phase']): void {
    if (this.rows.has(t.transferId)) return this.patch(t.transferId, { phase });
    this.rows.set(t.transferId, { id: t.transferId, name: t.name, size: t.size, direction: t.direction, bytes: 0, phase });
    this.emit();
  }

  private onFinished(r: TransferResult): void {
    if (!this.rows.has(r.transferId)) this.rows.set(r.transferId, { id: r.transferId, name: r.name, size: r.size, direction: r.direction, bytes: 0, phase: 'waiting' });
    if (r.ok) {
      const blob = this.blobs.get(r.transferId);
      this.blobs.delete(r.transferId);
      const url = blob ? URL.createObjectURL(blob) : undefined;
      this.patch(r.transferId, { phase: 'done', bytes: r.size, sha256: r.sha256, verified: true, url });
    } else {
      this.blobs.delete(r.transferId);
      this.patch(r.transferId, {
        phase: r.code === 'CANCELLED' ? 'cancelled' : 'failed',
        error: r.message,
        ...(r.code === 'FILE_HASH_MISMATCH' ? { verified: false } : {}),
      });
    }
  }

  private patch(id: string, change: Partial<TransferView>): void {
    const row = this.rows.get(id);
    if (!row) return;
    this.rows.set(id, { ...row, ...change });
    this.emit();
  }

  private emit(): void {
    this.onChange([...this.rows.values()]);
  }
}
