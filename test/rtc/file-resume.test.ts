import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import type { FileOffer, TransferResult } from '../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';
import { makePair, nextEvent, waitFor } from '../../testkit/rtc-pair.ts';
import type { Pair } from '../../testkit/rtc-pair.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Every chunk's offset once, in order: nothing written twice, nothing skipped. */
const eachChunkOnce = (size: number): number[] => Array.from({ length: Math.ceil(size / CHUNK) }, (_, i) => i * CHUNK);

type Side = { ft: FileTransfer; sinks: MemorySink[] };
function side(opts: ConstructorParameters<typeof FileTransfer>[0] = {}): Side {
  const sinks: MemorySink[] = [];
  const ft = new FileTransfer({
    sinkFactory: async (offer: FileOffer) => {
      const s = new MemorySink(offer.size);
      sinks.push(s);
      return s;
    },
    ...opts,
  });
  return { ft, sinks };
}

/** Issue 18 point 2 (the transfer part): a transfer survives its path and its channel, from the last verified chunk. */
describe('rtc/file-transfer: resume from the last verified chunk (real wrtc peers)', function () {
  this.timeout(60_000);
  const pairs: Pair[] = [];
  const sides: Side[] = [];
  afterEach(() => {
    pairs.splice(0).forEach((p) => p.close());
    sides.splice(0).forEach((s) => s.ft.close());
  });

  async function connected(): Promise<Pair> {
    const p = makePair();
    pairs.push(p);
    await Promise.all([p.tech.waitOpen(), p.cust.waitOpen()]);
    return p;
  }

  function attach(p: Pair, a: Side, b: Side): void {
    a.ft.attach(p.tech.filesPort());
    b.ft.attach(p.cust.filesPort());
  }

  function twoSides(): { a: Side; b: Side } {
    // Progress at every chunk: the receiver's 2 MiB mark is seen at once, not up to 100 ms (several MiB on loopback) later.
    const a = side({ ackEveryChunks: 4, progressIntervalMs: 0 });
    const b = side({ progressIntervalMs: 0 });
    sides.push(a, b);
    return { a, b };
  }

  const received = (b: Side, bytes: number): Promise<unknown> =>
    nextEvent<{ bytes: number }>((h) => b.ft.on('progress', (e) => e.direction === 'receive' && e.bytes >= bytes && h(e)), 20_000, `${bytes} bytes received`);

  it('an ICE restart mid-transfer keeps the channel: the transfer goes on, every chunk written once, SHA-256 verified', async () => {
    const p = await connected();
    const { a, b } = twoSides();
    attach(p, a, b);
    const data = randomBytes(32 * MiB);
    let pauses = 0;
    a.ft.on('paused', () => pauses++);
    b.ft.on('paused', () => pauses++);
    const { done } = a.ft.send(memorySource('ice-restart.bin', data));
    await received(b, MiB);
    const ufrags = (): string[] =>
      p.signals.toCust.flatMap((s) => (s.kind === 'description' && s.description.type === 'offer' ? [/a=ice-ufrag:(\S+)/.exec(s.description.sdp ?? '')?.[1] ?? ''] : []));
    const before = ufrags();
    await p.tech.restartIce('test');
    // A new offer with new ICE credentials went out while the file was moving.
    await waitFor(() => ufrags().length > before.length, 10_000, 'the ICE restart offer');
    expect(ufrags().at(-1)).to.not.equal(before.at(-1));
    expect(b.ft.list().map((t) => t.state), 'the file was still moving when the restart offer went out').to.deep.equal(['receiving']);
    const result: TransferResult = await done;
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(result.ok && result.resumedFromChunk).to.equal(0);
    expect(pauses, 'the channel stayed: no side paused').to.equal(0);
    expect(b.sinks).to.have.length(1);
    expect(b.sinks[0]!.offsets).to.deep.equal(eachChunkOnce(data.length));
    expect(sha(b.sinks[0]!.bytes())).to.equal(sha(data));
  });

  for (const [what, cut] of [
    ['the files channel alone closes', (p: Pair) => p.tech.channel('files').close()],
    ['the peer connection is replaced', (p: Pair) => p.close()],
  ] as const) {
    for (const direction of ['technician → customer', 'customer → technician'] as const) {
      it(`${what} mid-transfer (${direction}): a new connection resumes from the last verified chunk; nothing written twice or lost`, async () => {
        const p1 = await connected();
        const { a, b } = twoSides();
        attach(p1, a, b);
        const [from, to] = direction === 'technician → customer' ? [a, b] : [b, a];
        // Big enough that the cut lands mid-transfer: with 6 MiB the receiver sometimes had it all (and had finished)
        // before the cut, so nothing paused on its side.
        const data = randomBytes(24 * MiB);
        const { done } = from.ft.send(memorySource('resume.bin', data));
        await received(to, 2 * MiB);
        const resumed = nextEvent<{ fromChunk: number }>((h) => from.ft.on('resumed', h), 20_000, 'resumed');
        cut(p1);
        await waitFor(() => from.ft.list()[0]?.state === 'paused' && to.ft.list()[0]?.state === 'paused', 10_000, 'both sides paused');
        const p2 = await connected();
        attach(p2, a, b);
        const { fromChunk } = await resumed;
        const result: TransferResult = await done;
        expect(result.ok, JSON.stringify(result)).to.equal(true);
        // Resumed past what had arrived before the cut, from what the receiver had verified.
        expect(fromChunk).to.be.at.least((2 * MiB) / CHUNK);
        expect(result.ok && result.resumedFromChunk).to.equal(fromChunk);
        expect(to.sinks).to.have.length(1);
        expect(to.sinks[0]!.offsets).to.deep.equal(eachChunkOnce(data.length));
        expect(to.sinks[0]!.finished).to.equal(true);
        expect(result.ok && result.sha256).to.equal(sha(data));
        expect(sha(to.sinks[0]!.bytes())).to.equal(sha(data));
      });
    }
  }
});
