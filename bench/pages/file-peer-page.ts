/**
 * Browser entry of the files benchmark: puts a FilePeer on `window.benchPeer`
 * that does what the console does: a File read in chunks (blobSource), files
 * both ways hashed with the console's hasher (web/shared/file-digest.ts:
 * gathered, then WebCrypto).
 */
import type { SignalData } from '../../protocol/ice.ts';
import { consoleHasher, startHashWorker } from '../../web/shared/file-digest.ts';
import { blobSource } from '../../web/shared/transfer-rows.ts';
import { FilePeer } from './file-peer.ts';

declare global {
  interface Window {
    benchPeer?: FilePeer;
    benchSignal: (d: SignalData) => Promise<void>;
    benchTrace: (line: string) => Promise<void>;
    startBenchPeer: () => void;
  }
}

window.startBenchPeer = () => {
  // As the console does when a session opens: the hashing worker is running before the first file.
  startHashWorker();
  window.benchPeer = new FilePeer(RTCPeerConnection, true, (d) => void window.benchSignal(d), consoleHasher, async (name, bytes) => {
    return { source: blobSource(new File([bytes as Uint8Array<ArrayBuffer>], name)) };
  });
  const p = window.benchPeer.peer;
  p.on('warning', (w) => void window.benchTrace(`warning ${JSON.stringify(w)}`));
  p.pc.addEventListener('signalingstatechange', () => void window.benchTrace(`signaling ${p.pc.signalingState}`));
};
