/**
 * Browser entry of the files benchmark: puts a FilePeer on `window.benchPeer`
 * that does what the console does: a File, hashed with WebCrypto up front
 * (web/shared/file-digest.ts), read in chunks (blobSource); received files are
 * hashed with the console's hasher (gathered, then WebCrypto).
 */
import type { SignalData } from '../../protocol/ice.ts';
import { blobSha256, consoleHasher } from '../../web/shared/file-digest.ts';
import { blobSource } from '../../web/shared/file-glue.ts';
import { FilePeer } from './file-peer.ts';

declare global {
  interface Window {
    benchPeer?: FilePeer;
    benchSignal: (d: SignalData) => Promise<void>;
    startBenchPeer: () => void;
  }
}

window.startBenchPeer = () => {
  window.benchPeer = new FilePeer(RTCPeerConnection, true, (d) => void window.benchSignal(d), consoleHasher, async (name, bytes) => {
    const file = new File([bytes as Uint8Array<ArrayBuffer>], name);
    const sha256 = await blobSha256(file);
    return { source: blobSource(file), ...(sha256 ? { sha256 } : {}) };
  });
};
