import { FileTransfer } from '../../rtc/file-transfer.ts';
import type { FileOffer, FileSink, FileSource, TransferResult } from '../../rtc/file-types.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { blobSha256, consoleHasher } from './file-digest.ts';
import { formatBytes } from './styles.ts';
import type { TransferView } from './view-models.ts';

export type FileGlueHooks = {
  onChange(list: TransferView[]): void;
  log(text: string): void;
  report(event: 'file.sent' | 'file.received' | 'file.failed', detail: string): void;
  /** Gate for incoming offers (the customer ties it to the 'files' permission). */
  acceptIncoming(): boolean;
};

/** A browser File/Blob as an rtc FileSource. */
export function blobSource(file: File): FileSource {
  return {
    name: file.name || 'file',
    size: file.size,
    ...(file.type ? { mime: file.type.slice(0, 100) } : {}),
    read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
  };
}

/** An in-memory sink: the chunks become a Blob with an object URL the page offers as a download. */
class MemorySink implements FileSink {
  private parts: Uint8Array<ArrayBuffer>[] = [];
  blob: Blob | null = null;

  constructor(private readonly mime: string | undefined) {}

  async write(_offset: number, bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
  }

  async finish(): Promise<{ savedAs?: string }> {
    this.blob = new Blob(this.parts, { type: this.mime ?? 'application/octet-stream' });
    this.parts = [];
    return {};
  }

  async abort(): Promise<void> {
    this.parts = [];
  }
}

/** Largest file this page keeps in memory. */
const MAX_IN_MEMORY = 1024 * 1024 * 1024;

/**
 * The rtc/ FileTransfer engine bound to the UI: progress rows, SHA-256 results,
 * download links for received files, log lines and audit reports.
 */
export class FileGlue {
  private readonly engine: FileTransfer;
  private readonly rows = new Map<string, TransferView>();
  private readonly sinks = new Map<string, MemorySink>();
  /** Outgoing files still being hashed, not yet offered. */
  private readonly hashing = new Set<string>();

  constructor(
    port: FilePort,
    private readonly hooks: FileGlueHooks,
  ) {
    this.engine = new FileTransfer({
      hasher: consoleHasher,
      isAllowed: (offer) => offer.size <= MAX_IN_MEMORY && hooks.acceptIncoming(),
      sinkFactory: async (offer: FileOffer) => {
        const sink = new MemorySink(offer.mime);
        this.sinks.set(offer.transferId, sink);
        this.rows.set(offer.transferId, {
          id: offer.transferId,
          name: offer.name,
          size: offer.size,
          direction: 'receive',
          bytes: 0,
          phase: 'waiting',
          sha256: offer.sha256,
        });
        this.emit();
        return sink;
      },
    });
    this.engine.on('incoming', (t) => {
      this.hooks.log(`Receiving ${t.name} (${formatBytes(t.size)}).`);
      this.patch(t.transferId, { phase: 'transferring' });
    });
    this.engine.on('progress', (p) => this.patch(p.transferId, { bytes: p.bytes, phase: 'transferring' }));
    this.engine.on('finished', (r) => this.onFinished(r));
    this.engine.on('warning', (w) => this.hooks.log(`File warning: ${w.message}`));
    this.engine.attach(port);
  }

  /** Offers a file; its row shows at once, the offer follows its SHA-256 (WebCrypto where the file is small enough). */
  send(file: File): void {
    void this.hashAndOffer(file);
  }

  private async hashAndOffer(file: File): Promise<void> {
    const transferId = crypto.randomUUID();
    this.rows.set(transferId, { id: transferId, name: file.name, size: file.size, direction: 'send', bytes: 0, phase: 'waiting' });
    this.hashing.add(transferId);
    this.emit();
    let sha256: string | undefined;
    try {
      sha256 = await blobSha256(file);
    } catch {
      // Unreadable here: the transfer's own read reports it.
    }
    if (!this.hashing.delete(transferId)) return; // Cancelled meanwhile.
    try {
      this.engine.send(blobSource(file), { transferId, ...(sha256 ? { sha256 } : {}) });
    } catch (err) {
      this.rows.delete(transferId);
      this.emit();
      this.hooks.log(`Cannot send ${file.name}: ${(err as Error).message}`);
      return;
    }
    this.hooks.log(`Sending ${file.name} (${formatBytes(file.size)}).`);
  }

  /** Stops every live transfer (e.g. the customer revoked file transfer). */
  cancelAll(reason: string): void {
    for (const id of this.hashing) this.patch(id, { phase: 'cancelled', error: reason });
    this.hashing.clear();
    this.engine.cancelAll(reason);
  }

  dispose(): void {
    this.hashing.clear();
    this.engine.close();
    for (const row of this.rows.values()) if (row.url) URL.revokeObjectURL(row.url);
  }

  private onFinished(r: TransferResult): void {
    const row = this.rows.get(r.transferId);
    const verb = r.direction === 'send' ? 'Sent' : 'Received';
    if (r.ok) {
      const sink = this.sinks.get(r.transferId);
      this.sinks.delete(r.transferId);
      const url = sink?.blob ? URL.createObjectURL(sink.blob) : undefined;
      this.patch(r.transferId, { phase: 'done', bytes: r.size, sha256: r.sha256, verified: true, url });
      this.hooks.log(`${verb} ${r.name} (${formatBytes(r.size)}), SHA-256 ${r.sha256.slice(0, 16)}… verified.`);
      this.hooks.report(r.direction === 'send' ? 'file.sent' : 'file.received', `${r.name} ${r.size} bytes sha256=${r.sha256}`);
    } else {
      this.sinks.delete(r.transferId);
      const cancelled = r.code === 'CANCELLED';
      this.patch(r.transferId, {
        phase: cancelled ? 'cancelled' : 'failed',
        error: r.message,
        ...(r.code === 'FILE_HASH_MISMATCH' ? { verified: false } : {}),
      });
      if (!row) this.rows.set(r.transferId, { id: r.transferId, name: r.name, size: r.size, direction: r.direction, bytes: 0, phase: 'failed', error: r.message });
      this.hooks.log(`${r.direction === 'send' ? 'Sending' : 'Receiving'} ${r.name} failed: ${r.message}`);
      this.hooks.report('file.failed', `${r.name}: ${r.code}`);
      this.emit();
    }
  }

  private patch(id: string, change: Partial<TransferView>): void {
    const row = this.rows.get(id);
    if (!row) return;
    this.rows.set(id, { ...row, ...change });
    this.emit();
  }

  private emit(): void {
    this.hooks.onChange([...this.rows.values()]);
  }
}
