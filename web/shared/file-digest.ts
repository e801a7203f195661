import { Sha256, type Hasher, type HasherFactory } from '../../rtc/sha256.ts';
import type { HashReply, HashRequest } from './hash-worker-core.ts';

/** Files up to this size (sent or received) are gathered and hashed by WebCrypto at the end (it costs one more copy in memory). */
export const WEBCRYPTO_RECEIVE_MAX_BYTES = 128 * 1024 * 1024;

function hex(digest: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(digest)) out += b.toString(16).padStart(2, '0');
  return out;
}

const subtle = (): SubtleCrypto | undefined => globalThis.crypto?.subtle;

/**
 * A Hasher that gathers a file of known size into one buffer and hashes it
 * with WebCrypto at the end: a copy per chunk instead of a pure-TS compression
 * (about a tenth of the CPU on the page's thread). More bytes than announced
 * switch it to the incremental pure-TS hash, so the digest is still right.
 */
class GatherThenDigest implements Hasher {
  private readonly buffer: Uint8Array<ArrayBuffer>;
  private length = 0;
  private fallback: Sha256 | null = null;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  update(bytes: Uint8Array): void {
    if (this.fallback) return this.fallback.update(bytes);
    if (this.length + bytes.byteLength > this.buffer.byteLength) {
      this.fallback = new Sha256();
      this.fallback.update(this.buffer.subarray(0, this.length));
      this.fallback.update(bytes);
      return;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  async digestHex(): Promise<string> {
    if (this.fallback) return this.fallback.digestHex();
    return hex(await subtle()!.digest('SHA-256', this.buffer.subarray(0, this.length)));
  }
}

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
    w?.resolve(m.hex);
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
 * A Hasher whose running SHA-256 lives in the hashing worker, so the digest is
 * ready about when the last chunk is, instead of a whole-file WebCrypto digest
 * after it (measured: 100–250 ms per 24 MiB at the end of every transfer,
 * docs/performance-files.md). Bytes handed over (`updateOwned`: a sent
 * frame, a received one the sink has written) are transferred, not copied;
 * others are copied. They go in batches of WORKER_BATCH_BYTES: a copy and a
 * postMessage per 64 KiB frame were 15% of the page's thread while it sent.
 */
class WorkerHasher implements Hasher {
  private readonly id: number;
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private readonly state: HashWorkerState) {
    this.id = state.nextId++;
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
      this.state.worker.postMessage({ id: this.id, end: true });
    });
  }

  private flush(): void {
    const parts = this.parts;
    this.parts = [];
    this.pendingBytes = 0;
    if (parts.length === 0 || this.state.failed) return;
    const buffers = [...new Set(parts.map((p) => p.buffer))] as Transferable[];
    try {
      this.state.worker.postMessage({ id: this.id, parts }, buffers);
    } catch {
      // A buffer that cannot be transferred (shared, already detached): copies instead.
      const copies = parts.map((p) => p.slice());
      this.state.worker.postMessage({ id: this.id, parts: copies }, copies.map((c) => c.buffer));
    }
  }
}

/**
 * The console's file hasher, for the files it sends and receives: the
 * hashing worker once it runs (any size, incremental); before that, or
 * without one, WebCrypto (`crypto.subtle.digest`, native code) over the
 * gathered file for files up to WEBCRYPTO_RECEIVE_MAX_BYTES, and the
 * incremental pure-TS SHA-256 above that (bounded memory) or without WebCrypto.
 */
export const consoleHasher: HasherFactory = (size) => {
  startHashWorker();
  if (hashWorker?.ready) return new WorkerHasher(hashWorker);
  return size !== undefined && size <= WEBCRYPTO_RECEIVE_MAX_BYTES && subtle() ? new GatherThenDigest(size) : new Sha256();
};
