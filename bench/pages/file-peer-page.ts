/**
 * Browser entry of the files benchmark: puts a FilePeer on `window.benchPeer`
 * that does what the console does: a File read in chunks (blobSource), files
 * both ways hashed with the console's hasher (web/shared/file-digest.ts:
 * gathered, then WebCrypto).
 */
import type { SignalData } from '../../protocol/ice.ts';
import { consoleHasher, startHashWorker } from '../../web/shared/file-digest.ts';
import { blobSource } from '../../web/shared/transfer-rows.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import { FilePeer } from './file-peer.ts';

declare global {
  interface Window {
    benchPeer?: FilePeer;
    benchSignal: (d: SignalData) => Promise<void>;
    benchTrace: (line: string) => Promise<void>;
    /**
     * What the page sends from (bench A/B, docs/performance-files.md): 'file' a File built in the page from the
     * bytes (in Chromium's blob store, in memory), 'disk' the disk-backed File the bench set on the page's
     * `<input type=file>` (as a user's is), 'memory' the bytes themselves (no File).
     */
    benchSource?: 'file' | 'disk' | 'memory';
    startBenchPeer: () => void;
  }
}

window.startBenchPeer = () => {
  // As the console does when a session opens: the hashing worker is running before the first file.
  startHashWorker();
  window.benchPeer = new FilePeer(RTCPeerConnection, true, (d) => void window.benchSignal(d), consoleHasher, async (name, bytes) => {
    const kind = window.benchSource ?? 'file';
    if (kind === 'memory') return { source: memorySource(name, bytes) };
    if (kind === 'disk') {
      const file = document.querySelector<HTMLInputElement>('#bench-file')?.files?.[0];
      if (!file || file.size !== bytes.byteLength) throw new Error(`no disk-backed file of ${bytes.byteLength} bytes on #bench-file`);
      return { source: blobSource(file) };
    }
    return { source: blobSource(new File([bytes as Uint8Array<ArrayBuffer>], name)) };
  });
  const p = window.benchPeer.peer;
  p.on('warning', (w) => void window.benchTrace(`warning ${JSON.stringify(w)}`));
  p.pc.addEventListener('signalingstatechange', () => void window.benchTrace(`signaling ${p.pc.signalingState}`));
};
