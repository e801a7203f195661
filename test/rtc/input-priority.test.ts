import FakeTimers from '@sinonjs/fake-timers';
import { expect } from 'chai';
import type { FileMessage } from '../../protocol/channels.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import { makePair, waitFor } from '../../testkit/rtc-pair.ts';

/**
 * A files channel that drains at once and accepts every offer; it counts the frames sent. Its receiver acks
 * every frame as it arrives (as a receiver does while input is recent), unless `acks` is false.
 */
function instantPort(input: { msSince: number }, acks = true): FilePort & { frames: number } {
  let onMessage: (m: FileMessage) => void = () => undefined;
  let transferId = '';
  const port = {
    frames: 0,
    isOpen: true,
    bufferedAmount: 0,
    get msSinceInput() {
      return input.msSince;
    },
    sendMessage: (m: FileMessage) => {
      if (m.type === 'file.offer') {
        transferId = m.transferId;
        queueMicrotask(() => onMessage({ type: 'file.accept', transferId: m.transferId, fromChunk: 0 }));
      }
      return true;
    },
    sendFrame: (f: Uint8Array) => {
      port.frames++;
      const nextChunk = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(16, false) + 1;
      if (acks) queueMicrotask(() => onMessage({ type: 'file.ack', transferId, nextChunk }));
      return true;
    },
    onMessage: (h: (m: FileMessage) => void) => {
      onMessage = h;
      return () => undefined;
    },
    onFrame: () => () => undefined,
    onClose: () => () => undefined,
  };
  return port;
}

