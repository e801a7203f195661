import { SessionLog } from '../../rtc/session-log.ts';
import type { LogActor } from '../../rtc/session-log.ts';
import type { SignalingClient } from '../../rtc/signaling-client.ts';
import type { EngineClosed } from '../../rtc/support-engine.ts';
import { TechnicianEngine } from '../../rtc/technician-engine.ts';
import type { Capabilities, InputMessage, PointerMessage, Screen } from '../../protocol/channels.ts';
import { initialPermissions } from '../../protocol/permissions.ts';
import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import type { ServerMessage, SessionSummary } from '../../protocol/signaling.ts';
import type { SessionReason } from '../../protocol/session-state.ts';
import { Store } from '../shared/store.ts';
import { TransferRows, blobSinkFactory, blobSource } from '../shared/transfer-rows.ts';
import type { ChatEntry, LogEntry, TransferView } from '../shared/view-models.ts';
import type { FactsView } from './rr-connection-facts.ts';
import type { InputSink } from './rr-remote-screen.ts';

const REASON_TEXT: Partial<Record<SessionReason, string>> = {
  technician_ended: 'You ended the session.',
  customer_ended: 'The customer ended the session.',
  customer_lost: 'The customer did not come back in time.',
  technician_lost: 'Your connection was lost for too long.',
  code_expired: 'The code expired.',
  server_shutdown: 'The server shut down.',
};

/**
 * One session tab in the console: a view over the technician engine
 * (rtc/technician-engine.ts) that keeps what the tab shows (the customer's
 * screen, permissions, chat, files, log, connection facts) for Lit to render.
 */
export class TechSession extends Store implements InputSink {
  readonly engine: TechnicianEngine;
  phase: 'waiting' | 'connecting' | 'live' | 'ended' = 'waiting';
  endedText = '';
  peerName = 'Customer';
  permissions: PermissionMap = initialPermissions();
  capabilities: Capabilities | null = null;
  customerClient: 'browser' | 'agent' | null = null;
  stream: MediaStream | null = null;
  facts: FactsView | null = null;
  forceRelay: boolean;
  turnConfigured: boolean | null = null;
  /** The customer's monitors (agent only) and the one being shared. */
  screens: Screen[] = [];
  selectedScreen: string | null = null;
  /** The customer's clipboard text, as last sent while `clipboard` is granted. */
  customerClipboard = '';
  chat: ChatEntry[] = [];
  log: LogEntry[] = [];
  transfers: TransferView[] = [];
  private readonly sessionLog = new SessionLog(1000);
  private readonly blobs = new Map<string, Blob>();
  private readonly rows: TransferRows;

  constructor(
    readonly id: string,
    sig: SignalingClient,
    readonly myName: string,
    summary: SessionSummary | undefined,
  ) {
    super();
    this.forceRelay = summary?.forceRelay ?? false;
    this.customerClient = summary?.customer?.kind ?? null;
    this.sessionLog.on('entry', (e) => {
      if (e.kind === 'chat') return;
      this.log = [...this.log, { at: e.at, text: `${this.actorName(e.actor)}${e.text}` }].slice(-1000);
      this.changed();
    });
    const engine = new TechnicianEngine({
      signaling: sig,
      sessionId: id,
      RTCPeerConnection: window.RTCPeerConnection,
      name: myName,
      client: 'browser',
      log: this.sessionLog,
      files: { sinkFactory: blobSinkFactory(this.blobs) },
    });
    this.engine = engine;
    this.rows = new TransferRows(engine.files, this.blobs, (rows) => {
      this.transfers = rows;
      this.changed();
    });
    engine.on('activated', (m) => {
      this.peerName = m.peerName;
      this.phase = 'connecting';
      this.turnConfigured = m.ice.turnConfigured;
      this.changed();
    });
    engine.on('permissions', ({ permissions }) => {
      this.permissions = permissions;
      if (permissions.view !== 'granted') this.stream = null;
      this.changed();
    });
    engine.on('hello', (m) => {
      this.peerName = m.name;
      this.capabilities = m.capabilities;
      this.customerClient = m.client;
      this.changed();
    });
    engine.on('screens', (s) => {
      this.screens = s.screens;
      this.selectedScreen = s.selected;
      this.changed();
    });
    engine.on('clipboard', ({ text }) => {
      this.customerClipboard = text;
      this.changed();
    });
    engine.on('chat', (m) => {
      this.chat = [...this.chat, { id: m.msgId, from: m.from, name: m.from === 'me' ? this.myName : this.peerName, text: m.text, at: m.at }].slice(-500);
      this.changed();
    });
    engine.on('track', ({ track, streams }) => this.onTrack(track, streams));
    engine.on('connectionstatechange', (state) => {
      if (state === 'connected') this.phase = 'live';
      this.changed();
    });
    engine.on('ready', () => this.changed());
    engine.on('facts', (f) => {
      this.facts = {
        state: engine.peer?.connectionState,
        path: f.path,
        localCandidate: f.localCandidateType ? `${f.localCandidateType}${f.protocol ? `/${f.protocol}` : ''}` : undefined,
        remoteCandidate: f.remoteCandidateType ?? undefined,
        rttMs: f.roundTripTime !== null ? f.roundTripTime * 1000 : undefined,
        fps: f.video?.framesPerSecond ?? undefined,
        bitrateKbps: f.video?.bitrate != null ? f.video.bitrate / 1000 : undefined,
      };
      this.changed();
    });
    engine.on('closed', (c) => this.finish(closedText(c)));
  }

