import wrtcModule from '@roamhq/wrtc';
import type * as nonstandardTypes from '@roamhq/wrtc/types/nonstandard.d.ts';
import type { PeerConnectionCtor } from './relay-probe.ts';

/**
 * `@roamhq/wrtc` loaded once with types: its package is CommonJS, so only the
 * default import carries `nonstandard` at run time.
 */
interface WrtcModule {
  RTCPeerConnection: PeerConnectionCtor;
  nonstandard: typeof nonstandardTypes;
}

export const wrtc = wrtcModule as unknown as WrtcModule;
