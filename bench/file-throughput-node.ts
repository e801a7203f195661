/**
 * File protocol throughput against the bare data channel, Node to Node over
 * loopback, on one pair of @roamhq/wrtc peers (docs/performance-files.md).
 *
 *   npx tsx bench/file-throughput-node.ts [sizeMiB] [pure|node|both]
 *
 * (a) bare: 64 KiB messages on the files channel, sent while `bufferedAmount`
 *     is below 1 MiB, re-checked every 1 ms (the FACTS.md baseline);
 * (b) file: FileTransfer with SHA-256 (offer hash, frames, acks, verify), from
 *     `send()` to the sender's `done`.
 * Both peers run in this one process, so the receiver's work competes with the
 * sender's for the same thread; two processes (the product) can only be faster.
 */
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { FileTransfer } from '../rtc/file-transfer.ts';
import type { FileOffer } from '../rtc/file-transfer.ts';
import type { FilePort } from '../rtc/file-channel-port.ts';
import { MemorySink, memorySource } from '../rtc/memory-file.ts';
import { sha256Factory } from '../rtc/sha256.ts';
import type { Hasher, HasherFactory } from '../rtc/sha256.ts';
import { makePair } from '../testkit/rtc-pair.ts';

const MiB = 1024 * 1024;
const MB = 1e6;

export type HasherKind = 'pure' | 'node';

export type FileThroughputResult = {
  sizeMiB: number;
  hasher: HasherKind;
  /** Bare paced channel, MB/s (10^6 bytes per second). */
  bareMBps: number;
  /** FileTransfer from send() to done, MB/s. */
  fileMBps: number;
  /** fileMBps / bareMBps. */
  ratio: number;
  /** Where the file transfer's time went, in milliseconds. */
  breakdown: {
    total: number;
    /** send() until the receiver saw the offer (the sender's pre-hash, mostly). */
    untilOffer: number;
    /** Time inside Hasher.update / digest on the sender and on the receiver. */
    hashSender: number;
    hashReceiver: number;
    /** Time inside FileSource.read and FileSink.write. */
    read: number;
    write: number;
    /** Sender polls of bufferedAmount that found the channel at or over the high-water mark. */
    pollsOverMark: number;
    /** Sender polls that found the channel under the mark but the in-flight window full (blocked on acks). */
    windowStalls: number;
    frames: number;
    /** Largest bufferedAmount seen by the sender. */
    maxBuffered: number;
  };
};

function nodeHasher(): Hasher {
  const h = createHash('sha256');
  return { update: (b) => void h.update(b), digestHex: () => h.digest('hex') };
}

