import { PermissionMirror } from '../../rtc/permissions.ts';
import type { ConnectionFacts } from '../../rtc/connection-facts.ts';
import type { SignalingClient } from '../../rtc/signaling-client.ts';
import type { ControlMessage, InputMessage, PointerMessage, Screen } from '../../protocol/channels.ts';
import { LIMITS } from '../../protocol/limits.ts';
import type { SignalData } from '../../protocol/ice.ts';
import { PERMISSION_LABELS, initialPermissions } from '../../protocol/permissions.ts';
import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import type { ServerMessage, SessionSummary } from '../../protocol/signaling.ts';
import type { SessionReason, SessionState } from '../../protocol/session-state.ts';
import { assertNever } from '../../protocol/parse.ts';
import { SessionBase } from '../shared/session-base.ts';
import type { FactsView } from './rr-connection-facts.ts';
import type { InputSink } from './rr-remote-screen.ts';
import { renderAtOnce } from './render-at-once.ts';

type Capabilities = { input: boolean; screens: boolean; clipboard: boolean; files: boolean };

const REASON_TEXT: Partial<Record<SessionReason, string>> = {
  technician_ended: 'You ended the session.',
  customer_ended: 'The customer ended the session.',
  customer_lost: 'The customer did not come back in time.',
  technician_lost: 'Your connection was lost for too long.',
  code_expired: 'The code expired.',
  server_shutdown: 'The server shut down.',
};

/** One active session tab in the console: the peer connection, the customer's screen, permissions, chat, files. */
export class TechSession extends SessionBase implements InputSink {
  phase: 'waiting' | 'connecting' | 'live' | 'ended' = 'waiting';
  endedText = '';
  permissions: PermissionMap = initialPermissions();
  capabilities: Capabilities | null = null;
  customerClient: 'browser' | 'agent' | null = null;
  stream: MediaStream | null = null;
  facts: FactsView | null = null;
  forceRelay: boolean;
  /** The customer's monitors (agent only) and the one being shared. */
  screens: Screen[] = [];
  selectedScreen: string | null = null;
  /** The customer's clipboard text, as last sent while `clipboard` is granted. */
  customerClipboard = '';
  private readonly mirror = new PermissionMirror();
  private factsTimer: ReturnType<typeof setInterval> | null = null;
  private lastFacts: ConnectionFacts | null = null;

  constructor(
    readonly id: string,
    private readonly sig: SignalingClient,
    myName: string,
    summary: SessionSummary | undefined,
  ) {
    super('technician', myName, 'Customer');
    this.forceRelay = summary?.forceRelay ?? false;
    this.customerClient = summary?.customer?.kind ?? null;
    this.mirror.on('change', ({ permissions, previous }) => {
      this.permissions = permissions;
      for (const p of Object.keys(permissions) as Permission[]) {
        if (permissions[p] !== previous[p]) this.addLog('customer', 'permission', `${PERMISSION_LABELS[p]}: ${permissions[p].replace('_', ' ')}.`);
      }
      if (permissions.view !== 'granted') this.stream = null;
      this.changed();
    });
  }

  get sessionId(): string {
    return this.id;
  }

  protected get signaling(): SignalingClient {
    return this.sig;
  }

  /**
   * The server activated the session. The peer connection starts when the
   * customer's first signal arrives: a customer who chose later (or whose page
   * was still joining) never saw an offer made before it connected, and the
   * impolite side would then ignore the customer's own offer for ever.
   */
  activate(m: Extract<ServerMessage, { type: 'session.activated' }>): void {
    this.peerName = m.peerName;
    this.phase = 'connecting';
    this.activation = m;
    this.turnConfigured = m.ice.turnConfigured;
    this.addLog('system', 'session', 'Session started; waiting for the customer to connect.');
    this.changed();
  }

  private activation: Extract<ServerMessage, { type: 'session.activated' }> | null = null;

  private connectPeer(m: Extract<ServerMessage, { type: 'session.activated' }>): void {
    const peer = this.startPeer(m.ice, m.polite);
    this.peerOffs.push(
      peer.on('track', ({ track, streams }) => {
        if (track.kind !== 'video') return;
        const receiver = peer.pc.getReceivers().find((r) => r.track === track);
        if (receiver) renderAtOnce(receiver);
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
        this.addLog('system', 'screen', "Receiving the customer's screen.");
        this.changed();
      }),
      peer.on('connectionstatechange', (s) => {
        if (s === 'connected') this.phase = 'live';
        this.changed();
      }),
    );
    this.factsTimer ??= setInterval(() => void this.readFacts(), 1000);
    this.changed();
  }

  override onSignal(data: SignalData): void {
    if (!this.peer && this.activation && this.phase !== 'ended') this.connectPeer(this.activation);
    super.onSignal(data);
  }

  onSessionState(state: SessionState, reason: SessionReason): void {
    if (state === 'suspended') this.addLog('system', 'session', `The session is suspended (${reason.replace('_', ' ')}).`);
    if (state === 'active' && reason === 'reconnected') this.addLog('system', 'session', 'Reconnected.');
    if (state === 'closed') this.finish(REASON_TEXT[reason] ?? `The session ended (${reason}).`);
    this.changed();
  }

