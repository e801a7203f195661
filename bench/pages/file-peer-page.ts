/** Browser entry of the files benchmark: puts a FilePeer on `window.benchPeer` (the console's defaults: pure-TS SHA-256). */
import type { SignalData } from '../../protocol/ice.ts';
import { FilePeer } from './file-peer.ts';

declare global {
  interface Window {
    benchPeer?: FilePeer;
    benchSignal: (d: SignalData) => Promise<void>;
    startBenchPeer: () => void;
  }
}

window.startBenchPeer = () => {
  window.benchPeer = new FilePeer(RTCPeerConnection, true, (d) => void window.benchSignal(d));
};
