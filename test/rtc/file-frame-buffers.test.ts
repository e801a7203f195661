import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { FileMessage } from '../../protocol/channels.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';
import { Sha256, type Hasher } from '../../rtc/sha256.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

type End = { messages: Array<(m: FileMessage) => void>; frames: Array<(f: Uint8Array) => void> };

/** Two FilePorts that deliver a turn later, copying as a data channel does; `sent` records every frame as the sender passed it. */
function portPair(): { a: FilePort; b: FilePort; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const ends: [End, End] = [
    { messages: [], frames: [] },
    { messages: [], frames: [] },
  ];
  const port = (self: End, peer: End): FilePort => ({
    isOpen: true,
    bufferedAmount: 0,
    sendMessage: (m) => (setImmediate(() => peer.messages.forEach((h) => h(JSON.parse(JSON.stringify(m)) as FileMessage))), true),
    sendFrame: (f) => {
      sent.push(f);
      const copy = f.slice();
      setImmediate(() => peer.frames.forEach((h) => h(copy)));
      return true;
    },
    onMessage: (h) => (self.messages.push(h), () => undefined),
    onFrame: (h) => (self.frames.push(h), () => undefined),
    onClose: () => () => undefined,
  });
  return { a: port(ends[0], ends[1]), b: port(ends[1], ends[0]), sent };
}

/** A hasher that takes the buffers it is handed (as the console's worker does), recording them. */
function owningHasher(taken: ArrayBufferLike[]): Hasher {
  const inner = new Sha256();
  return {
    update: (bytes) => inner.update(bytes.slice()),
    updateOwned: (bytes) => {
      taken.push(bytes.buffer);
      inner.update(bytes);
    },
    digestHex: () => inner.digestHex(),
  };
}

/**
 * Sends `bytes` in 1 KiB chunks. `committed`: the receiver's sink already holds that many chunks of the file (a
 * partial file from an earlier attempt), so the sender starts past them.
 */
async function send(hasher: (() => Hasher) | undefined, bytes: Uint8Array, committed = 0): Promise<{ sent: Uint8Array[]; ok: boolean; sha256: string; received: Uint8Array }> {
  const { a, b, sent } = portPair();
  const sender = new FileTransfer({ chunkSize: 1024, ...(hasher ? { hasher } : {}) });
  let sink: MemorySink | null = null;
  const receiver = new FileTransfer({
    sinkFactory: async (offer) => {
      const s = (sink = new MemorySink(offer.size));
      if (committed === 0) return s;
      await s.write(0, bytes.subarray(0, committed * 1024));
      return { committedChunks: committed, read: async (o: number, n: number) => bytes.slice(o, o + n), write: (o: number, x: Uint8Array) => s.write(o, x), finish: () => s.finish(), abort: (r: string) => s.abort(r) };
    },
  });
  sender.attach(a);
  receiver.attach(b);
  try {
    const result = await sender.send(memorySource('f.bin', bytes)).done;
    return { sent, ok: result.ok, sha256: result.ok ? result.sha256 : '', received: (sink as MemorySink | null)?.bytes() ?? new Uint8Array(0) };
  } finally {
    sender.close();
    receiver.close();
  }
}

describe('rtc/file-sender: the buffers frames are built in', () => {
  it('with a hasher that does not take buffers (Node, pure TS), every frame is built in one reused buffer, and the file verifies', async () => {
    const bytes = new Uint8Array(randomBytes(10 * 1024 + 300));
    const r = await send(undefined, bytes);
    expect(r.ok).to.equal(true);
    expect(r.sha256).to.equal(sha(bytes));
    expect(Buffer.from(r.received).equals(Buffer.from(bytes))).to.equal(true);
    expect(r.sent).to.have.length(11);
    expect(new Set(r.sent.map((f) => f.buffer)).size).to.equal(1);
    expect(r.sent.at(-1)!.byteLength).to.equal(20 + 300); // the last, short frame is a view of the right length
  });

  it('with a hasher that takes buffers (the console worker), frames still share one buffer; each read block goes to the hasher whole once its frames are sent, the last two are copied for an early digest', async () => {
    // chunkSize 1024: a read-ahead block is 64 chunks (64 KiB); 6 blocks, the last one short.
    const bytes = new Uint8Array(randomBytes(5 * 64 * 1024 + 1));
    const taken: ArrayBufferLike[] = [];
    const r = await send(() => owningHasher(taken), bytes);
    expect(r.ok).to.equal(true);
    expect(r.sha256).to.equal(sha(bytes));
    expect(Buffer.from(r.received).equals(Buffer.from(bytes))).to.equal(true);
    expect(r.sent).to.have.length(321);
    expect(new Set(r.sent.map((f) => f.buffer)).size).to.equal(1);
    // Blocks 0-3 handed over whole (each its own buffer, none a frame's), at most the last two copied instead.
    expect(taken).to.have.length(4);
    expect(taken.every((b) => b.byteLength === 64 * 1024)).to.equal(true);
    expect(new Set(taken).size).to.equal(4);
    expect(taken.includes(r.sent[0]!.buffer)).to.equal(false);
  });

  it('a receiver holding a partial file: the sender starts past it, hashing the blocks it skips, with either kind of hasher', async () => {
    const bytes = new Uint8Array(randomBytes(5 * 64 * 1024 + 1));
    for (const hasher of [undefined, () => owningHasher([])]) {
      const r = await send(hasher, bytes, 150); // Chunk 150 is in block 2: blocks 0 and 1 are hashed before the first frame.
      expect(r.ok).to.equal(true);
      expect(r.sha256).to.equal(sha(bytes));
      expect(Buffer.from(r.received).equals(Buffer.from(bytes))).to.equal(true);
      expect(r.sent).to.have.length(321 - 150); // Only the chunks past the partial file crossed.
    }
  });
});