describe('rtc: input goes before files', () => {
  it('a PeerSession notes input crossing it either way, and nothing else', async () => {
    const pair = makePair();
    try {
      await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
      pair.tech.send('chat', { type: 'chat', msgId: crypto.randomUUID(), text: 'hello', at: Date.now() });
      pair.tech.send('control', { type: 'permission.request', permission: 'control' });
      await new Promise((r) => setTimeout(r, 200));
      expect(pair.tech.msSinceInput, 'chat and control are not input').to.equal(Infinity);
      expect(pair.cust.msSinceInput).to.equal(Infinity);
      pair.tech.send('pointer', { type: 'pointer.move', x: 0.5, y: 0.5 });
      expect(pair.tech.msSinceInput, 'sent').to.be.lessThan(1000);
      await waitFor(() => pair.cust.msSinceInput < 1000, 10_000, 'the customer side to note the move it received');
      expect(pair.tech.filesPort().msSinceInput, 'the files port reports it').to.be.lessThan(5000);
    } finally {
      pair.close();
    }
  });

  it('while input crosses the connection an outgoing file only trickles (one chunk per 50 ms), and runs at full speed once input stops', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const input = { msSince: 0 };
    const port = instantPort(input);
    const files = new FileTransfer({});
    try {
      files.attach(port);
      const { done } = files.send(memorySource('big.bin', new Uint8Array(128 * 64 * 1024)));
      await clock.tickAsync(1000);
      expect(port.frames, 'frames sent in 1 s of input').to.be.within(19, 22);
      input.msSince = Infinity;
      await clock.tickAsync(100);
      expect(port.frames, 'every frame once input stopped').to.equal(128);
      files.cancelAll('test over');
      await done;
    } finally {
      files.close();
      clock.uninstall();
    }
  });

  // With the cue, inputs 30 ms apart (closer than the 50 ms trickle): every other one gets a chunk, sent in the same tick.
  // Polling, inputs 120 ms apart: one chunk each, at the first poll after it. Never two chunks between two inputs.
  for (const [cue, gapMs, inputs, chunks] of [
    ['an onInput event', 30, 16, 8],
    ['polling msSinceInput', 120, 8, 8],
  ] as const) {
    it(`while input is active a chunk goes right behind an input message (${cue}, inputs ${gapMs} ms apart)`, async () => {
      const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
      let inputAt = performance.now();
      const order: string[] = [];
      const listeners = new Set<() => void>();
      const port = instantPort({ msSince: 0 });
      Object.defineProperty(port, 'msSinceInput', { get: () => performance.now() - inputAt });
      if (cue === 'an onInput event') port.onInput = (h) => (listeners.add(h), () => listeners.delete(h));
      const sendFrame = port.sendFrame.bind(port);
      port.sendFrame = (f) => (order.push(`chunk ${performance.now() - inputAt} ms after`), sendFrame(f));
      const files = new FileTransfer({});
      try {
        files.attach(port);
        const { done } = files.send(memorySource('big.bin', new Uint8Array(128 * 64 * 1024)));
        await clock.tickAsync(100);
        order.length = 0; // The first chunk went at once; what follows is paced by input.
        for (let k = 0; k < inputs; k++) {
          await clock.tickAsync(gapMs);
          inputAt = performance.now();
          order.push('input');
          for (const h of [...listeners]) h();
        }
        await clock.tickAsync(gapMs - 1);
        const sent = order.filter((e) => e.startsWith('chunk'));
        expect(sent, order.join(', ')).to.have.length(chunks);
        expect(order.some((e, i) => e.startsWith('chunk') && order[i - 1]?.startsWith('chunk')), 'two chunks in one gap').to.equal(false);
        if (cue === 'an onInput event') expect(new Set(sent)).to.deep.equal(new Set(['chunk 0 ms after']));
        files.cancelAll('test over');
        await done;
      } finally {
        files.close();
        clock.uninstall();
      }
    });
  }

  it('input older than inputActiveMs does not slow a file', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const port = instantPort({ msSince: 600 });
    const files = new FileTransfer({ inputActiveMs: 500 });
    try {
      files.attach(port);
      files.send(memorySource('big.bin', new Uint8Array(64 * 64 * 1024)));
      await clock.tickAsync(20);
      expect(port.frames).to.equal(64);
    } finally {
      files.close();
      clock.uninstall();
    }
  });

  it('for a while after input, at most inputWindowBytes wait in the channel ahead of the next input message (1 MiB without input)', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    try {
      for (const [msSince, expected] of [
        [2000, 128 * 1024],
        [Infinity, 1024 * 1024],
      ] as const) {
        // A channel that never drains: what the sender queues is what waits ahead of input.
        const port = instantPort({ msSince });
        Object.defineProperty(port, 'bufferedAmount', { get: () => port.frames * 64 * 1024 });
        const files = new FileTransfer({});
        files.attach(port);
        files.send(memorySource('big.bin', new Uint8Array(64 * 64 * 1024)));
        await clock.tickAsync(200);
        expect(port.frames * 64 * 1024, `queued with input ${msSince} ms ago`).to.equal(expected);
        files.close();
      }
    } finally {
      clock.uninstall();
    }
  });

  it('while input is recent, what waits ahead of it is bounded by acks, not only bufferedAmount (which can read 0 with SCTP still holding data)', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    try {
      for (const [msSince, inputAcks, expected] of [
        [2000, true, 2], // recent: inputWindowBytes (128 KiB) beyond the last ack
        [100, true, 1], // active: nothing beyond the chunk in transit
        [2000, false, 64], // as before: bufferedAmount (always 0 here) alone
        [Infinity, true, 64], // no input: acks do not slow the file
      ] as const) {
        // bufferedAmount stays 0 and the receiver never acks: only the ack rule holds the sender back.
        const port = instantPort({ msSince }, false);
        const files = new FileTransfer({ inputAcks });
        files.attach(port);
        files.send(memorySource('big.bin', new Uint8Array(64 * 64 * 1024)));
        await clock.tickAsync(60);
        expect(port.frames, `frames unacknowledged with input ${msSince} ms ago, inputAcks ${inputAcks}`).to.equal(expected);
        // A receiver that does not ack each chunk (an older version) holds the file back only for a moment.
        if (msSince === 2000) {
          await clock.tickAsync(300);
          expect(port.frames, 'after the wait on acks').to.equal(64);
        }
        files.close();
      }
    } finally {
      clock.uninstall();
    }
  });

  it('a receiver acks every chunk while input is recent (every ackEveryChunks otherwise)', async () => {
    const pair = makePair();
    const send = new FileTransfer({});
    const sinks: number[] = [];
    const recv = new FileTransfer({ sinkFactory: async () => ({ write: async (o) => void sinks.push(o), finish: async () => ({}), abort: async () => undefined }) });
    try {
      await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
      send.attach(pair.tech.filesPort());
      recv.attach(pair.cust.filesPort());
      const acks: number[] = [];
      pair.tech.filesPort().onMessage((m) => m.type === 'file.ack' && acks.push(m.nextChunk));
      expect((await send.send(memorySource('quiet.bin', new Uint8Array(32 * 64 * 1024))).done).ok).to.equal(true);
      const quiet = acks.length;
      acks.length = 0;
      pair.tech.send('pointer', { type: 'pointer.move', x: 0.5, y: 0.5 });
      await waitFor(() => pair.cust.msSinceInput < 1000, 10_000, 'the receiver to note the move');
      expect((await send.send(memorySource('busy.bin', new Uint8Array(32 * 64 * 1024))).done).ok).to.equal(true);
      expect(quiet, 'acks without input').to.be.at.most(4);
      expect(acks, 'acks with input recent').to.deep.equal(Array.from({ length: 32 }, (_, i) => i + 1));
    } finally {
      send.close();
      recv.close();
      pair.close();
    }
  });
});
