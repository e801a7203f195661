/** The page of bench/file-page-costs.ts: each piece of the sending page's work, measured alone. */
import { createSHA256 } from 'hash-wasm';
import { Sha256 } from '../../rtc/sha256.ts';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fill(bytes: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4096) data[i] = (i >>> 12) & 0xff;
  return data;
}

let file: File | null = null;

const costs = {
  /** 200 frames from one buffer, overwritten right after each `send` returns; each checked where it arrives. */
  async sendCopies(): Promise<{ frames: number; intact: number; inOrder: boolean; queuedBytes: number }> {
    const frames = 200;
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
    b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
    const tx = a.createDataChannel('f', { negotiated: true, id: 1, ordered: true });
    const rx = b.createDataChannel('f', { negotiated: true, id: 1, ordered: true });
    rx.binaryType = 'arraybuffer';
    const seen: number[] = [];
    let intact = 0;
    const arrived = new Promise<void>((resolve) => {
      rx.onmessage = (m: MessageEvent<ArrayBuffer>) => {
        const u = new Uint8Array(m.data);
        const i = u[0]! | (u[1]! << 8);
        let ok = u.byteLength === 65_556;
        for (let k = 2; ok && k < u.byteLength; k += 997) ok = u[k] === (i & 0xff);
        if (ok) intact++;
        seen.push(i);
        if (seen.length === frames) resolve();
      };
    });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    for (let i = 0; i < 500 && tx.readyState !== 'open'; i++) await sleep(10);
    const frame = new Uint8Array(65_556);
    for (let i = 0; i < frames; i++) {
      frame.fill(i & 0xff);
      frame[0] = i & 0xff;
      frame[1] = i >> 8;
      tx.send(frame);
      frame.fill(0xee); // What the next frame would do to the buffer.
    }
    const queuedBytes = tx.bufferedAmount;
    await arrived;
    a.close();
    b.close();
    return { frames, intact, inOrder: seen.every((x, j) => x === j), queuedBytes };
  },

  async digest(mib: number): Promise<Record<string, number>> {
    const n = mib * MiB;
    const data = fill(n);
    const out: Record<string, number> = {};
    let t = performance.now();
    await crypto.subtle.digest('SHA-256', data);
    out['WebCrypto (whole)'] = performance.now() - t;
    const wasm = await createSHA256();
    t = performance.now();
    wasm.init();
    for (let o = 0; o < n; o += MiB) wasm.update(data.subarray(o, o + MiB));
    wasm.digest('hex');
    out['hash-wasm (1 MiB updates)'] = performance.now() - t;
    t = performance.now();
    const ts = new Sha256();
    for (let o = 0; o < n; o += MiB) ts.update(data.subarray(o, o + MiB));
    ts.digestHex();
    out['rtc/sha256.ts (1 MiB updates)'] = performance.now() - t;
    t = performance.now();
    const gathered = new Uint8Array(n);
    for (let o = 0; o < n; o += MiB) gathered.set(data.subarray(o, o + MiB), o);
    out['gather into a fresh buffer'] = performance.now() - t;
    return out;
  },

  prepareFile(mib: number): void {
    file = new File([fill(mib * MiB)], 'bench.bin');
  },

  /** Reads the whole File in `blockMib` blocks: slices, or its stream gathered into blocks of that size. */
  async read(how: 'slice' | 'stream', blockMib: number): Promise<number> {
    const f = file!;
    const block = blockMib * MiB;
    const t = performance.now();
    if (how === 'slice') {
      for (let o = 0; o < f.size; o += block) await f.slice(o, o + block).arrayBuffer();
    } else {
      const reader = f.stream().getReader();
      let cur = new Uint8Array(block);
      let filled = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let v = value; v.byteLength > 0; ) {
          const k = Math.min(block - filled, v.byteLength);
          cur.set(v.subarray(0, k), filled);
          filled += k;
          v = v.subarray(k);
          if (filled === block) {
            cur = new Uint8Array(block);
            filled = 0;
          }
        }
      }
    }
    return performance.now() - t;
  },
};

(window as unknown as { costs: typeof costs }).costs = costs;
