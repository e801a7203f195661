import type { ChatMessage, ControlMessage } from '../protocol/channels.ts';
import { LIMITS } from '../protocol/limits.ts';
import { assertNever } from '../protocol/parse.ts';
import type { SessionReason, SessionState } from '../protocol/session-state.ts';
import type { ClientKind, ReportableAuditEvent, ServerMessage } from '../protocol/signaling.ts';
import type { Role } from '../protocol/common.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { Emitter } from './emitter.ts';
import { FileTransfer } from './file-transfer.ts';
import type { FileSource, FileTransferOptions, TransferResult } from './file-types.ts';
import { formatBytes } from './format-bytes.ts';
import { openPinPeer } from './peer-link.ts';
import type { PeerSession, PeerWarning, RTCPeerConnectionCtor } from './peer-session.ts';
import { SessionLog } from './session-log.ts';
import type { LogActor } from './session-log.ts';
import type { SignalingClient } from './signaling-client.ts';

export type Activated = Extract<ServerMessage, { type: 'session.activated' }>;
export type HelloMessage = Extract<ControlMessage, { type: 'hello' }>;
/** The control messages an engine's subclass handles (the base handles hello, error and session.end). */
export type SessionControl = Exclude<ControlMessage, { type: 'hello' | 'error' | 'session.end' }>;

export type SupportEngineOptions = {
  /**
   * The signaling client of a PIN session. Absent when the peer comes from
   * elsewhere (ad hoc: `adopt`); audit reports and ending at the server are
   * then skipped.
   */
  signaling?: SignalingClient | undefined;
  RTCPeerConnection: RTCPeerConnectionCtor;
  /** This side's display name (sent in `hello`). */
  name: string;
  client: ClientKind;
  /** FileTransfer options (sink factory, hasher...); `isAllowed` is set by the engine from the permissions. */
  files?: FileTransferOptions;
  log?: SessionLog;
  /** How long 'disconnected' lasts before the technician restarts ICE. */
  disconnectedGraceMs?: number;
};

/** Why the engine closed: ended here, by the other peer, or by the server (with its reason). */
export type EngineClosed =
  | { cause: 'local'; reason: string }
  | { cause: 'peer'; reason: string }
  | { cause: 'server'; reason: SessionReason };

export type SupportEngineEvents = {
  /** A new PeerSession was created (on activation) or adopted. */
  peer: PeerSession;
  connectionstatechange: RTCPeerConnectionState;
  /** The control channel opened: the session is usable. */
  ready: undefined;
  /** The other side's `hello` (who it is, what its end can do). */
  hello: HelloMessage;
  chat: ChatMessage & { from: 'me' | 'peer' };
  /** Control messages the engine does not consume itself (screens, screen.select, auth.*). */
  control: ControlMessage;
  track: { track: MediaStreamTrack; streams: readonly MediaStream[] };
  /** The selected candidate pair once connected. */
  facts: ConnectionFacts;
  warning: PeerWarning;
  /** The server moved the session (suspended, active again; closed is `closed`). */
  'session.state': { state: SessionState; reason: SessionReason };
  closed: EngineClosed;
};

/**
 * What both ends of a support session share, whatever the client: one
 * PeerSession per activation (or adopted), chat, the session log, file
 * transfer, connection facts and audit reports. The customer engine adds the
 * permission authority, the technician engine the mirror and the remote
 * control; browser pages, the console and the agent are views and adapters
 * over them.
 */
export abstract class SupportEngine<E extends SupportEngineEvents = SupportEngineEvents> extends Emitter<E> {
  readonly files: FileTransfer;
  readonly log: SessionLog;
  sessionId: string | null = null;
  peer: PeerSession | null = null;
  /** The other side's last `hello`, once received. */
  peerHello: HelloMessage | null = null;
  protected isClosed = false;
  protected abstract readonly role: Role;
  private readonly offs: Array<() => void> = [];
  private readonly peerOffs: Array<() => void> = [];
  private reportedPath = '';
  private lastActivation: Activated | null = null;
  /** The activation the current PIN peer was opened with (a new one is opened from it when the other end starts over). */
  private peerActivation: Activated | null = null;

