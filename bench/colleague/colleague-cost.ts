/**
 * What a colleague costs the customer's machine: the customer's end sending
 * its screen to one technician (a colleague relayed by the lead's console,
 * docs/decisions.md) against two peer connections from the customer (one per
 * technician). Synthetic 1280x720 frames at 30 fps through `@roamhq/wrtc`
 * (the agent's stack), receivers in a child process; the figures are the
 * customer process's CPU and the bytes its connections sent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wrtc from '@roamhq/wrtc';
import { gathered } from './ice-gathered.ts';
import type { BenchRow } from '../lib/table.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const W = 1280;
const H = 720;

type Result = { cpuPercent: number; kbps: number; framesReceived: number[] };

export async function runColleagueCost(opts: { quick: boolean }): Promise<BenchRow[]> {
  const seconds = opts.quick ? 4 : 10;
  const one = await measure(1, seconds);
  const two = await measure(2, seconds);
  const note = `1280x720 30 fps synthetic, ${seconds} s, frames received ${[...one.framesReceived, ...two.framesReceived].join('/')}`;
  return [
    { group: 'colleague', name: 'customer CPU, colleague relayed by the lead (1 connection)', value: one.cpuPercent, unit: '% core', note },
    { group: 'colleague', name: 'customer CPU, second connection from the customer', value: two.cpuPercent, unit: '% core', reference: { name: 'relayed', value: one.cpuPercent } },
    { group: 'colleague', name: 'customer upload, colleague relayed by the lead', value: one.kbps, unit: 'kbit/s' },
    { group: 'colleague', name: 'customer upload, second connection from the customer', value: two.kbps, unit: 'kbit/s', reference: { name: 'relayed', value: one.kbps } },
  ];
}

async function measure(connections: number, seconds: number): Promise<Result> {
  const child = fork(path.join(HERE, 'receivers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
  const track = source.createTrack();
  const pcs: RTCPeerConnection[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
      pc.addTrack(track);
      pcs.push(pc);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const answer = await ask<{ sdp: string }>(child, { type: 'offer', index: i, sdp: pc.localDescription?.sdp ?? '' }, 'answer');
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    }
    const frame = new Uint8Array(W * H * 1.5);
    // Warm up (connect, ramp the encoder) for 2 s, then measure.
    const push = (n: number): void => {
      const x = (n * 16) % W;
      frame.fill(16, 0, W * H);
      for (let row = 0; row < H; row += 2) frame.fill(235, row * W + x, row * W + Math.min(W, x + 200));
      for (let i = 0; i < 4000; i++) frame[(n * 7919 + i * 104729) % (W * H)] = (n + i) & 0xff;
      source.onFrame({ width: W, height: H, data: frame });
    };
    let n = 0;
    const timer = setInterval(() => push(n++), 1000 / 30);
    await sleep(2000);
    const sent0 = await bytesSent(pcs);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const sent = (await bytesSent(pcs)) - sent0;
    clearInterval(timer);
    const report = await ask<{ frames: number[] }>(child, { type: 'report' }, 'report');
    return { cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100, kbps: (sent * 8) / wall, framesReceived: report.frames };
  } finally {
    track.stop();
    for (const pc of pcs) pc.close();
    child.kill();
  }
}

async function bytesSent(pcs: RTCPeerConnection[]): Promise<number> {
  let total = 0;
  for (const pc of pcs) {
    const stats = await pc.getStats();
    stats.forEach((s: { type: string; kind?: string; bytesSent?: number }) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') total += s.bytesSent ?? 0;
    });
  }
  return total;
}

function ask<T>(child: ChildProcess, msg: unknown, reply: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${reply} from the receivers`)), 15_000);
    const on = (m: { type: string } & T): void => {
      if (m.type !== reply) return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send(msg as never);
  });
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
