import { offersPermission } from '../protocol/channels.ts';
import type { Capabilities, InputMessage, PointerMessage, Screen } from '../protocol/channels.ts';
import type { IceConfig, SignalData } from '../protocol/ice.ts';
import { LIMITS } from '../protocol/limits.ts';
import { PERMISSIONS, PERMISSION_LABELS } from '../protocol/permissions.ts';
import type { Permission } from '../protocol/permissions.ts';
import type { SessionReason, SessionState } from '../protocol/session-state.ts';
import { technicianClosedText } from './closed-text.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import type { PeerSession } from './peer-session.ts';
import { PermissionMirror } from './permissions.ts';
import { renderAtOnce } from './render-at-once.ts';
import type { PermissionMirrorEvents } from './permissions.ts';
import { SupportEngine } from './support-engine.ts';
import type { Activated, EngineClosed, HelloMessage, SessionControl, SupportEngineEvents, SupportEngineOptions } from './support-engine.ts';

export type TechnicianEngineOptions = SupportEngineOptions & {
  /** The PIN session this engine drives (from the queue / session.list); absent for an adopted ad hoc peer. */
  sessionId?: string;
  /** How often connection facts are read and emitted while a peer is up; 0 reads them only once connected. Default 1000 ms. */
  factsIntervalMs?: number;
};

export type TechnicianEngineEvents = SupportEngineEvents & {
  /** The server activated the session; the peer connection follows the customer's first signal. */
  activated: Activated;
  /** The customer's permission map changed. */
  permissions: PermissionMirrorEvents['change'];
  /** The customer's screen list (agent). */
  screens: { screens: Screen[]; selected: string | null };
  /** The customer's clipboard text, as sent while `clipboard` is granted. */
  clipboard: { text: string };
};

/** What a technician's end announces: it shows the screen and sends files and clipboard text. */
const TECHNICIAN_CAPABILITIES: Capabilities = { input: false, screens: false, clipboard: true, files: true };
/** A customer away from signaling this long (ms) gets an ICE restart on return, whatever the connection state reads (see `onCustomerBack`). */
const AWAY_RESTART_MS = 3000;

/**
 * The technician's end of a support session, for every technician view (the
 * console tabs, the ad hoc page, tests): the mirror of the customer's
 * permissions, remote control that sends nothing the customer has not
 * granted, the customer's screens and clipboard, chat, files, the session
 * log, connection facts and the `connection.path` audit row.
 */
export class TechnicianEngine extends SupportEngine<TechnicianEngineEvents> {
  readonly permissions = new PermissionMirror();
  protected readonly role = 'technician';
  /** What the customer's end can do, from its `hello`. */
  capabilities: Capabilities | null = null;
  screens: Screen[] = [];
  selectedScreen: string | null = null;
  private readonly opts: TechnicianEngineOptions;
  private activation: Activated | null = null;
  private factsTimer: ReturnType<typeof setInterval> | null = null;
  private lastFacts: ConnectionFacts | null = null;

  constructor(options: TechnicianEngineOptions) {
    super(options);
    this.opts = options;
    if (options.sessionId !== undefined) this.sessionId = options.sessionId;
    this.permissions.on('change', (change) => {
      const { permissions, previous } = change;
      for (const p of PERMISSIONS) {
        if (permissions[p] === previous[p]) continue;
        // A colleague holds control only while the lead hands it over (rtc/colleague-relay.ts): that is the lead's doing, not a new grant.
        const lead = this.activation?.leadName;
        if (lead && p === 'control') {
          this.log.add('system', 'permission', permissions[p] === 'granted' ? `${lead} handed you remote control.` : `Remote control is with ${lead} again.`);
          continue;
        }
        // The customer's decisions are theirs ("View your screen: granted by Bob."); asked / not asked is the session's state.
        const decided = permissions[p] === 'granted' || permissions[p] === 'denied' || permissions[p] === 'revoked';
        this.log.add(decided ? 'customer' : 'system', 'permission', `${PERMISSION_LABELS[p]}: ${permissions[p].replace('_', ' ')}.`);
      }
      this.fire('permissions', change);
    });
    this.on('hello', (m) => {
      this.capabilities = m.capabilities;
    });
    this.on('peer', (peer) => {
      this.watchFacts();
      peer.on('ice.restart', () => {
        if (this.customerAwayAt !== null) this.restartedWhileAway = true;
      });
    });
    this.on('session.state', ({ state, reason }) => this.onCustomerBack(state, reason));
    // Remote control wants the picture attached to the hand: every frame shown as soon as it is decoded.
    this.on('track', ({ track }) => {
      const receiver = this.peer?.pc.getReceivers().find((r) => r.track === track);
      if (receiver && track.kind === 'video') renderAtOnce(receiver);
    });
  }

