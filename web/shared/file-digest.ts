import type { Hasher, HasherFactory } from '../../rtc/sha256.ts';
import { gatherOrIncremental } from './gather-digest.ts';
import type { HashReply, HashRequest } from './hash-worker-core.ts';

export { WEBCRYPTO_RECEIVE_MAX_BYTES } from './gather-digest.ts';

/** What the page needs of a Worker (a fake one in tests). */
export type HashWorkerLike = {
  postMessage(m: HashRequest, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<HashReply>) => void) | null;
  onerror: ((e: unknown) => void) | null;
  terminate(): void;
};

type HashWorkerState = {
  worker: HashWorkerLike;
  ready: boolean;
  failed: boolean;
  nextId: number;
  waiting: Map<number, { resolve: (hex: string) => void; reject: (err: Error) => void }>;
};

/** undefined: not started; null: no worker here (Node, a browser without workers, a refused script). */
let hashWorker: HashWorkerState | null | undefined;

/**
 * Starts the page's file-hashing worker (web/shared/hash-worker.ts), once.
 * Until it reports ready, files are hashed as before (gathered, WebCrypto at
 * the end), so a worker that never loads costs nothing but that.
 */
export function startHashWorker(make: () => HashWorkerLike | null = defaultWorker): void {
  if (hashWorker !== undefined) return;
  hashWorker = null;
  let worker: HashWorkerLike | null;
  try {
    worker = make();
  } catch {
    return;
  }
  if (!worker) return;
  const state: HashWorkerState = { worker, ready: false, failed: false, nextId: 1, waiting: new Map() };
  worker.onmessage = (e) => {
    const m = e.data;
    if ('ready' in m) {
      state.ready = !state.failed;
      return;
    }
    const w = state.waiting.get(m.id);
    state.waiting.delete(m.id);
    if ('hex' in m) w?.resolve(m.hex);
    else w?.reject(new Error(`the file-hashing worker could not hash: ${m.error}`));
  };
  worker.onerror = () => {
    state.failed = true;
    state.ready = false;
    for (const w of state.waiting.values()) w.reject(new Error('the file-hashing worker failed'));
    state.waiting.clear();
    worker.terminate();
  };
  hashWorker = state;
}

function defaultWorker(): HashWorkerLike | null {
  if (typeof Worker === 'undefined') return null;
  return new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module', name: 'rr-file-hash' }) as unknown as HashWorkerLike;
}

/** For tests: forget the worker so the next startHashWorker makes a new one. */
export function resetHashWorker(): void {
  hashWorker?.worker.terminate();
  hashWorker = undefined;
}

/** Updates are posted to the worker in batches of about this many bytes (one message per 16 frames of 64 KiB). */
const WORKER_BATCH_BYTES = 1024 * 1024;

/**
 * A Hasher that lives in the hashing worker, off the page's thread: there a
 * file of known size up to WEBCRYPTO_RECEIVE_MAX_BYTES is gathered and
 * digested by WebCrypto at the end (about a tenth of the CPU of the pure-TS
 * hash, which competed with both ends' transport threads for the 2 cores:
 * docs/performance-files.md, 2026-12-04), a larger one hashed incrementally
 * in pure TS (bounded memory). Bytes handed over (`updateOwned`: a sent
 * read-ahead block, a received frame the sink has written) are transferred, not copied;
 * others are copied. They go in batches of WORKER_BATCH_BYTES: a copy and a
 * postMessage per 64 KiB frame were 15% of the page's thread while it sent.
 */
class WorkerHasher implements Hasher {
  private readonly id: number;
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;
  /** On every message: the worker picks gathered or incremental by it when the transfer's first one comes. */
  private readonly size: { size?: number };

  constructor(
    private readonly state: HashWorkerState,
    size: number | undefined,
  ) {
    this.id = state.nextId++;
    this.size = size !== undefined ? { size } : {};
  }

  update(bytes: Uint8Array): void {
    this.updateOwned(bytes.slice());
  }

  updateOwned(bytes: Uint8Array): void {
    if (this.state.failed) return;
    this.parts.push(bytes);
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes >= WORKER_BATCH_BYTES) this.flush();
  }

  digestHex(): Promise<string> {
    this.flush();
    if (this.state.failed) return Promise.reject(new Error('the file-hashing worker failed'));
    return new Promise((resolve, reject) => {
      this.state.waiting.set(this.id, { resolve, reject });
      this.state.worker.postMessage({ id: this.id, end: true, ...this.size });
    });
  }

  /** The transfer failed: the worker drops what it gathered for it. */
  dispose(): void {
    this.parts = [];
    this.pendingBytes = 0;
    if (!this.state.failed) this.state.worker.postMessage({ id: this.id, drop: true });
  }

  private flush(): void {
    const parts = this.parts;
    this.parts = [];
    this.pendingBytes = 0;
    if (parts.length === 0 || this.state.failed) return;
    const buffers = [...new Set(parts.map((p) => p.buffer))] as Transferable[];
    const size = this.size;
    try {
      this.state.worker.postMessage({ id: this.id, parts, ...size }, buffers);
    } catch {
      // A buffer that cannot be transferred (shared, already detached): copies instead.
      const copies = parts.map((p) => p.slice());
      this.state.worker.postMessage({ id: this.id, parts: copies, ...size }, copies.map((c) => c.buffer));
    }
  }
}

/**
 * The console's file hasher, for the files it sends and receives: the
 * hashing worker once it runs (gathered or incremental, as below, but off the
 * page's thread); before that, or without one, on the page: WebCrypto (`crypto.subtle.digest`, native code) over the
 * gathered file for files up to WEBCRYPTO_RECEIVE_MAX_BYTES, and the
 * incremental pure-TS SHA-256 above that (bounded memory) or without WebCrypto.
 */
export const consoleHasher: HasherFactory = (size) => {
  startHashWorker();
  if (hashWorker?.ready) return new WorkerHasher(hashWorker, size);
  return gatherOrIncremental(size);
};
