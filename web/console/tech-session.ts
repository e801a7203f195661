import { SessionLog } from '../../rtc/session-log.ts';
import type { LogActor } from '../../rtc/session-log.ts';
import { logLineText } from '../shared/log-line.ts';
import type { SignalingClient } from '../../rtc/signaling-client.ts';
import { TechnicianEngine } from '../../rtc/technician-engine.ts';
import { technicianClosedText } from '../../rtc/closed-text.ts';
import { ColleagueRelay } from '../../rtc/colleague-relay.ts';
import type { TechnicianRef } from '../../protocol/handover.ts';
import type { Capabilities, InputMessage, PointerMessage, Screen } from '../../protocol/channels.ts';
import { PERMISSION_LABELS, initialPermissions } from '../../protocol/permissions.ts';
import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import type { ClientKind, ServerMessage, SessionSummary } from '../../protocol/signaling.ts';
import { consoleHasher, startHashWorker } from '../shared/file-digest.ts';
import { Store } from '../shared/store.ts';
import { TransferRows, blobSinkFactory, blobSource } from '../shared/transfer-rows.ts';
import type { ChatEntry, LogEntry, TransferView } from '../shared/view-models.ts';
import type { FactsView } from './rr-connection-facts.ts';
import type { InputSink } from './rr-remote-screen.ts';