  /** Asks the server to start the session; the peer connection follows on `session.activated`. */
  async activate(): Promise<void> {
    if (!this.options.signaling || !this.sessionId) throw new Error('technician engine: no PIN session to activate');
    await this.options.signaling.request({ type: 'session.activate', sessionId: this.sessionId });
  }

  /**
   * After a console reload: the session is still active at the server (it
   * kept it suspended) and the customer's end is still there, holding its
   * grants. Opens a fresh peer connection at once and offers; the customer's
   * end sees an offer from a new connection and answers from a new one of its
   * own (rtc/support-engine.ts), with the same grants and no new prompt.
   */
  resume(ice: IceConfig, peerName: string): void {
    if (this.isClosed || !this.sessionId || this.peer || !this.options.signaling) return;
    const m: Activated = { type: 'session.activated', sessionId: this.sessionId, role: 'technician', polite: false, peerName, ice };
    this.activation = m;
    this.log.add('system', 'session', 'Session restored; reconnecting to the customer.');
    this.fire('activated', m);
    this.openPeer(m);
  }

  /** Whether asking for `permission` makes sense now with this customer's end. */
  canAsk(permission: Permission): boolean {
    if (!this.connected || this.isClosed) return false;
    const state = this.permissions.get(permission);
    if (state === 'asked' || state === 'granted') return false;
    return this.capabilities ? offersPermission(this.capabilities, permission) : permission === 'view';
  }

  /** Asks the customer for a permission (the customer's end decides, and writes the audit row). */
  requestPermission(permission: Permission): boolean {
    if (!this.peer?.send('control', { type: 'permission.request', permission })) return false;
    this.log.add('technician', 'permission', `asked: ${PERMISSION_LABELS[permission]}.`);
    return true;
  }

  /** Whether remote control is on: granted, and the customer's end takes input. */
  get controlGranted(): boolean {
    return this.permissions.isGranted('control') && (this.capabilities?.input ?? false);
  }

  /** Keys, buttons, wheel, text: sent only while control is on (releasing held keys always is). */
  sendInput(msg: InputMessage): boolean {
    if (!this.controlGranted && msg.type !== 'input.release_all') return false;
    return this.peer?.send('input', msg) ?? false;
  }

  /** Pointer moves (unreliable channel), only while control is on. */
  sendPointer(msg: PointerMessage): boolean {
    if (!this.controlGranted) return false;
    return this.peer?.send('pointer', msg) ?? false;
  }

  /** Puts text on the customer's clipboard; the customer's end drops it without the grant. */
  sendClipboard(text: string): boolean {
    if (!this.permissions.isGranted('clipboard') || text.length > LIMITS.clipboardChars) return false;
    if (!this.peer?.send('control', { type: 'clipboard', text })) return false;
    this.log.add('technician', 'clipboard', `Sent ${text.length} characters to the customer's clipboard.`);
    return true;
  }

  /** Asks the agent to share (and map input to) another monitor. */
  selectScreen(screenId: string): boolean {
    const screen = this.screens.find((sc) => sc.id === screenId);
    if (!screen || screenId === this.selectedScreen) return false;
    if (!this.peer?.send('control', { type: 'screen.select', screenId })) return false;
    this.log.add('technician', 'screen', `Switched to screen ${screen.name || screenId}.`);
    return true;
  }

  /** When the customer's signaling went away (the session suspended for them; Date.now()); null while they are here. */
  private customerAwayAt: number | null = null;
  /** An ICE restart offered while the customer was away: the server could not deliver it. */
  private restartedWhileAway = false;

