import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Sha256 } from '../../rtc/sha256.ts';
import { WEBCRYPTO_RECEIVE_MAX_BYTES, consoleHasher, resetHashWorker, startHashWorker, type HashWorkerLike } from '../../web/shared/file-digest.ts';
import { hashWorkerHandler, type HashReply, type HashRequest } from '../../web/shared/hash-worker-core.ts';

/** A Worker stand-in running the worker's handler a turn later (as a real one would); `fail()` fires its error event. */
function fakeWorker(ready = true): HashWorkerLike & { fail(): void; posted: number } {
  const handle = hashWorkerHandler();
  const w = {
    onmessage: null as ((e: MessageEvent<HashReply>) => void) | null,
    onerror: null as ((e: unknown) => void) | null,
    posted: 0,
    terminated: false,
    reply(m: HashReply) {
      setImmediate(() => !w.terminated && w.onmessage?.({ data: m } as MessageEvent<HashReply>));
    },
    postMessage(m: HashRequest, transfer?: Transferable[]) {
      w.posted++;
      // The page transfers each part's buffer (its copy, or one handed over), once each.
      if ('parts' in m) expect(transfer).to.have.members([...new Set(m.parts.map((p) => p.buffer))]);
      // As a real worker: the transferred buffers leave the page (detached here).
      const arrived = structuredClone(m, { transfer: transfer ?? [] });
      setImmediate(() => {
        if (w.terminated) return;
        const r = handle(arrived);
        if (r) void Promise.resolve(r).then((x) => w.reply(x));
      });
    },
    terminate() {
      w.terminated = true;
    },
    fail() {
      w.onerror?.(new Error('boom'));
    },
  };
  if (ready) w.reply({ ready: true });
  return w;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Feeds `bytes` in uneven chunks (copies, as the receiver hands over frames' payloads). */
async function digestOf(bytes: Uint8Array, size: number): Promise<string> {
  const h = consoleHasher(size);
  for (let off = 0, step = 1; off < bytes.length; off += step, step = (step * 7 + 13) % 70_000 || 1) h.update(bytes.slice(off, off + step));
  return h.digestHex();
}

describe('web/shared/file-digest (the console hashes with WebCrypto)', () => {
  afterEach(() => resetHashWorker());
  it('a received file of announced size: gathered and hashed by WebCrypto, the same SHA-256 as node:crypto', async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
    expect(consoleHasher(bytes.length)).not.to.be.instanceOf(Sha256);
    expect(await digestOf(bytes, bytes.length)).to.equal(sha(bytes));
    expect(await digestOf(new Uint8Array(0), 0)).to.equal(sha(new Uint8Array(0)));
  });

  it('more bytes than announced still give the right digest (it falls back to the incremental hash)', async () => {
    const bytes = new Uint8Array(randomBytes(200_000));
    expect(await digestOf(bytes, 100_000)).to.equal(sha(bytes));
  });

  it('files above the in-memory limit, or of unknown size, hash incrementally (bounded memory)', () => {
    expect(consoleHasher(WEBCRYPTO_RECEIVE_MAX_BYTES + 1)).to.be.instanceOf(Sha256);
    expect(consoleHasher()).to.be.instanceOf(Sha256);
  });

  it('with the hashing worker running, files of any size hash there, interleaved, with the same SHA-256 as node:crypto', async () => {
    const worker = fakeWorker();
    startHashWorker(() => worker);
    await new Promise((r) => setImmediate(r));
    const a = new Uint8Array(randomBytes(1024 * 1024 + 5));
    const b = new Uint8Array(randomBytes(300_001));
    const ha = consoleHasher(a.length);
    const hb = consoleHasher();
    expect(ha).not.to.be.instanceOf(Sha256);
    for (let off = 0, step = 1; off < a.length; off += step, step = (step * 7 + 13) % 70_000 || 1) {
      const chunk = a.slice(off, off + step);
      ha.update(chunk);
      chunk.fill(0); // the caller may reuse its bytes once update returns
      hb.update(b.subarray(Math.min(off, b.length), Math.min(off + step, b.length)));
    }
    const [da, db] = await Promise.all([ha.digestHex(), hb.digestHex()]);
    expect(da).to.equal(sha(a));
    expect(db).to.equal(sha(b));
    expect(await consoleHasher(0).digestHex()).to.equal(sha(new Uint8Array(0)));
  });

  it('bytes handed over (updateOwned: sent or written frames) are transferred, not copied, in batches of about 1 MiB', async () => {
    const worker = fakeWorker();
    startHashWorker(() => worker);
    await new Promise((r) => setImmediate(r));
    const file = new Uint8Array(randomBytes(40 * 65_536 + 123));
    const h = consoleHasher(file.length);
    const frames: Uint8Array[] = [];
    for (let off = 0; off < file.length; off += 65_536) {
      const payload = file.subarray(off, off + 65_536);
      const frame = new Uint8Array(20 + payload.length);
      frame.set(payload, 20);
      frames.push(frame);
      h.updateOwned!(frame.subarray(20));
    }
    h.update(file.subarray(0, 0));
    const before = worker.posted;
    expect(await h.digestHex()).to.equal(sha(file));
    expect(frames.every((f) => f.byteLength === 0)).to.equal(true); // transferred: the page kept no copy
    expect(before).to.be.within(2, 4); // 41 frames in 1 MiB batches (+ the ready handshake posts nothing)
  });

  it('in the worker, a file of announced size is gathered and hashed by WebCrypto: the whole file\'s SHA-256; a truncated or altered one differs', async () => {
    const handle = hashWorkerHandler();
    const file = new Uint8Array(randomBytes(3 * 65_536 + 9));
    const run = async (id: number, parts: Uint8Array[]): Promise<HashReply | null> => {
      for (const p of parts) void handle({ id, parts: [p.slice()], size: file.length });
      return await Promise.resolve(handle({ id, end: true, size: file.length }));
    };
    const whole = [file.subarray(0, 65_536), file.subarray(65_536)];
    expect(await run(1, whole)).to.deep.equal({ id: 1, hex: sha(file) });
    expect(await run(2, [file.subarray(0, file.length - 1)])).to.not.deep.equal({ id: 2, hex: sha(file) });
    const altered = file.slice();
    altered[70_000] = altered[70_000]! ^ 1;
    expect(await run(3, [altered])).to.deep.equal({ id: 3, hex: sha(altered) });
  });

  it('a dropped transfer (dispose after a failure) is forgotten by the worker; a digest that fails there rejects on the page', async () => {
    const handle = hashWorkerHandler();
    void handle({ id: 7, parts: [new Uint8Array(1000)], size: 1000 });
    expect(handle({ id: 7, drop: true })).to.equal(null);
    expect(await Promise.resolve(handle({ id: 7, end: true }))).to.deep.equal({ id: 7, hex: sha(new Uint8Array(0)) });

    const worker = fakeWorker();
    startHashWorker(() => worker);
    await new Promise((r) => setImmediate(r));
    const dropped: HashRequest[] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (m, t) => {
      if ('drop' in m) dropped.push(m);
      if ('end' in m) return void setImmediate(() => worker.onmessage?.({ data: { id: m.id, error: 'OperationError' } } as MessageEvent<HashReply>));
      post(m, t);
    };
    const h = consoleHasher(10);
    h.update(new Uint8Array(10));
    h.dispose!();
    expect(dropped).to.have.length(1);
    const failing = consoleHasher(10);
    let err: unknown = null;
    await Promise.resolve(failing.digestHex()).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/could not hash: OperationError/);
  });

  it('a worker that fails rejects the digests it holds, and later files go back to WebCrypto', async () => {
    const worker = fakeWorker();
    startHashWorker(() => worker);
    await new Promise((r) => setImmediate(r));
    const h = consoleHasher(10);
    h.update(new Uint8Array(10));
    const digest = h.digestHex();
    worker.fail();
    let err: unknown = null;
    await Promise.resolve(digest).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/hashing worker failed/);
    const bytes = new Uint8Array(randomBytes(70_000));
    expect(await digestOf(bytes, bytes.length)).to.equal(sha(bytes));
  });

  it('until the worker reports ready (or where none loads), files are gathered for WebCrypto as before', async () => {
    startHashWorker(() => {
      throw new Error('refused by the Content-Security-Policy');
    });
    const bytes = new Uint8Array(randomBytes(100_000));
    expect(await digestOf(bytes, bytes.length)).to.equal(sha(bytes));
    resetHashWorker();
    const silent = fakeWorker(false);
    startHashWorker(() => silent);
    expect(await digestOf(bytes, bytes.length)).to.equal(sha(bytes));
    expect(silent.posted).to.equal(0);
  });
});