  get sessionId(): string {
    return this.id;
  }

  get connected(): boolean {
    return this.engine.connected;
  }

  get controlGranted(): boolean {
    return this.engine.controlGranted;
  }

  /** The server activated the session (the engine also hears it; the same message counts once). */
  activate(m: Extract<ServerMessage, { type: 'session.activated' }>): void {
    this.engine.handleActivated(m);
  }

  /** Asks the customer for a permission. */
  ask(permission: Permission): void {
    this.engine.requestPermission(permission);
  }

  /** Whether asking for a permission makes sense with this customer's client. */
  canAsk(permission: Permission): boolean {
    return this.phase !== 'ended' && this.engine.canAsk(permission);
  }

  /** Asks the agent to share (and map input to) another monitor. */
  selectScreen(screenId: string): void {
    this.engine.selectScreen(screenId);
  }

  /** Puts text on the customer's clipboard; the customer's side drops it without the grant. */
  sendClipboard(text: string): boolean {
    const sent = this.engine.sendClipboard(text);
    if (sent) this.changed();
    return sent;
  }

  pointer(msg: PointerMessage): void {
    this.engine.sendPointer(msg);
  }

  input(msg: InputMessage): void {
    this.engine.sendInput(msg);
  }

  sendChat(text: string): void {
    if (!this.engine.sendChat(text)) this.sessionLog.add('system', 'chat', 'Chat message not sent: not connected.');
  }

  sendFiles(files: readonly File[]): void {
    for (const file of files) {
      try {
        this.engine.sendFile(blobSource(file));
      } catch (err) {
        this.sessionLog.add('system', 'file', `Cannot send ${file.name}: ${(err as Error).message}`);
      }
    }
  }

  async end(): Promise<void> {
    if (this.phase === 'ended') return;
    await this.engine.end('technician ended the session');
  }

  dispose(): void {
    if (this.phase !== 'ended') void this.end();
    this.finish('Closed.');
    this.rows.dispose();
  }

  private onTrack(track: MediaStreamTrack, streams: readonly MediaStream[]): void {
    if (track.kind !== 'video') return;
    const stream = streams[0] ?? new MediaStream([track]);
    stream.onremovetrack = () => {
      if (this.stream === stream) this.stream = null;
      this.changed();
    };
    track.onended = () => {
      if (this.stream === stream) this.stream = null;
      this.changed();
    };
    this.stream = stream;
    this.sessionLog.add('system', 'screen', "Receiving the customer's screen.");
    this.changed();
  }

  private finish(text: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endedText = text;
    this.sessionLog.add('system', 'session', text);
    this.stream = null;
    this.engine.close(text);
    this.changed();
  }

  private actorName(actor: LogActor): string {
    if (actor === 'system') return '';
    if (actor === 'technician') return `${this.myName}: `;
    return `${this.peerName}: `;
  }
}

function closedText(c: EngineClosed): string {
  if (c.cause === 'server') return REASON_TEXT[c.reason] ?? `The session ended (${c.reason}).`;
  if (c.cause === 'peer') return REASON_TEXT.customer_ended ?? 'Ended.';
  return REASON_TEXT.technician_ended ?? 'Ended.';
}
