import type { AdhocServerMessage } from '../protocol/adhoc.ts';
import type { IceConfig, SignalData } from '../protocol/ice.ts';
import type { ServerMessage } from '../protocol/signaling.ts';
import { PeerSession } from './peer-session.ts';
import type { RTCPeerConnectionCtor } from './peer-session.ts';
import type { SignalingClient } from './signaling-client.ts';

type Activated = Extract<ServerMessage, { type: 'session.activated' }>;

/** How a new peer connection reaches the other peer: where its signals go, where they come from. */
export interface SignalPath {
  send(data: SignalData): void;
  /** Subscribes to the other peer's signals; returns the unsubscribe. */
  subscribe(handler: (data: SignalData) => void): () => void;
  /** Fresh ICE servers (TURN credentials) before an ICE restart, where the server offers them. */
  refreshIce?: () => Promise<IceConfig | null>;
}

export type LinkOptions = {
  RTCPeerConnection: RTCPeerConnectionCtor;
  ice: IceConfig;
  polite: boolean;
  disconnectedGraceMs?: number | undefined;
};

/**
 * Creates the peer connection of one session or connection and relays its
 * signals over `path` until it closes. Every PeerSession of the product is
 * made here: the engines for PIN sessions, the ad hoc clients for ad hoc
 * connections.
 */
export function openPeer(options: LinkOptions, path: SignalPath): PeerSession {
  const peer = new PeerSession({
    RTCPeerConnection: options.RTCPeerConnection,
    ice: options.ice,
    polite: options.polite,
    sendSignal: (data) => path.send(data),
    ...(path.refreshIce ? { refreshIce: path.refreshIce } : {}),
    ...(options.disconnectedGraceMs !== undefined ? { disconnectedGraceMs: options.disconnectedGraceMs } : {}),
  });
  const off = path.subscribe((data) => void peer.handleSignal(data));
  peer.once('closed', off);
  return peer;
}

/**
 * The signal path of a PIN session: `signal` and `ice.refresh` on the
 * session's signaling socket. `lane: 'colleague'` is the lead's link to a
 * joined colleague's console (rtc/colleague-relay.ts); the default lane is the
 * customer's link.
 */
export function pinSignalPath(signaling: SignalingClient, sessionId: string, lane?: 'colleague'): SignalPath {
  return {
    send: (data) => signaling.send({ type: 'signal', sessionId, ...(lane ? { lane } : {}), data }),
    subscribe: (handler) =>
      signaling.on('signal', (m) => {
        if (m.sessionId === sessionId && m.lane === lane) handler(m.data);
      }),
    refreshIce: async () => {
      const reply = await signaling.request({ type: 'ice.refresh', sessionId });
      return reply.type === 'ice.config' ? reply.ice : null;
    },
  };
}

/** The peer of an activated PIN session. */
export function openPinPeer(signaling: SignalingClient, activation: Activated, options: Omit<LinkOptions, 'ice' | 'polite'>): PeerSession {
  return openPeer({ ...options, ice: activation.ice, polite: activation.polite }, pinSignalPath(signaling, activation.sessionId));
}

type AdhocConnection = Extract<AdhocServerMessage, { type: 'adhoc.connection' }>;
type AdhocSignal = Extract<AdhocServerMessage, { type: 'adhoc.signal' }>;

/** The part of an ad hoc signaling connection (technician's or agent's) a connection's peer uses. */
export interface AdhocSocket {
  send(msg: AdhocSignal): void;
  on(type: 'adhoc.signal', handler: (msg: AdhocSignal) => void): () => void;
  on(type: 'adhoc.disconnect', handler: (msg: Extract<AdhocServerMessage, { type: 'adhoc.disconnect' }>) => void): () => void;
}

/** The signal path of one ad hoc connection: `adhoc.signal` by connection id on the ad hoc socket. */
export function adhocSignalPath(socket: AdhocSocket, connectionId: string): SignalPath {
  return {
    send: (data) => socket.send({ type: 'adhoc.signal', connectionId, data }),
    subscribe: (handler) =>
      socket.on('adhoc.signal', (m) => {
        if (m.connectionId === connectionId) handler(m.data);
      }),
  };
}

/** The peer of one ad hoc connection; it closes when the server says the other end disconnected. */
export function openAdhocPeer(socket: AdhocSocket, connection: Pick<AdhocConnection, 'connectionId' | 'ice' | 'polite'>, options: Omit<LinkOptions, 'ice' | 'polite'>): PeerSession {
  const peer = openPeer({ ...options, ice: connection.ice, polite: connection.polite }, adhocSignalPath(socket, connection.connectionId));
  const off = socket.on('adhoc.disconnect', (m) => {
    if (m.connectionId === connection.connectionId) peer.close();
  });
  peer.once('closed', off);
  return peer;
}
