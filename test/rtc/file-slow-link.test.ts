import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { FileMessage } from '../../protocol/channels.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const KiB = 1024;

type Item = { msg: FileMessage } | { frame: Uint8Array };

/**
 * Two FilePorts joined by a slow link: what is sent queues (counted in
 * `bufferedAmount`, as a data channel's send buffer) and leaves at
 * `bytesPerSecond`, in order, as on a lossy path where SCTP's congestion
 * window is small.
 */
function slowLink(bytesPerSecond: number): { a: FilePort; b: FilePort; close(): void } {
  const make = () => {
    const queue: Item[] = [];
    const state = { buffered: 0, msgs: new Set<(m: FileMessage) => void>(), frames: new Set<(f: Uint8Array) => void>() };
    return { queue, state };
  };
  const ends = [make(), make()] as const;
  const size = (item: Item): number => ('frame' in item ? item.frame.byteLength : JSON.stringify(item.msg).length);
  // Each direction earns bytesPerSecond / 100 every 10 ms, spent on whole items in order.
  const budgets = [0, 0];
  const timer = setInterval(() => {
    for (const [i, from, to] of [
      [0, ends[0], ends[1]],
      [1, ends[1], ends[0]],
    ] as const) {
      budgets[i] = from.queue.length === 0 ? 0 : (budgets[i] ?? 0) + bytesPerSecond / 100;
      while (from.queue.length > 0 && size(from.queue[0] as Item) <= (budgets[i] ?? 0)) {
        const item = from.queue.shift() as Item;
        budgets[i] = (budgets[i] ?? 0) - size(item);
        from.state.buffered -= size(item);
        if ('frame' in item) to.state.frames.forEach((h) => h(item.frame));
        else to.state.msgs.forEach((h) => h(item.msg));
      }
    }
  }, 10);
  const port = (end: (typeof ends)[number]): FilePort => ({
    isOpen: true,
    get bufferedAmount() {
      return end.state.buffered;
    },
    sendMessage: (msg) => {
      end.queue.push({ msg: JSON.parse(JSON.stringify(msg)) as FileMessage });
      end.state.buffered += JSON.stringify(msg).length;
      return true;
    },
    sendFrame: (frame) => {
      end.queue.push({ frame: frame.slice() });
      end.state.buffered += frame.byteLength;
      return true;
    },
    onMessage: (h) => {
      end.state.msgs.add(h);
      return () => end.state.msgs.delete(h);
    },
    onFrame: (h) => {
      end.state.frames.add(h);
      return () => end.state.frames.delete(h);
    },
    onClose: () => () => undefined,
  });
  return { a: port(ends[0]), b: port(ends[1]), close: () => clearInterval(timer) };
}

describe('rtc/file-transfer on a slow link', function () {
  this.timeout(20_000);

  it('completes when the last chunks take longer than stallMs to leave the send buffer, because they keep leaving', async () => {
    // Found by test/faults/loss.fault.ts: at 10% loss the last 1 MiB sat in the channel's buffer for more than
    // 30 s and the sender gave up ("no file.complete within 30000 ms") while the receiver was still taking chunks.
    const link = slowLink(256 * KiB);
    const opts = { chunkSize: 16 * KiB, highWaterMark: 128 * KiB, ackEveryChunks: 4, stallMs: 250 };
    const sinks: MemorySink[] = [];
    const sender = new FileTransfer(opts);
    const receiver = new FileTransfer({
      ...opts,
      sinkFactory: async (offer) => {
        const sink = new MemorySink(offer.size);
        sinks.push(sink);
        return sink;
      },
    });
    try {
      sender.attach(link.a);
      receiver.attach(link.b);
      const data = randomBytes(512 * KiB);
      const result = await sender.send(memorySource('slow.bin', data)).done;
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      expect(sha(sinks[0]!.bytes())).to.equal(sha(data));
    } finally {
      sender.close();
      receiver.close();
      link.close();
    }
  });

  it('still gives up with FILE_IO when nothing leaves the buffer for stallMs', async () => {
    const link = slowLink(256 * KiB);
    const stuck: FilePort = { ...link.a, bufferedAmount: 1, sendFrame: () => true, sendMessage: (m) => link.a.sendMessage(m) };
    Object.defineProperty(stuck, 'bufferedAmount', { get: () => 64 * KiB });
    const sender = new FileTransfer({ chunkSize: 16 * KiB, highWaterMark: 128 * KiB, stallMs: 250 });
    const receiver = new FileTransfer({ sinkFactory: async (offer) => new MemorySink(offer.size) });
    try {
      sender.attach(stuck);
      receiver.attach(link.b);
      const result = await sender.send(memorySource('stuck.bin', randomBytes(64 * KiB))).done;
      expect(result.ok ? 'ok' : `${result.code}: ${result.message}`).to.match(/^FILE_IO: no ack or file.complete for 250 ms/);
    } finally {
      sender.close();
      receiver.close();
      link.close();
    }
  });
});