  /**
   * Measured (test/faults/link-down.fault.ts, path down 50 s): the restart
   * offers made while the customer's signaling was gone with the path never
   * reached them (the server has no one to relay them to), ICE had failed on
   * their side, and nothing restarted it once the path and the customer were
   * back; the unanswered offer also kept any new one from going out, so the
   * session stayed dark. Now the customer's return restarts ICE once more
   * (the lost offer rolled back) when a restart was lost or the connection is
   * not up.
   * Also when the customer was away for AWAY_RESTART_MS or more, whatever the
   * connection says: once in CI (path down 15 s) @roamhq/wrtc's state read
   * `connected` all through the outage, so nothing restarted ICE and the
   * picture came back 2.9 s after the path (0.1–0.3 s after a restart). A
   * restart on a path that still works costs one offer and answer; the old
   * candidate pair carries media until a new one is chosen.
   */
  private onCustomerBack(state: SessionState, reason: SessionReason): void {
    if (state === 'suspended' && reason === 'customer_lost') {
      this.customerAwayAt = Date.now();
      return;
    }
    if (state !== 'active' || this.customerAwayAt === null) return;
    const awayLong = Date.now() - this.customerAwayAt >= AWAY_RESTART_MS;
    this.customerAwayAt = null;
    const lost = this.restartedWhileAway;
    this.restartedWhileAway = false;
    const peer = this.peer;
    if (peer && !peer.closed && (lost || awayLong || peer.connectionState !== 'connected')) void peer.restartIce('the customer is back', { offerLost: lost });
  }

  /** The last connection facts read (for diagnostics). */
  get rawFacts(): ConnectionFacts | null {
    return this.lastFacts;
  }

  /** The server activated the session. The peer connection starts when the customer's first signal arrives: a customer who joins later (or whose page is still joining) never saw an offer made before it connected, and the impolite side would then ignore the customer's own offer for ever. */
  protected onActivated(m: Activated): void {
    this.activation = m;
    this.log.add('system', 'session', 'Session started; waiting for the customer to connect.');
    this.fire('activated', m);
  }

  protected override onSignalWithoutPeer(data: SignalData): void {
    const m = this.activation;
    if (!m || this.isClosed) return;
    this.openPeer(m);
    // The new peer's own subscription starts after this signal.
    void this.peer?.handleSignal(data);
  }

  /** The customer's name is theirs to give (the server does not verify it); the console shows it as given. */
  protected joinedText(msg: HelloMessage): string {
    return `${msg.name} joined using ${msg.client === 'agent' ? 'the support app' : 'a browser'}.`;
  }

  protected onReady(peer: PeerSession): void {
    peer.send('control', { type: 'hello', role: 'technician', client: this.opts.client, name: this.opts.name.slice(0, LIMITS.nameChars) || 'Technician', capabilities: TECHNICIAN_CAPABILITIES });
  }

  protected onControl(msg: SessionControl): boolean {
    switch (msg.type) {
      case 'permission.state':
        this.permissions.update(msg.permissions);
        return true;
      case 'screens':
        this.screens = msg.screens;
        this.selectedScreen = msg.selected;
        this.fire('screens', { screens: msg.screens, selected: msg.selected });
        return true;
      case 'clipboard':
        if (this.permissions.isGranted('clipboard')) {
          this.log.add('customer', 'clipboard', `The customer's clipboard changed (${msg.text.length} characters).`);
          this.fire('clipboard', { text: msg.text });
        }
        return true;
      case 'permission.request':
      case 'screen.select':
        // Only the customer's end asks and answers; a technician never does.
        return true;
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        return false;
    }
  }

  /** The technician writes the connection path to the audit log (one row per path, whatever the customer's client). */
  protected override onPath(detail: string): void {
    this.audit('connection.path', detail);
  }

  protected mayReceive(): boolean {
    return this.permissions.isGranted('files');
  }

  protected sessionStateText(state: SessionState, reason: SessionReason): string | null {
    if (state === 'suspended') return `The session is suspended (${reason.replace('_', ' ')}).`;
    if (state === 'active' && reason === 'reconnected') return 'Reconnected.';
    return null;
  }

  protected override closedText(closed: EngineClosed): string {
    return technicianClosedText(closed);
  }

  protected override onClose(): void {
    if (this.factsTimer) clearInterval(this.factsTimer);
    this.factsTimer = null;
  }

  private watchFacts(): void {
    const every = this.opts.factsIntervalMs ?? 1000;
    if (every <= 0 || this.factsTimer) return;
    this.factsTimer = setInterval(() => {
      const current = this.peer;
      if (!current) return;
      current.getConnectionFacts().then(
        (f) => {
          if (current !== this.peer) return;
          this.lastFacts = f;
          this.fire('facts', f);
        },
        () => undefined,
      );
    }, every);
  }
}
