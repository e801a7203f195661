import type { ChatMessage, ControlMessage } from '../protocol/channels.ts';
import type { IceConfig } from '../protocol/ice.ts';
import type { AuditEvent, ServerMessage } from '../protocol/signaling.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { Emitter } from './emitter.ts';
import { FileTransfer } from './file-transfer.ts';
import type { FileTransferOptions, TransferResult } from './file-types.ts';
import { PeerSession } from './peer-session.ts';
import type { PeerWarning, RTCPeerConnectionCtor } from './peer-session.ts';
import { SessionLog } from './session-log.ts';
import type { LogActor } from './session-log.ts';
import type { SignalingClient } from './signaling-client.ts';

type Activated = Extract<ServerMessage, { type: 'session.activated' }>;
type Reportable = Extract<AuditEvent, `permission.${string}` | `file.${string}` | 'connection.path'>;

export type SupportSessionOptions = {
  /**
   * The signaling client of a PIN session. Absent when the peer comes from
   * elsewhere (ad hoc: `adoptPeer`); audit reports and ending at the server
   * are then skipped.
   */
  signaling?: SignalingClient;
  RTCPeerConnection: RTCPeerConnectionCtor;
  /** This side's display name (sent in `hello`). */
  name: string;
  client: 'browser' | 'agent';
  /** FileTransfer options (sink factory, hasher...); `isAllowed` is set by the customer side. */
  files?: FileTransferOptions;
  log?: SessionLog;
  /** How long 'disconnected' lasts before the technician restarts ICE. */
  disconnectedGraceMs?: number;
};

export type SupportSessionEvents = {
  /** A new PeerSession was created (on every `session.activated`) or adopted. */
  peer: PeerSession;
  connectionstatechange: RTCPeerConnectionState;
  /** The control channel opened: the session is usable. */
  ready: undefined;
  chat: ChatMessage & { from: 'me' | 'peer' };
  /** Control messages the glue does not consume itself (screens, screen.select, auth.*, hello). */
  control: ControlMessage;
  track: { track: MediaStreamTrack; streams: readonly MediaStream[] };
  facts: ConnectionFacts;
  warning: PeerWarning;
  /** The session ended (server said closed, or end() was called). */
  closed: { reason: string };
};

/** What both sides share: one PeerSession per activation (or adopted), signal relay, chat, files, log, audit. */
export abstract class SupportSessionBase<E extends SupportSessionEvents = SupportSessionEvents> extends Emitter<E> {
  readonly files: FileTransfer;
  readonly log: SessionLog;
  sessionId: string | null = null;
  peer: PeerSession | null = null;
  protected isClosed = false;
  protected abstract readonly role: 'technician' | 'customer';
  private readonly offs: Array<() => void> = [];

  constructor(protected readonly options: SupportSessionOptions) {
    super();
    this.log = options.log ?? new SessionLog();
    this.files = new FileTransfer({ ...options.files, ...this.fileGate() });
    this.files.on('finished', (r) => this.onFileFinished(r));
    const sig = options.signaling;
    if (!sig) return;
    this.offs.push(
      sig.on('session.activated', (m) => this.matches(m.sessionId) && this.onActivated(m)),
      sig.on('signal', (m) => {
        if (this.peer && m.sessionId === this.sessionId) void this.peer.handleSignal(m.data);
      }),
      sig.on('session.state', (m) => {
        if (m.sessionId !== this.sessionId) return;
        this.log.add('system', 'session', `Session ${m.state} (${m.reason})`);
        if (m.state === 'closed') this.close(m.reason);
      }),
    );
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends a chat line; false when the channel is not open. */
  sendChat(text: string): boolean {
    const msg: ChatMessage = { type: 'chat', msgId: crypto.randomUUID(), text, at: Date.now() };
    const sent = this.peer?.send('chat', msg) ?? false;
    if (sent) {
      this.log.add(this.role, 'chat', text, msg.at);
      this.fire('chat', { ...msg, from: 'me' });
    }
    return sent;
  }

  getConnectionFacts(): Promise<ConnectionFacts> | null {
    return this.peer?.getConnectionFacts() ?? null;
  }

  /** Ends the session at the server (the other side hears it as session.state closed). */
  async end(reason = 'ended'): Promise<void> {
    this.peer?.send('control', { type: 'session.end', reason: reason.slice(0, 200) });
    const sig = this.options.signaling;
    if (this.sessionId && sig?.connected) {
      try {
        await sig.request({ type: 'session.end', sessionId: this.sessionId, reason: reason.slice(0, 200) });
      } catch {
        // Closed locally anyway.
      }
    }
    this.close(reason);
  }

  /** Local teardown; idempotent. Does not close the shared SignalingClient. */
  close(reason = 'closed'): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.offs.splice(0).forEach((off) => off());
    this.files.close();
    this.peer?.close();
    this.peer = null;
    this.log.add('system', 'session', `Session ended: ${reason}`);
    this.fire('closed', { reason });
    this.removeAllListeners();
  }

  /** Emits by name; the subclasses' event maps extend SupportSessionEvents. */
  protected fire(type: string, payload: unknown): void {
    (this.emit as (t: string, p: unknown) => void).call(this, type, payload);
  }

