import { PeerSession } from '../../rtc/peer-session.ts';
import type { PeerSessionEvents } from '../../rtc/peer-session.ts';
import { SessionLog } from '../../rtc/session-log.ts';
import type { LogActor } from '../../rtc/session-log.ts';
import type { SignalingClient } from '../../rtc/signaling-client.ts';
import type { IceConfig, SignalData } from '../../protocol/ice.ts';
import type { ChatMessage, ControlMessage } from '../../protocol/channels.ts';
import type { AUDIT_EVENTS } from '../../protocol/signaling.ts';
import { Store } from './store.ts';
import { FileGlue } from './file-glue.ts';
import type { ChatEntry, LogEntry, TransferView } from './view-models.ts';

type Reportable = Extract<
  (typeof AUDIT_EVENTS)[number],
  'permission.requested' | 'permission.granted' | 'permission.denied' | 'permission.revoked' | 'file.sent' | 'file.received' | 'file.failed' | 'connection.path'
>;

/**
 * What both ends of a session share in the browser: the PeerSession from rtc/,
 * chat, the session log, file transfers and audit reports. The technician and
 * customer models extend it with their own control-channel handling.
 */
export abstract class SessionBase extends Store {
  peer: PeerSession | null = null;
  chat: ChatEntry[] = [];
  log: LogEntry[] = [];
  transfers: TransferView[] = [];
  connectionState: RTCPeerConnectionState | 'new' = 'new';
  turnConfigured: boolean | null = null;
  protected readonly sessionLog = new SessionLog(1000);
  protected files: FileGlue | null = null;
  protected peerOffs: (() => void)[] = [];
  private reportedPath = '';

  constructor(
    readonly role: 'technician' | 'customer',
    public myName: string,
    public peerName: string,
  ) {
    super();
    this.sessionLog.on('entry', (e) => {
      this.log = [...this.log, { at: e.at, text: `${this.actorName(e.actor)}${e.text}` }].slice(-1000);
      this.changed();
    });
  }

  abstract get sessionId(): string | null;
  protected abstract get signaling(): SignalingClient | null;
  protected abstract onControl(msg: ControlMessage): void;

  get connected(): boolean {
    return this.peer !== null && this.peer.isOpen('control');
  }

  addLog(actor: LogActor, kind: string, text: string): void {
    this.sessionLog.add(actor, kind, text);
  }

  sendChat(text: string): void {
    if (!this.peer) return;
    const msg: ChatMessage = { type: 'chat', msgId: crypto.randomUUID(), text: text.slice(0, 4000), at: Date.now() };
    if (!this.peer.send('chat', msg)) {
      this.addLog('system', 'chat', 'Chat message not sent: not connected.');
      return;
    }
    this.chat = [...this.chat, { id: msg.msgId, from: 'me', name: this.myName, text: msg.text, at: msg.at }];
    this.changed();
  }

  sendFiles(files: readonly File[]): void {
    for (const file of files) this.files?.send(file);
  }

  /** Reports an audit event to the server (best effort). */
  report(event: Reportable, detail: string): void {
    const sessionId = this.sessionId;
    if (!sessionId) return;
    this.signaling?.send({ type: 'session.event', sessionId, event, detail: detail.slice(0, 500) });
  }

  /** Creates the peer connection once the server activated the session. */
  protected startPeer(ice: IceConfig, polite: boolean): PeerSession {
    this.stopPeer();
    this.turnConfigured = ice.turnConfigured;
    const sessionId = this.sessionId;
    const peer = new PeerSession({
      RTCPeerConnection: window.RTCPeerConnection,
      ice,
      polite,
      sendSignal: (data: SignalData) => {
        if (sessionId) this.signaling?.send({ type: 'signal', sessionId, data });
      },
      refreshIce: async () => {
        if (!sessionId || !this.signaling) return null;
        const reply = await this.signaling.request({ type: 'ice.refresh', sessionId });
        return reply.type === 'ice.config' ? reply.ice : null;
      },
    });
    this.peer = peer;
    const on = <K extends keyof PeerSessionEvents>(type: K, h: (p: PeerSessionEvents[K]) => void): void => {
      this.peerOffs.push(peer.on(type, h));
    };
    on('control', (m) => this.onControl(m));
    on('chat', (m) => {
      this.chat = [...this.chat, { id: m.msgId, from: 'peer' as const, name: this.peerName, text: m.text, at: m.at }].slice(-500);
      this.changed();
    });
    on('connectionstatechange', (state) => {
      this.connectionState = state;
      this.addLog('system', 'connection', `Connection ${state}.`);
      if (state === 'connected') void this.reportPath();
      this.changed();
    });
    on('channel.open', (name) => {
      if (name === 'control') this.onControlOpen();
      this.changed();
    });
    on('ice.restart', (r) => this.addLog('system', 'connection', `Restarting the connection (${r.reason}).`));
    on('warning', (w) => {
      if (w.channel === 'negotiation') console.warn('rtc', w);
      else this.addLog('system', 'warning', `${w.channel}: ${w.message}`);
    });
    this.files = new FileGlue(peer.filesPort(), {
      onChange: (list) => {
        this.transfers = list;
        this.changed();
      },
      log: (text) => this.addLog('system', 'file', text),
      report: (event, detail) => this.report(event, detail),
      acceptIncoming: () => this.mayReceiveFiles(),
    });
    if (peer.isOpen('control')) this.onControlOpen();
    return peer;
  }

  /** Whether an incoming file offer may be accepted right now. */
  protected abstract mayReceiveFiles(): boolean;
  /** The control channel opened: say hello. */
  protected abstract onControlOpen(): void;

  protected onSignal(data: SignalData): void {
    void this.peer?.handleSignal(data);
  }

  protected stopPeer(): void {
    for (const off of this.peerOffs.splice(0)) off();
    this.files?.dispose();
    this.files = null;
    this.peer?.close();
    this.peer = null;
  }

  private async reportPath(): Promise<void> {
    try {
      const facts = await this.peer?.getConnectionFacts();
      if (!facts || facts.path === 'unknown') return;
      const detail = `${facts.path} (${facts.localCandidateType ?? '?'} → ${facts.remoteCandidateType ?? '?'}, ${facts.protocol ?? '?'})`;
      if (detail === this.reportedPath) return;
      this.reportedPath = detail;
      this.addLog('system', 'connection', `Connected ${detail}.`);
      if (this.role === 'technician') this.report('connection.path', detail);
    } catch {
      // Stats are best effort.
    }
  }

  private actorName(actor: LogActor): string {
    if (actor === 'system') return '';
    if (actor === this.role) return `${this.myName}: `;
    return `${this.peerName}: `;
  }
}