/** Wraps a hasher factory so the time spent hashing is counted. */
function timedHasher(factory: HasherFactory, acc: { ms: number }): HasherFactory {
  return (size) => {
    const h = factory(size);
    return {
      update(bytes) {
        const t = performance.now();
        h.update(bytes);
        acc.ms += performance.now() - t;
      },
      digestHex() {
        const t = performance.now();
        const d = h.digestHex();
        acc.ms += performance.now() - t;
        return d;
      },
    };
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bare(pair: ReturnType<typeof makePair>, bytes: number): Promise<number> {
  const ch = pair.tech.channel('files');
  const msg = new Uint8Array(64 * 1024);
  let received = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const off = pair.cust.on('files.frame', (f) => {
    received += f.byteLength;
    if (received >= bytes) resolveAll();
  });
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; ) {
    while (ch.bufferedAmount >= MiB) await sleep(1);
    ch.send(msg);
    sent += msg.byteLength;
  }
  await all;
  const ms = performance.now() - t0;
  off();
  return bytes / MB / (ms / 1000);
}

/** Measures the bare channel and the file protocol on the same pair of peers. */
export async function measureFileThroughputNode(options: { sizeMiB: number; hasher: HasherKind }): Promise<FileThroughputResult> {
  const { sizeMiB, hasher } = options;
  const bytes = sizeMiB * MiB;
  const pair = makePair();
  try {
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    // Warm-up, then the bare baseline.
    await bare(pair, 4 * MiB);
    const bareMBps = await bare(pair, bytes);

    const base: HasherFactory = hasher === 'node' ? nodeHasher : sha256Factory;
    const hs = { ms: 0 };
    const hr = { ms: 0 };
    const io = { read: 0, write: 0 };
    const port = pair.tech.filesPort();
    const stats = { pollsOverMark: 0, windowStalls: 0, frames: 0, maxBuffered: 0 };
    const highWaterMark = MiB;
    const maxInFlightBytes = 16 * MiB;
    let lastAck = 0;
    port.onMessage((m) => {
      if (m.type === 'file.ack') lastAck = m.nextChunk;
    });
    // A port that counts what the sender's pump sees.
    const countingPort: FilePort = {
      get isOpen() {
        return port.isOpen;
      },
      get bufferedAmount() {
        const b = port.bufferedAmount;
        if (b >= highWaterMark) stats.pollsOverMark++;
        else if ((stats.frames - lastAck) * 64 * 1024 >= maxInFlightBytes) stats.windowStalls++;
        if (b > stats.maxBuffered) stats.maxBuffered = b;
        return b;
      },
      sendMessage: (m) => port.sendMessage(m),
      sendFrame: (f) => {
        stats.frames++;
        return port.sendFrame(f);
      },
      onMessage: (h) => port.onMessage(h),
      onFrame: (h) => port.onFrame(h),
      onClose: (h) => port.onClose(h),
    };
    const sender = new FileTransfer({ hasher: timedHasher(base, hs), highWaterMark, maxInFlightBytes });
    let sink: MemorySink | null = null;
    const receiver = new FileTransfer({
      hasher: timedHasher(base, hr),
      sinkFactory: async (offer: FileOffer) => {
        const s = new MemorySink(offer.size);
        const write = s.write.bind(s);
        s.write = async (offset, chunk) => {
          const t = performance.now();
          await write(offset, chunk);
          io.write += performance.now() - t;
        };
        sink = s;
        return s;
      },
    });
    sender.attach(countingPort);
    receiver.attach(pair.cust.filesPort());
    let offerAt = 0;
    receiver.on('incoming', () => (offerAt = performance.now()));
    const data = randomBytes(bytes);
    const src = memorySource('bench.bin', data);
    const read = src.read.bind(src);
    src.read = async (o, l) => {
      const t = performance.now();
      const r = await read(o, l);
      io.read += performance.now() - t;
      return r;
    };
    const t0 = performance.now();
    const result = await sender.send(src).done;
    const total = performance.now() - t0;
    if (!result.ok) throw new Error(`transfer failed: ${result.code} ${result.message}`);
    const got = (sink as MemorySink | null)?.bytes();
    if (!got || createHash('sha256').update(got).digest('hex') !== createHash('sha256').update(data).digest('hex')) {
      throw new Error('received bytes differ');
    }
    sender.close();
    receiver.close();
    const fileMBps = bytes / MB / (total / 1000);
    return {
      sizeMiB,
      hasher,
      bareMBps,
      fileMBps,
      ratio: fileMBps / bareMBps,
      breakdown: {
        total,
        untilOffer: offerAt - t0,
        hashSender: hs.ms,
        hashReceiver: hr.ms,
        read: io.read,
        write: io.write,
        ...stats,
      },
    };
  } finally {
    pair.close();
  }
}

function print(r: FileThroughputResult): void {
  const b = r.breakdown;
  const f = (n: number): string => n.toFixed(0);
  console.log(
    `${r.sizeMiB} MiB, hasher ${r.hasher}: bare ${r.bareMBps.toFixed(1)} MB/s, file ${r.fileMBps.toFixed(1)} MB/s, ratio ${r.ratio.toFixed(2)}\n` +
      `  total ${f(b.total)} ms: until offer ${f(b.untilOffer)}, hash sender ${f(b.hashSender)}, hash receiver ${f(b.hashReceiver)}, ` +
      `read ${f(b.read)}, write ${f(b.write)}; frames ${b.frames}, polls over mark ${b.pollsOverMark}, window stalls ${b.windowStalls}, max bufferedAmount ${(b.maxBuffered / MiB).toFixed(2)} MiB`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizeMiB = Number(process.argv[2] ?? 64);
  const which = process.argv[3] ?? 'both';
  const kinds: HasherKind[] = which === 'both' ? ['pure', 'node'] : [which as HasherKind];
  for (const hasher of kinds) print(await measureFileThroughputNode({ sizeMiB, hasher }));
  process.exit(0);
}