  /** Reports an audit event to the server (best effort). */
  protected audit(event: Reportable, detail: string): void {
    if (!this.sessionId || !this.options.signaling) return;
    this.options.signaling.send({ type: 'session.event', sessionId: this.sessionId, event, detail: detail.slice(0, 500) });
  }

  protected matches(sessionId: string): boolean {
    return this.sessionId === null || this.sessionId === sessionId;
  }

  protected fileGate(): Pick<FileTransferOptions, 'isAllowed'> {
    return {};
  }

  /** Called when the control channel opens on a new peer. */
  protected abstract onReady(peer: PeerSession): void;
  /** Control messages for the subclass; return true when consumed. */
  protected abstract onControl(msg: ControlMessage): boolean;

  protected logActorOfPeer(): LogActor {
    return this.role === 'technician' ? 'customer' : 'technician';
  }

  private onActivated(m: Activated): void {
    const sig = this.options.signaling;
    if (this.isClosed || !sig) return;
    // The server repeats session.activated after a signaling reconnect. The peer
    // connection does not depend on the signaling socket: keep it while it lives.
    if (this.peer && this.sessionId === m.sessionId && isAlive(this.peer.connectionState)) {
      this.log.add('system', 'session', 'Signaling reconnected; the connection carried on');
      return;
    }
    this.log.add('system', 'session', `Connecting to ${m.peerName}`);
    const sessionId = m.sessionId;
    const peer = new PeerSession({
      RTCPeerConnection: this.options.RTCPeerConnection,
      ice: m.ice,
      polite: m.polite,
      sendSignal: (data) => sig.send({ type: 'signal', sessionId, data }),
      refreshIce: async (): Promise<IceConfig | null> => {
        const reply = await sig.request({ type: 'ice.refresh', sessionId });
        return reply.type === 'ice.config' ? reply.ice : null;
      },
      ...(this.options.disconnectedGraceMs !== undefined ? { disconnectedGraceMs: this.options.disconnectedGraceMs } : {}),
    });
    this.adoptPeer(peer, sessionId);
  }

  /**
   * Makes `peer` this session's connection (closing any previous one) and
   * wires chat, control, files, tracks and state to it. `onActivated` calls it
   * for PIN sessions; the ad hoc agent calls it with a peer it has already
   * authenticated, whose channels may be open (then `ready` follows at once).
   */
  adoptPeer(peer: PeerSession, sessionId?: string): void {
    if (this.isClosed) {
      peer.close();
      return;
    }
    if (sessionId !== undefined) this.sessionId = sessionId;
    if (this.peer !== peer) this.peer?.close();
    this.peer = peer;
    const emit = (t: string, p: unknown): void => this.fire(t, p);
    peer.on('warning', (w) => emit('warning', w));
    peer.on('track', (t) => emit('track', t));
    peer.on('chat', (msg) => {
      this.log.add(this.logActorOfPeer(), 'chat', msg.text, msg.at);
      emit('chat', { ...msg, from: 'peer' });
    });
    peer.on('control', (msg) => {
      if (msg.type === 'session.end') {
        this.close(`peer ended: ${msg.reason}`);
        return;
      }
      if (!this.onControl(msg)) emit('control', msg);
    });
    peer.on('connectionstatechange', (state) => {
      emit('connectionstatechange', state);
      if (state === 'connected') void this.reportPath(peer);
      if (state === 'failed' || state === 'disconnected') this.log.add('system', 'connection', `Connection ${state}`);
    });
    // An adopted peer may already be connected: its state change came before us.
    if (peer.connectionState === 'connected') void this.reportPath(peer);
    // FACTS: an open event can be missed, so wait on readyState, not on onopen alone.
    peer.waitOpen(['files'], 300_000).then(
      () => peer === this.peer && this.files.attach(peer.filesPort()),
      () => undefined,
    );
    peer.waitOpen(['control'], 300_000).then(
      () => {
        if (peer !== this.peer) return;
        this.onReady(peer);
        emit('ready', undefined);
      },
      () => undefined,
    );
    emit('peer', peer);
  }

  private async reportPath(peer: PeerSession): Promise<void> {
    try {
      const facts = await peer.getConnectionFacts();
      if (peer !== this.peer) return;
      const detail = `${facts.path} ${facts.localCandidateType ?? '?'}/${facts.remoteCandidateType ?? '?'} ${facts.protocol ?? '?'}`;
      this.log.add('system', 'connection', facts.path === 'relayed' ? `Connected through the relay (${detail})` : `Connected directly (${detail})`);
      this.audit('connection.path', detail);
      this.fire('facts', facts);
    } catch {
      // Stats are best effort.
    }
  }

  private onFileFinished(r: TransferResult): void {
    const what = `${r.name} (${r.size} bytes)`;
    if (r.ok) {
      this.log.add('system', 'file', `${r.direction === 'send' ? 'Sent' : 'Received'} ${what}`);
      this.audit(r.direction === 'send' ? 'file.sent' : 'file.received', `${what} sha256 ${r.sha256}`);
    } else {
      this.log.add('system', 'file', `File ${what} failed: ${r.message}`);
      this.audit('file.failed', `${r.direction} ${what}: ${r.code} ${r.message}`);
    }
  }
}

/** A peer connection that is up or on its way up (ICE restarts recover `disconnected`). */
function isAlive(state: RTCPeerConnectionState): boolean {
  return state === 'new' || state === 'connecting' || state === 'connected' || state === 'disconnected';
}