type Activation = Extract<ServerMessage, { type: 'session.activated' }>;
type ColleagueStateMsg = Extract<ServerMessage, { type: 'colleague.state' }>;
/** How long an Ask made before the connection is up waits for it (ms); then it is dropped with a line in the log. */
const ASK_QUEUE_MS = 30_000;
/** How long a sent Ask shows "asked, waiting" before the customer's end has said so (ms). */
const SENT_ASK_MS = 10_000;

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
  customerClient: ClientKind | null = null;
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
  /** In a colleague's tab: the lead whose session this is (view and chat through the lead's console). */
  leadName: string | null = null;
  /** In the lead's tab: the colleague invited or joined. */
  colleague: { who: TechnicianRef; state: 'invited' | 'joined'; control: boolean } | null = null;
  /** The last transfer or invitation that failed, said in plain words. */
  handoverError = '';
  private activation: Activation | null = null;
  /** Asks pressed before the connection to the customer was up, sent once it is. */
  private readonly queuedAsks = new Set<Permission>();
  /** Asks sent whose "asked" has not come back from the customer's end yet (their map is the truth; this is the row until then). */
  private readonly sentAsks = new Map<Permission, ReturnType<typeof setTimeout>>();
  /** Gives up on the queued asks if the connection is not up ASK_QUEUE_MS after the first was queued. */
  private askTimer: ReturnType<typeof setTimeout> | null = null;
  private relay: ColleagueRelay | null = null;
  private readonly sessionLog = new SessionLog(1000);
  private readonly blobs = new Map<string, Blob>();
  private readonly rows: TransferRows;

  constructor(
    readonly id: string,
    private readonly sig: SignalingClient,
    readonly myName: string,
    summary: SessionSummary | undefined,
  ) {
    super();
    // Files are hashed in a worker once it runs: start it before the first file (web/shared/file-digest.ts).
    startHashWorker();
    this.forceRelay = summary?.forceRelay ?? false;
    this.customerClient = summary?.customer?.kind ?? null;
    this.sessionLog.on('entry', (e) => {
      if (e.kind === 'chat') return;
      this.log = [...this.log, { at: e.at, text: logLineText(this.actorOf(e.actor), e.kind, e.text) }].slice(-1000);
      this.changed();
    });
    const engine = new TechnicianEngine({
      signaling: sig,
      sessionId: id,
      RTCPeerConnection: window.RTCPeerConnection,
      name: myName,
      client: 'browser',
      log: this.sessionLog,
      files: { sinkFactory: blobSinkFactory(this.blobs), hasher: consoleHasher },
    });
    this.engine = engine;
    this.rows = new TransferRows(engine.files, this.blobs, (rows) => {
      this.transfers = rows;
      this.changed();
    });
    engine.on('activated', (m) => {
      this.activation = m;
      this.leadName = m.leadName ?? null;
      this.peerName = m.peerName;
      this.phase = 'connecting';
      this.turnConfigured = m.ice.turnConfigured;
      this.changed();
    });
    engine.on('permissions', ({ permissions, previous }) => {
      for (const p of [...this.sentAsks.keys()]) if (permissions[p] !== previous[p]) this.forgetSentAsk(p);
      this.permissions = permissions;
      if (permissions.view !== 'granted') this.setStream(null);
      this.changed();
    });
    engine.on('hello', (m) => {
      this.peerName = m.name;
      this.capabilities = m.capabilities;
      this.customerClient = m.client;
      this.changed();
      this.flushAsks();
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
      const name = m.author ?? (m.from === 'me' ? this.myName : this.peerName);
      this.chat = [...this.chat, { id: m.msgId, from: m.author && m.from === 'me' ? 'peer' : m.from, name, text: m.text, at: m.at }].slice(-500);
      this.changed();
    });
    engine.on('track', ({ track, streams }) => this.onTrack(track, streams));
    engine.on('connectionstatechange', (state) => {
      if (state === 'connected') this.phase = 'live';
      this.changed();
    });
    engine.on('ready', () => {
      this.changed();
      this.flushAsks();
    });
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
    // The engine logged why it closed unless it was this console's own End (support-engine.ts closeWith).
    engine.on('closed', (c) => this.finish(technicianClosedText(c), c.cause !== 'local'));
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

  /** Reopens this session's connection after a console reload (see TechnicianEngine.resume). */
  async restore(peerName: string): Promise<void> {
    this.peerName = peerName;
    try {
      const reply = await this.sig.request({ type: 'ice.refresh', sessionId: this.id });
      if (reply.type === 'ice.config') this.engine.resume(reply.ice, peerName);
    } catch (err) {
      this.sessionLog.add('system', 'session', `The session could not be restored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Asks the customer for a permission. Before the connection to the
   * customer is up (just after Start) the question waits and goes as soon as
   * it is; a question that cannot be sent says so in the log.
   */
  ask(permission: Permission): void {
    if (this.phase === 'ended' || this.queuedAsks.has(permission)) return;
    if (this.engine.connected) {
      this.sendAsk(permission);
      return;
    }
    this.queuedAsks.add(permission);
    this.askTimer ??= setTimeout(() => this.giveUpAsks(), ASK_QUEUE_MS);
    this.sessionLog.add('technician', 'permission', `${PERMISSION_LABELS[permission]}: asked as soon as the connection to the customer is up.`);
    this.changed();
  }

  /** The connection did not come up in time: the queued asks are dropped, each with a line in the log, and can be asked again. */
  private giveUpAsks(): void {
    this.askTimer = null;
    if (this.queuedAsks.size === 0) return;
    for (const permission of this.queuedAsks) {
      this.sessionLog.add('system', 'error', `Could not ask for ${PERMISSION_LABELS[permission]}: the connection to the customer did not come up within ${ASK_QUEUE_MS / 1000} seconds. Ask again once it is connected.`);
    }
    this.queuedAsks.clear();
    this.changed();
  }

  private clearAskTimer(): void {
    if (this.askTimer !== null && this.queuedAsks.size === 0) {
      clearTimeout(this.askTimer);
      this.askTimer = null;
    }
  }

  /** Whether asking for a permission makes sense with this customer's client (before the connection: queued). */
  canAsk(permission: Permission): boolean {
    if (this.phase === 'ended' || this.queuedAsks.has(permission) || this.sentAsks.has(permission) || this.leadName !== null) return false;
    if (this.engine.connected) return this.engine.canAsk(permission);
    return this.permissions[permission] !== 'granted' && this.permissions[permission] !== 'asked';
  }

  /** Whether `permission` waits for the connection to be asked. */
  isQueued(permission: Permission): boolean {
    return this.queuedAsks.has(permission);
  }

  /** Whether an ask for `permission` went out and the customer's end has not said "asked" (or answered) yet. */
  isSent(permission: Permission): boolean {
    return this.sentAsks.has(permission);
  }

  private sendAsk(permission: Permission): void {
    if (!this.engine.canAsk(permission) && this.capabilities !== null) {
      this.sessionLog.add('system', 'permission', `Not asked: ${PERMISSION_LABELS[permission]} is not possible with this customer's ${this.customerClient === 'browser' ? 'browser' : 'support app'}.`);
      return;
    }
    if (!this.engine.requestPermission(permission)) {
      this.sessionLog.add('system', 'error', `Could not ask for ${PERMISSION_LABELS[permission]}: the connection to the customer is not open. Try again once it is.`);
      return;
    }
    // A request lost with its connection never comes back as "asked": the row goes back to what the customer's end said.
    this.sentAsks.set(
      permission,
      setTimeout(() => {
        if (this.forgetSentAsk(permission)) this.changed();
      }, SENT_ASK_MS),
    );
    this.changed();
  }

  /** Drops the "asked, waiting" of a sent Ask (and its timer); whether there was one. */
  private forgetSentAsk(permission: Permission): boolean {
    const timer = this.sentAsks.get(permission);
    if (timer === undefined) return false;
    clearTimeout(timer);
    return this.sentAsks.delete(permission);
  }

  /** The connection is up (and, for what only the customer's client can say, its hello arrived): sends what waited. */
  private flushAsks(): void {
    if (!this.engine.connected) return;
    for (const permission of [...this.queuedAsks]) {
      // Control, files and the clipboard depend on the customer's client: wait for its hello.
      if (permission !== 'view' && this.capabilities === null) continue;
      this.queuedAsks.delete(permission);
      this.sendAsk(permission);
    }
    this.clearAskTimer();
    this.changed();
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

  /** Control stays with the lead unless handed to the colleague (then the lead's input is not sent). */
  get controlHandedOver(): boolean {
    return this.relay?.hasControl ?? false;
  }

  pointer(msg: PointerMessage): void {
    if (!this.controlHandedOver) this.engine.sendPointer(msg);
  }

  input(msg: InputMessage): void {
    if (!this.controlHandedOver) this.engine.sendInput(msg);
  }

  /** The other technicians online now (transfer and invite targets), as the server names them. */
  async onlineTechnicians(): Promise<TechnicianRef[]> {
    try {
      const reply = await this.sig.request({ type: 'technician.online' });
      return reply.type === 'technician.online' ? reply.technicians : [];
    } catch {
      return [];
    }
  }

  /** Hands the session to another online technician (the customer is asked again for everything). */
  async transfer(technicianId: string, note: string): Promise<void> {
    await this.handoverRequest({ type: 'session.transfer', sessionId: this.id, technicianId, ...(note.trim() ? { note: note.trim() } : {}) });
  }

  /** Invites an online colleague; the customer approves them by name. */
  async invite(technicianId: string): Promise<void> {
    await this.handoverRequest({ type: 'colleague.invite', sessionId: this.id, technicianId });
  }

  /** The lead removes the colleague, or the colleague leaves. */
  async removeColleague(): Promise<void> {
    await this.handoverRequest({ type: 'colleague.remove', sessionId: this.id });
  }

  /** The lead hands remote control to the colleague, or takes it back. */
  async handControl(granted: boolean): Promise<void> {
    await this.handoverRequest({ type: 'colleague.control', sessionId: this.id, granted });
  }

  /** Where the colleague stands (from the server). */
  onColleague(m: ColleagueStateMsg): void {
    if (this.leadName !== null) return;
    const who = m.colleague;
    switch (m.state) {
      case 'invited':
        this.colleague = { who, state: 'invited', control: false };
        this.sessionLog.add('system', 'session', `Invited ${who.name}; waiting for the customer to let them in.`);
        break;
      case 'joined':
        this.colleague = { who, state: 'joined', control: false };
        this.sessionLog.add('system', 'session', `${who.name} joined: they see the screen through this console and can chat.`);
        this.startRelay(who);
        break;
      case 'declined':
      case 'removed':
        this.colleague = null;
        this.stopRelay();
        this.sessionLog.add('system', 'session', m.state === 'declined' ? `The customer did not let ${who.name} in.` : `${who.name} is no longer in the session.`);
        break;
      case 'control':
      case 'control_returned':
        if (!this.colleague) break;
        this.colleague = { ...this.colleague, control: m.state === 'control' };
        this.relay?.setControl(m.state === 'control');
        this.sessionLog.add('system', 'session', m.state === 'control' ? `${who.name} has remote control.` : 'You have remote control again.');
        break;
    }
    this.changed();
  }

  private async handoverRequest(msg: Parameters<SignalingClient['request']>[0]): Promise<void> {
    this.handoverError = '';
    this.changed();
    try {
      await this.sig.request(msg);
    } catch (err) {
      this.handoverError = (err as Error).message;
      this.changed();
    }
  }

  private startRelay(who: TechnicianRef): void {
    this.stopRelay();
    const ice = this.activation?.ice;
    if (!ice) return;
    this.relay = new ColleagueRelay({
      engine: this.engine,
      signaling: this.sig,
      sessionId: this.id,
      ice,
      RTCPeerConnection: window.RTCPeerConnection,
      leadName: this.myName,
      colleagueName: who.name,
      customerName: this.peerName,
    });
    this.relay.setTrack(this.stream?.getVideoTracks()[0] ?? null);
  }

  private stopRelay(): void {
    this.relay?.close();
    this.relay = null;
  }

  private setStream(stream: MediaStream | null): void {
    this.stream = stream;
    this.relay?.setTrack(stream?.getVideoTracks()[0] ?? null);
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
      if (this.stream === stream) this.setStream(null);
      this.changed();
    };
    track.onended = () => {
      if (this.stream === stream) this.setStream(null);
      this.changed();
    };
    this.setStream(stream);
    this.sessionLog.add('system', 'screen', "Receiving the customer's screen.");
    this.changed();
  }

  private finish(text: string, logged = false): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endedText = text;
    // Asks still waiting for the connection will never be sent: say so, and drop them (the row would stay "asking once connected").
    for (const permission of this.queuedAsks) {
      this.sessionLog.add('system', 'error', `Could not ask for ${PERMISSION_LABELS[permission]}: the session ended before the connection to the customer was up.`);
    }
    this.queuedAsks.clear();
    for (const p of [...this.sentAsks.keys()]) this.forgetSentAsk(p);
    this.clearAskTimer();
    if (!logged) this.sessionLog.add('system', 'session', text);
    this.stopRelay();
    this.colleague = null;
    this.setStream(null);
    this.engine.close(text);
    this.changed();
  }

  private actorOf(actor: LogActor): { name: string; you: boolean } | null {
    if (actor === 'system') return null;
    return actor === 'technician' ? { name: this.myName, you: false } : { name: this.peerName, you: false };
  }
}
