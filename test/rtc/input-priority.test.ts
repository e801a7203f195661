import FakeTimers from '@sinonjs/fake-timers';
import { expect } from 'chai';
import type { FileMessage } from '../../protocol/channels.ts';
import type { FilePort } from '../../rtc/file-channel-port.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import { makePair, waitFor } from '../../testkit/rtc-pair.ts';

/** A files channel that drains at once and accepts every offer; it counts the frames sent. */
function instantPort(input: { msSince: number }): FilePort & { frames: number } {
  let onMessage: (m: FileMessage) => void = () => undefined;
  const port = {
    frames: 0,
    isOpen: true,
    bufferedAmount: 0,
    get msSinceInput() {
      return input.msSince;
    },
    sendMessage: (m: FileMessage) => {
      if (m.type === 'file.offer') queueMicrotask(() => onMessage({ type: 'file.accept', transferId: m.transferId, fromChunk: 0 }));
      return true;
    },
    sendFrame: () => {
      port.frames++;
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
});
