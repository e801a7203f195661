/**
 * Browser entry of the files benchmark: puts a FilePeer on `window.benchPeer`
 * that does what the console does: a File read in chunks (blobSource), files
 * both ways hashed with the console's hasher (web/shared/file-digest.ts:
 * gathered, then WebCrypto).
 */
import type { SignalData } from '../../protocol/ice.ts';
import { consoleHasher } from '../../web/shared/file-digest.ts';
import { blobSource } from '../../web/shared/transfer-rows.ts';
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
    return { source: blobSource(new File([bytes as Uint8Array<ArrayBuffer>], name)) };
  });
};