  /** Asks the customer for a permission. */
  ask(permission: Permission): void {
    if (!this.peer?.send('control', { type: 'permission.request', permission })) return;
    this.addLog('technician', 'permission', `Asked: ${PERMISSION_LABELS[permission]}.`);
    this.report('permission.requested', permission);
  }

  /** Whether asking for a permission makes sense with this customer's client. */
  canAsk(permission: Permission): boolean {
    if (!this.connected || this.phase === 'ended') return false;
    if (this.permissions[permission] === 'asked' || this.permissions[permission] === 'granted') return false;
    const caps = this.capabilities;
    if (!caps) return permission === 'view';
    if (permission === 'control') return caps.input;
    if (permission === 'clipboard') return caps.clipboard;
    if (permission === 'files') return caps.files;
    return true;
  }

  /** Asks the agent to share (and map input to) another monitor. */
  selectScreen(screenId: string): void {
    if (screenId === this.selectedScreen || !this.screens.some((sc) => sc.id === screenId)) return;
    if (!this.peer?.send('control', { type: 'screen.select', screenId })) return;
    const screen = this.screens.find((sc) => sc.id === screenId);
    this.addLog('technician', 'screen', `Switched to screen ${screen?.name || screenId}.`);
  }

  /** Puts text on the customer's clipboard; the customer's side drops it without the grant. */
  sendClipboard(text: string): boolean {
    if (this.permissions.clipboard !== 'granted' || text.length > LIMITS.clipboardChars) return false;
    if (!this.peer?.send('control', { type: 'clipboard', text })) return false;
    this.addLog('technician', 'clipboard', `Sent ${text.length} characters to the customer's clipboard.`);
    this.changed();
    return true;
  }

  get controlGranted(): boolean {
    return this.permissions.control === 'granted' && (this.capabilities?.input ?? false);
  }

  pointer(msg: PointerMessage): void {
    if (this.controlGranted) this.peer?.send('pointer', msg);
  }

  input(msg: InputMessage): void {
    if (this.controlGranted || msg.type === 'input.release_all') this.peer?.send('input', msg);
  }

  async end(): Promise<void> {
    if (this.phase === 'ended') return;
    this.peer?.send('control', { type: 'session.end', reason: 'technician ended the session' });
    try {
      await this.sig.request({ type: 'session.end', sessionId: this.id, reason: 'technician ended the session' });
    } catch {
      // The session.state from the server (or the peer's close) finishes it anyway.
    }
    this.finish(REASON_TEXT.technician_ended ?? 'Ended.');
  }

  dispose(): void {
    if (this.phase !== 'ended') void this.end();
    this.finish('Closed.');
  }

  protected override mayReceiveFiles(): boolean {
    return this.permissions.files === 'granted';
  }

  protected override onControlOpen(): void {
    this.peer?.send('control', {
      type: 'hello',
      role: 'technician',
      client: 'browser',
      name: this.myName.slice(0, 100) || 'Technician',
      capabilities: { input: false, screens: false, clipboard: true, files: true },
    });
  }

  protected override onControl(msg: ControlMessage): void {
    switch (msg.type) {
      case 'hello':
        this.peerName = msg.name;
        this.capabilities = msg.capabilities;
        this.customerClient = msg.client;
        this.addLog('system', 'session', `${msg.name} joined using ${msg.client === 'agent' ? 'the support app' : 'a browser'}.`);
        break;
      case 'permission.state':
        this.mirror.update(msg.permissions);
        break;
      case 'session.end':
        this.finish(REASON_TEXT.customer_ended ?? 'Ended.');
        break;
      case 'error':
        this.addLog('customer', 'error', `${msg.code}: ${msg.message}`);
        break;
      case 'screens':
        this.screens = msg.screens;
        this.selectedScreen = msg.selected;
        break;
      case 'clipboard':
        if (this.permissions.clipboard === 'granted') {
          this.customerClipboard = msg.text;
          this.addLog('customer', 'clipboard', `The customer's clipboard changed (${msg.text.length} characters).`);
        }
        break;
      case 'permission.request':
      case 'screen.select':
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        break;
      default:
        assertNever(msg, 'control message');
    }
    this.changed();
  }

  private finish(text: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endedText = text;
    this.addLog('system', 'session', text);
    if (this.factsTimer) clearInterval(this.factsTimer);
    this.factsTimer = null;
    this.stream = null;
    this.stopPeer();
    this.changed();
  }

  private async readFacts(): Promise<void> {
    const peer = this.peer;
    if (!peer) return;
    try {
      const f = await peer.getConnectionFacts();
      this.lastFacts = f;
      this.facts = {
        state: peer.connectionState,
        path: f.path,
        localCandidate: f.localCandidateType ? `${f.localCandidateType}${f.protocol ? `/${f.protocol}` : ''}` : undefined,
        remoteCandidate: f.remoteCandidateType ?? undefined,
        rttMs: f.roundTripTime !== null ? f.roundTripTime * 1000 : undefined,
        fps: f.video?.framesPerSecond ?? undefined,
        bitrateKbps: f.video?.bitrate != null ? f.video.bitrate / 1000 : undefined,
      };
      this.changed();
    } catch {
      // The next tick tries again.
    }
  }

  /** The last raw facts (for tests and diagnostics). */
  get rawFacts(): ConnectionFacts | null {
    return this.lastFacts;
  }
}