  constructor(protected readonly options: SupportEngineOptions) {
    super();
    this.log = options.log ?? new SessionLog();
    this.files = new FileTransfer({ ...options.files, isAllowed: (offer) => this.mayReceive() && (options.files?.isAllowed?.(offer) ?? true) });
    this.files.on('incoming', (t) => this.log.add('system', 'file', `Receiving ${t.name} (${formatBytes(t.size)}).`));
    this.files.on('finished', (r) => this.onFileFinished(r));
    this.files.on('warning', (w) => this.log.add('system', 'file', `File warning: ${w.message}`));
    const sig = options.signaling;
    if (!sig) return;
    this.offs.push(
      sig.on('session.activated', (m) => this.handleActivated(m)),
      sig.on('signal', (m) => {
        if (m.sessionId !== this.sessionId || m.lane !== undefined) return;
        if (!this.peer) this.onSignalWithoutPeer(m.data);
        else if (isFromNewPeer(m.data, this.peer)) this.onNewRemotePeer(m.data);
      }),
      sig.on('session.state', (m) => {
        if (m.sessionId === this.sessionId) this.onSessionState(m.state, m.reason);
      }),
    );
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether the control channel of the current peer is open. */
  get connected(): boolean {
    return this.peer !== null && !this.peer.closed && this.peer.isOpen('control');
  }

  /**
   * The server activated the session (or repeated it after a signaling
   * reconnect). Idempotent: a live peer connection carries on.
   */
  handleActivated(m: Activated): void {
    if (this.isClosed || !this.options.signaling || (this.sessionId !== null && this.sessionId !== m.sessionId)) return;
    // The same message may come twice: from this engine's subscription and from a view that created the engine on it.
    if (m === this.lastActivation) return;
    this.lastActivation = m;
    // The server repeats session.activated after a signaling reconnect. The peer
    // connection does not depend on the signaling socket: keep it while it lives.
    if (this.peer && this.sessionId === m.sessionId && isAlive(this.peer.connectionState)) {
      this.log.add('system', 'session', 'Signaling reconnected; the connection carried on.');
      return;
    }
    this.sessionId = m.sessionId;
    this.onActivated(m);
  }

  /**
   * Sends a chat line (cut to the chat limit); false when the channel is not
   * open or the text is empty. `author` names the colleague whose line the
   * lead's console relays.
   */
  sendChat(text: string, author?: string): boolean {
    const line = text.slice(0, LIMITS.chatChars);
    if (line.length === 0) return false;
    const msg: ChatMessage = { type: 'chat', msgId: crypto.randomUUID(), text: line, at: Date.now(), ...(author ? { author: author.slice(0, LIMITS.nameChars) } : {}) };
    const sent = this.peer?.send('chat', msg) ?? false;
    if (sent) {
      this.log.add(this.role, 'chat', line, msg.at);
      this.fire('chat', { ...msg, from: 'me' });
    }
    return sent;
  }

  /** Starts sending a file; throws (e.g. FILE_TOO_LARGE, PERMISSION_REQUIRED) when it cannot start. */
  sendFile(source: FileSource, options: { sha256?: string; transferId?: string } = {}): { transferId: string; done: Promise<TransferResult> } {
    this.checkMaySend();
    const started = this.files.send(source, options);
    this.log.add('system', 'file', `Sending ${source.name} (${formatBytes(source.size)}).`);
    return started;
  }

  getConnectionFacts(): Promise<ConnectionFacts> | null {
    return this.peer?.getConnectionFacts() ?? null;
  }

  /** Ends the session at the server (the other side hears it as session.state closed), then closes here. */
  async end(reason = 'ended'): Promise<void> {
    if (this.isClosed) return;
    const text = reason.slice(0, LIMITS.reasonChars);
    this.peer?.send('control', { type: 'session.end', reason: text });
    const sig = this.options.signaling;
    if (this.sessionId && sig?.connected) {
      try {
        await sig.request({ type: 'session.end', sessionId: this.sessionId, reason: text });
      } catch {
        // Closed locally anyway.
      }
    }
    this.closeWith({ cause: 'local', reason });
  }

  /** Local teardown; idempotent. Does not close the shared SignalingClient. */
  close(reason = 'closed'): void {
    this.closeWith({ cause: 'local', reason });
  }

  /**
   * Makes `peer` this session's connection (closing any previous one) and
   * wires chat, control, files, tracks and state to it. PIN sessions get
   * theirs on activation; the ad hoc agent and console hand in a peer whose
   * password step is done, whose channels may be open (`ready` follows at once).
   */
  adopt(peer: PeerSession, sessionId?: string): void {
    if (this.isClosed) {
      peer.close();
      return;
    }
    if (sessionId !== undefined) this.sessionId = sessionId;
    this.dropPeer();
    this.peer = peer;
    this.reportedPath = '';
    const on = this.peerOffs;
    on.push(
      peer.on('warning', (w) => {
        if (w.channel !== 'negotiation') this.log.add('system', 'warning', `${w.channel}: ${w.message}`);
        this.fire('warning', w);
      }),
      peer.on('track', (t) => this.fire('track', t)),
      peer.on('chat', (received) => {
        const { author, ...rest } = received;
        const shown = author === undefined ? undefined : this.chatAuthor(author);
        const msg: ChatMessage = shown === undefined ? rest : { ...rest, author: shown };
        this.log.add(this.peerRole, 'chat', msg.text, msg.at);
        this.fire('chat', { ...msg, from: 'peer' });
      }),
      peer.on('control', (msg) => this.onControlMessage(msg)),
      peer.on('ice.restart', (r) => this.log.add('system', 'connection', `Restarting the connection (${r.reason}).`)),
      peer.on('connectionstatechange', (state) => {
        this.log.add('system', 'connection', `Connection ${state}.`);
        this.fire('connectionstatechange', state);
        if (state === 'connected') void this.reportPath(peer);
      }),
    );
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
        this.fire('ready', undefined);
      },
      () => undefined,
    );
    this.fire('peer', peer);
  }

  /** Keeps a signaling subscription until the engine closes. */
  protected listen(off: () => void): void {
    this.offs.push(off);
  }

  /**
   * Drops the current peer connection at once (a transfer: the old
   * technician's connection must not outlive it); the next activation opens a
   * new one.
   */
  protected dropPeerNow(): void {
    this.dropPeer();
    this.lastActivation = null;
  }

  /** The name a relayed chat line may show (the customer's end accepts only the colleague it approved). */
  protected chatAuthor(author: string): string | undefined {
    return author;
  }

  /** Emits by name; the subclasses' event maps extend SupportEngineEvents. */
  protected fire(type: string, payload: unknown): void {
    (this.emit as (t: string, p: unknown) => void).call(this, type, payload);
  }

  /** Reports an audit event to the server (best effort; PIN sessions only). */
  protected audit(event: ReportableAuditEvent, detail: string): void {
    if (!this.sessionId || !this.options.signaling) return;
    this.options.signaling.send({ type: 'session.event', sessionId: this.sessionId, event, detail: detail.slice(0, LIMITS.auditDetailChars) });
  }

  /**
   * The other end offers from a new RTCPeerConnection (its DTLS certificate
   * changed): a reloaded page or console. The old connection cannot carry on
   * with it, so a fresh one is opened here and answers that offer; what this
   * end holds (grants, the shared screen, chat, log) stays, and the screen
   * track moves to the new connection without a new question.
   */
  private onNewRemotePeer(data: Extract<ServerMessage, { type: 'signal' }>['data']): void {
    const activation = this.peerActivation;
    if (!activation || this.isClosed) return;
    this.log.add('system', 'connection', 'The other side reconnected with a new connection; reconnecting.');
    this.openPeer(activation);
    void this.peer?.handleSignal(data);
  }

  /** Opens the peer connection of the activated PIN session. */
  protected openPeer(m: Activated): void {
    const sig = this.options.signaling;
    if (!sig || this.isClosed) return;
    this.peerActivation = m;
    this.adopt(openPinPeer(sig, m, { RTCPeerConnection: this.options.RTCPeerConnection, disconnectedGraceMs: this.options.disconnectedGraceMs }), m.sessionId);
  }

  /** The server activated the session (not repeated while the peer lives). */
  protected abstract onActivated(m: Activated): void;
  /** A signal of this session arrived while there is no peer connection (the technician opens one then). */
  protected onSignalWithoutPeer(_data: Extract<ServerMessage, { type: 'signal' }>['data']): void {}
  /** Called when the control channel opens on a new peer: say hello. */
  protected abstract onReady(peer: PeerSession): void;
  /** Control messages for the subclass; return true when consumed (the rest are emitted as `control`). */
  protected abstract onControl(msg: SessionControl): boolean;
  /** Whether an incoming file offer may be accepted now. */
  protected abstract mayReceive(): boolean;
  /** Throws when this side may not send a file now. */
  protected checkMaySend(): void {}
  /** Text for the session log when the server suspends or resumes the session. */
  protected abstract sessionStateText(state: SessionState, reason: SessionReason): string | null;

  /** The log line when the other side says hello. */
  protected abstract joinedText(msg: HelloMessage): string;

  /** Teardown for the subclass (video, timers), before the peer closes. */
  protected onClose(): void {}

  /** The plain words for a session the other side or the server ended (written to the log as it closes). */
  protected closedText(_closed: EngineClosed): string | null {
    return null;
  }

  protected get peerRole(): LogActor {
    return this.role === 'technician' ? 'customer' : 'technician';
  }

  private onSessionState(state: SessionState, reason: SessionReason): void {
    if (state === 'closed') {
      this.closeWith({ cause: 'server', reason });
      return;
    }
    const text = this.sessionStateText(state, reason);
    if (text) this.log.add('system', 'session', text);
    this.fire('session.state', { state, reason });
  }

  private onControlMessage(msg: ControlMessage): void {
    switch (msg.type) {
      case 'session.end':
        this.closeWith({ cause: 'peer', reason: msg.reason });
        return;
      case 'hello':
        this.peerHello = msg;
        this.log.add('system', 'session', this.joinedText(msg));
        this.fire('hello', msg);
        return;
      case 'error':
        this.log.add(this.peerRole, 'error', `${msg.code}: ${msg.message}`);
        return;
      case 'permission.request':
      case 'permission.state':
      case 'screens':
      case 'screen.select':
      case 'clipboard':
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        if (!this.onControl(msg)) this.fire('control', msg);
        return;
      default:
        assertNever(msg, 'control message');
    }
  }

  private closeWith(closed: EngineClosed): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const text = closed.cause === 'local' ? null : this.closedText(closed);
    if (text) this.log.add('system', 'session', text);
    this.offs.splice(0).forEach((off) => off());
    this.onClose();
    this.files.close();
    this.dropPeer();
    this.fire('closed', closed);
    this.removeAllListeners();
  }

  private dropPeer(): void {
    this.peerOffs.splice(0).forEach((off) => off());
    const peer = this.peer;
    this.peer = null;
    peer?.close();
  }

  private async reportPath(peer: PeerSession): Promise<void> {
    try {
      const facts = await peer.getConnectionFacts();
      if (peer !== this.peer || facts.path === 'unknown') return;
      const detail = `${facts.path} ${facts.localCandidateType ?? '?'}/${facts.remoteCandidateType ?? '?'} ${facts.protocol ?? '?'}`;
      if (detail === this.reportedPath) return;
      this.reportedPath = detail;
      this.log.add('system', 'connection', facts.path === 'relayed' ? `Connected through the relay (${detail}).` : `Connected directly (${detail}).`);
      this.onPath(detail);
      this.fire('facts', facts);
    } catch {
      // Stats are best effort.
    }
  }

  /** The connected path (for the audit, which one side writes). */
  protected onPath(_detail: string): void {}

  private onFileFinished(r: TransferResult): void {
    const what = `${r.name} (${r.size} bytes)`;
    if (r.ok) {
      this.log.add('system', 'file', `${r.direction === 'send' ? 'Sent' : 'Received'} ${r.name} (${formatBytes(r.size)}), SHA-256 ${r.sha256.slice(0, 16)}… verified.`);
      this.audit(r.direction === 'send' ? 'file.sent' : 'file.received', `${what} sha256 ${r.sha256}`);
    } else {
      this.log.add('system', 'file', `${r.direction === 'send' ? 'Sending' : 'Receiving'} ${r.name} failed: ${r.message}`);
      this.audit('file.failed', `${r.direction} ${what}: ${r.code} ${r.message}`);
    }
  }
}

/** `a=fingerprint` of an SDP: one per RTCPeerConnection's certificate, kept across ICE restarts. */
function fingerprint(sdp: string | undefined): string | null {
  return sdp ? (/^a=fingerprint:(.+)$/m.exec(sdp)?.[1]?.trim() ?? null) : null;
}

/** An offer from a different RTCPeerConnection than the one this peer talks to. */
function isFromNewPeer(data: Extract<ServerMessage, { type: 'signal' }>['data'], peer: PeerSession): boolean {
  if (data.kind !== 'description' || data.description.type !== 'offer') return false;
  const known = fingerprint(peer.pc.remoteDescription?.sdp);
  const offered = fingerprint(data.description.sdp);
  return known !== null && offered !== null && known !== offered;
}

/** A peer connection that is up or on its way up (ICE restarts recover `disconnected`). */
function isAlive(state: RTCPeerConnectionState): boolean {
  return state === 'new' || state === 'connecting' || state === 'connected' || state === 'disconnected';
}
