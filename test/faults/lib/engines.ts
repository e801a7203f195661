/**
 * A real technician and customer (the product's engines, real `@roamhq/wrtc`
 * peers) on a server in another process, for the fault scenarios: the
 * session is created, the code entered and the session activated over real
 * signaling, and both engines are `ready` (peer connected, channels open).
 */
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import type { Permission } from '../../../protocol/permissions.ts';
import { CustomerEngine } from '../../../rtc/customer-engine.ts';
import type { FileTransferOptions } from '../../../rtc/file-types.ts';
import { SignalingClient, type WebSocketCtor } from '../../../rtc/signaling-client.ts';
import { TechnicianEngine } from '../../../rtc/technician-engine.ts';
import { RTCPeerConnectionNode, nextEvent } from '../../../testkit/rtc-pair.ts';

const WS = WebSocket as unknown as WebSocketCtor;

/** Reconnects quickly while a server is down: every 250 ms to 1 s. */
const RECONNECT = { initialMs: 250, maxMs: 1000 };

export interface EnginePair {
  sessionId: string;
  techSig: SignalingClient;
  custSig: SignalingClient;
  tech: TechnicianEngine;
  cust: CustomerEngine;
  close(): void;
}

/** `grant`: the permissions the customer answers yes to; `files`: where the customer's received files go; `forceRelay`: relay-only ICE. */
export async function enginePair(
  server: { wsUrl: string; origin: string },
  cookie: string,
  options: { grant?: readonly Permission[]; files?: FileTransferOptions; forceRelay?: boolean } = {},
): Promise<EnginePair> {
  const techSig = new SignalingClient({ url: `${server.wsUrl}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: server.origin }, reconnect: RECONNECT });
  const custSig = new SignalingClient({ url: `${server.wsUrl}/ws/customer`, role: 'customer', WebSocket: WS, client: 'agent', reconnect: RECONNECT });
  await Promise.all([techSig.connect(), custSig.connect()]);
  const created = await techSig.request({ type: 'session.create', ...(options.forceRelay ? { forceRelay: true } : {}) });
  if (created.type !== 'session.created') throw new Error(`session.create answered ${created.type}`);
  const { sessionId, code } = created.session;
  if (code === undefined) throw new Error('session.created without a code');
  await custSig.request({ type: 'code.submit', code, client: 'agent' });
  const tech = new TechnicianEngine({ signaling: techSig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Tess', client: 'browser', sessionId });
  const cust = new CustomerEngine({
    signaling: custSig,
    RTCPeerConnection: RTCPeerConnectionNode,
    name: 'Carl',
    client: 'agent',
    capabilities: { input: true, screens: true, clipboard: true, files: true },
    ask: async (permission) => options.grant?.includes(permission) ?? false,
    video: {
      start: async () => new wrtc.nonstandard.RTCVideoSource({ isScreencast: true }).createTrack(),
      stop: (track) => track.stop(),
    },
    input: { inject: () => undefined, releaseAll: () => undefined },
    ...(options.files ? { files: options.files } : {}),
  });
  const ready = Promise.all([nextEvent((h) => tech.on('ready', h), 20_000, 'technician ready'), nextEvent((h) => cust.on('ready', h), 20_000, 'customer ready')]);
  await tech.activate();
  await ready;
  return {
    sessionId,
    techSig,
    custSig,
    tech,
    cust,
    close() {
      tech.close();
      cust.close();
      techSig.close();
      custSig.close();
    },
  };
}

/** Sends a chat line one way and resolves with how long it took to arrive, or rejects after `timeoutMs`. */
export async function chatRoundTrip(from: TechnicianEngine | CustomerEngine, to: TechnicianEngine | CustomerEngine, text: string, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  const got = nextEvent<{ text: string }>(
    (h) => {
      const onChat = (m: { text: string }): void => {
        if (m.text === text) h(m);
      };
      return to instanceof TechnicianEngine ? to.on('chat', onChat) : to.on('chat', onChat);
    },
    timeoutMs,
    `chat "${text}"`,
  );
  if (!from.sendChat(text)) throw new Error(`chat "${text}" could not be sent`);
  await got;
  return performance.now() - start;
}
