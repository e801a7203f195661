import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { FileMessage } from '../../protocol/channels.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import type { FileOffer, TransferResult } from '../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

type Item = { to: End; msg?: FileMessage; frame?: Uint8Array; bytes: number };
type End = { messages: Array<(m: FileMessage) => void>; frames: Array<(f: Uint8Array) => void>; queued: number };

/**
 * Two FilePorts joined by a link that moves `bytesPerSecond` (both ways
 * together) and nothing while `up` is false: a slow or dead path, with
 * bufferedAmount the bytes still queued on the sending side, as SCTP would.
 */
class Link {
  up = true;
  /** Connected (up) but carrying nothing: a live path on which SCTP does not move. */
  frozen = false;
  private readonly queue: Item[] = [];
  private readonly a: End = { messages: [], frames: [], queued: 0 };
  private readonly b: End = { messages: [], frames: [], queued: 0 };
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly bytesPerSecond: number) {
    // The budget grows with the time that really passed: on a loaded machine the 10 ms timer fires late, and a
    // fixed 10 ms per tick made the link several times slower than its rate (acks then waited past stallMs).
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.tick(Math.min(now - last, 200));
      last = now;
    }, 10);
  }

  ports(): [FilePort, FilePort] {
    return [this.port(this.a, this.b), this.port(this.b, this.a)];
  }

  close(): void {
    clearInterval(this.timer);
  }

  private budget = 0;
  private tick(ms: number): void {
    if (!this.up || this.frozen) return;
    this.budget += (this.bytesPerSecond * ms) / 1000;
    while (this.queue.length > 0 && this.budget >= this.queue[0]!.bytes) {
      const item = this.queue.shift()!;
      this.budget -= item.bytes;
      const from = item.to === this.a ? this.b : this.a;
      from.queued -= item.bytes;
      if (item.msg) for (const h of item.to.messages) h(JSON.parse(JSON.stringify(item.msg)) as FileMessage);
      if (item.frame) for (const h of item.to.frames) h(item.frame.slice());
    }
    if (this.queue.length === 0) this.budget = 0;
  }

  private port(self: End, peer: End): FilePort {
    const queue = this.queue;
    const isUp = (): boolean => this.up;
    const send = (item: Omit<Item, 'to'>): boolean => {
      self.queued += item.bytes;
      queue.push({ ...item, to: peer });
      return true;
    };
    return {
      isOpen: true,
      get bufferedAmount() {
        return self.queued;
      },
      get pathUp() {
        return isUp();
      },
      sendMessage: (msg) => send({ msg, bytes: JSON.stringify(msg).length }),
      // A copy, as a data channel's send makes (FilePort.sendFrame: the sender reuses the frame's buffer).
      sendFrame: (frame) => send({ frame: frame.slice(), bytes: frame.byteLength }),
      onMessage: (h) => (self.messages.push(h), () => self.messages.splice(self.messages.indexOf(h), 1)),
      onFrame: (h) => (self.frames.push(h), () => self.frames.splice(self.frames.indexOf(h), 1)),
      onClose: () => () => undefined,
    };
  }
}

/** Transfers must survive SCTP under loss: slow but live paths and paths that die for a while are not stalls. */
describe('rtc/file-transfer on a slow or briefly dead path (no timer ends a live transfer)', function () {
  this.timeout(30_000);
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function setup(bytesPerSecond: number, stallMs: number): { link: Link; sender: FileTransfer; sinks: MemorySink[] } {
    const link = new Link(bytesPerSecond);
    const [pa, pb] = link.ports();
    const sinks: MemorySink[] = [];
    // 1 KiB chunks, acks every 16 chunks: 16 KiB between acks, far more than stallMs of this link's rate.
    const sender = new FileTransfer({ chunkSize: 1024, stallMs, ackEveryChunks: 16 });
    const receiver = new FileTransfer({
      stallMs,
      ackEveryChunks: 16,
      sinkFactory: async (offer: FileOffer) => {
        const s = new MemorySink(offer.size);
        sinks.push(s);
        return s;
      },
    });
    sender.attach(pa);
    receiver.attach(pb);
    cleanups.push(() => (sender.close(), receiver.close(), link.close()));
    return { link, sender, sinks };
  }

  it('a path slower than one ack interval per stallMs still completes, SHA-256 verified', async () => {
    // 64 KiB at 20 KB/s: ~3.3 s, everything is sent (and queued) at once, 16 KiB between acks takes ~800 ms > stallMs.
    const { sender, sinks } = setup(20_000, 300);
    const data = randomBytes(64 * 1024);
    const result: TransferResult = await sender.send(memorySource('slow.bin', data)).done;
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(sha(sinks[0]!.bytes())).to.equal(sha(data));
  });

  it('a path that carries nothing for 2 s (connection not connected) resumes; a stall is only time on a live path', async () => {
    // stallMs (1 s) well under the 2 s outage, which must not count, and well over a loaded machine's event-loop pauses.
    const { link, sender, sinks } = setup(200_000, 1000);
    const data = randomBytes(256 * 1024);
    const { done } = sender.send(memorySource('outage.bin', data));
    await new Promise((r) => setTimeout(r, 300));
    link.up = false;
    await new Promise((r) => setTimeout(r, 2000));
    const states = sender.list().map((t) => t.state);
    expect(states).to.have.length(1);
    expect(states[0], 'still live after 2 s with the path down').to.be.oneOf(['sending', 'verifying']);
    link.up = true;
    const result: TransferResult = await done;
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(sha(sinks[0]!.bytes())).to.equal(sha(data));
  });

  it('a live path on which nothing moves for stallMs ends the transfer with FILE_IO (a real stall still ends)', async () => {
    const { link, sender } = setup(100_000, 300);
    const { done } = sender.send(memorySource('stuck.bin', randomBytes(256 * 1024)));
    await new Promise((r) => setTimeout(r, 200));
    link.frozen = true;
    const result: TransferResult = await done;
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.code).to.equal('FILE_IO');
    expect(!result.ok && result.message).to.match(/no (progress|ack or file.complete) for 300 ms on a connected path/);
  });
});
