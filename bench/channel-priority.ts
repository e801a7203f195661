/**
 * Does @roamhq/wrtc honour data channel priority (RTCDataChannelInit.priority,
 * W3C webrtc-priority)? Two Node peers on loopback: a bulk channel kept at
 * 1 MiB buffered (as a file transfer keeps it) and a small-message channel
 * created with priority 'high' or left at the default; the one-way latency
 * of 16-byte messages on the small channel is measured (both peers in this
 * process: one clock). If priority were honoured, 'high' would not wait
 * behind the bulk queue.
 *
 *   npx tsx bench/channel-priority.ts [messages=100] [--marks]   (--marks: the wait behind a bulk channel kept under 1 B, 64 KiB, 128 KiB, 1 MiB)
 */
import { pathToFileURL } from 'node:url';
import { RTCPeerConnectionNode } from '../testkit/rtc-pair.ts';
import { median, p99 } from './lib/stats.ts';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Result = { priority: string; idle: { median: number; p99: number }; loaded: { median: number; p99: number }; bulkMBps: number };

async function once(priority: RTCPriorityType | undefined, messages: number, mark = MiB, byAcks = false): Promise<Result & { mark: number; byAcks: boolean }> {
  const a = new RTCPeerConnectionNode({ iceServers: [] });
  const b = new RTCPeerConnectionNode({ iceServers: [] });
  a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
  const mk = (pc: RTCPeerConnection, label: string, id: number, prio?: RTCPriorityType): RTCDataChannel =>
    pc.createDataChannel(label, { negotiated: true, id, ordered: true, ...(prio ? { priority: prio } : {}) });
  const bulkA = mk(a, 'bulk', 1, priority === undefined ? undefined : 'very-low');
  const bulkB = mk(b, 'bulk', 1, priority === undefined ? undefined : 'very-low');
  const smallA = mk(a, 'small', 2, priority);
  const smallB = mk(b, 'small', 2, priority);
  bulkB.binaryType = 'arraybuffer';
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  for (let i = 0; i < 500 && (smallA.readyState !== 'open' || bulkA.readyState !== 'open'); i++) await sleep(10);
  let bulkBytes = 0;
  bulkB.onmessage = (e: MessageEvent) => (bulkBytes += (e.data as ArrayBuffer).byteLength);
  let waiting: ((at: number) => void) | null = null;
  smallB.onmessage = () => waiting?.(performance.now());
  const ping = async (): Promise<number> => {
    const t = performance.now();
    const arrived = new Promise<number>((r) => (waiting = r));
    smallA.send('0123456789abcdef');
    const at = await Promise.race([arrived, sleep(2000).then(() => NaN)]);
    waiting = null;
    return at - t;
  };
  const idle: number[] = [];
  for (let i = 0; i < messages; i++) {
    idle.push(await ping());
    await sleep(5);
  }
  let pumping = true;
  let bulkSent = 0;
  const chunk = new Uint8Array(64 * 1024);
  const pump = (async () => {
    while (pumping) {
      // byAcks: what the receiver has not yet got (as acks tell a file sender) stays under the mark, not bufferedAmount.
      while (pumping && (byAcks ? bulkSent - bulkBytes : bulkA.bufferedAmount) < mark) {
        bulkA.send(chunk);
        bulkSent += chunk.byteLength;
      }
      await sleep(1);
    }
  })();
  await sleep(500);
  const t0 = performance.now();
  const b0 = bulkBytes;
  const loaded: number[] = [];
  for (let i = 0; i < messages; i++) {
    loaded.push(await ping());
    await sleep(5);
  }
  const bulkMBps = (bulkBytes - b0) / 1e6 / ((performance.now() - t0) / 1000);
  pumping = false;
  await pump;
  a.close();
  b.close();
  const ok = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x));
  return { mark, byAcks, priority: priority ?? 'default', idle: { median: median(ok(idle)), p99: p99(ok(idle)) }, loaded: { median: median(ok(loaded)), p99: p99(ok(loaded)) }, bulkMBps };
}

export async function measureChannelPriority(messages = 100): Promise<Result[]> {
  return [await once(undefined, messages), await once('high', messages)];
}

/** The small channel's wait behind a bulk channel kept under `mark` bytes buffered (1: only sent into an empty queue): is there a queue bufferedAmount does not show? */
export async function measureBehindMarks(messages = 100, marks = [1, 64 * 1024, 128 * 1024, MiB]): Promise<Array<Result & { mark: number; byAcks: boolean }>> {
  const out: Array<Result & { mark: number; byAcks: boolean }> = [];
  for (const mark of marks) out.push(await once(undefined, messages, mark));
  // The same bound counted as bytes the receiver has not yet got (a file sender's unacknowledged bytes).
  for (const mark of [64 * 1024 + 1, 128 * 1024]) out.push(await once(undefined, messages, mark, true));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--marks')) {
  for (const r of await measureBehindMarks(Number(process.argv[2] ?? 100))) {
    console.log(`bulk kept under ${r.mark} bytes ${r.byAcks ? 'not yet received' : 'buffered'} (${r.bulkMBps.toFixed(1)} MB/s): small message median ${r.loaded.median.toFixed(2)} ms p99 ${r.loaded.p99.toFixed(2)} ms (idle median ${r.idle.median.toFixed(2)} ms)`);
  }
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await measureChannelPriority(Number(process.argv[2] ?? 100))) {
    console.log(
      `small channel priority ${r.priority}: idle median ${r.idle.median.toFixed(2)} ms p99 ${r.idle.p99.toFixed(2)} ms; ` +
        `behind 1 MiB of bulk (${r.bulkMBps.toFixed(1)} MB/s): median ${r.loaded.median.toFixed(2)} ms p99 ${r.loaded.p99.toFixed(2)} ms`,
    );
  }
  process.exit(0);
}
