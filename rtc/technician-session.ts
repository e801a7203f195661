import type { InputMessage, PointerMessage } from '../protocol/channels.ts';
import type { Permission } from '../protocol/permissions.ts';
import type { SignalData } from '../protocol/ice.ts';
import type { SessionReason, SessionState } from '../protocol/session-state.ts';
import type { PeerSession } from './peer-session.ts';
import { PermissionMirror } from './permissions.ts';
import { SupportEngine } from './support-engine.ts';
import type { Activated, SessionControl, SupportEngineEvents, SupportEngineOptions } from './support-engine.ts';
import type { SignalingClient } from './signaling-client.ts';

export type TechnicianSessionOptions = SupportEngineOptions & {
  /** Required here: the technician activates sessions through the server. */
  signaling: SignalingClient;
  /** The session this object drives (from the queue / session.list). */
  sessionId: string;
};

export type TechnicianSessionEvents = SupportEngineEvents;

/** The technician's side of one support session. */
export class TechnicianSession extends SupportEngine<TechnicianSessionEvents> {
  readonly permissions = new PermissionMirror();
  protected readonly role = 'technician';
  private readonly opts: TechnicianSessionOptions;
  private activation: Activated | null = null;

  constructor(options: TechnicianSessionOptions) {
    super(options);
    this.opts = options;
    this.sessionId = options.sessionId;
    this.permissions.on('change', ({ permissions, previous }) => {
      for (const p of Object.keys(permissions) as Permission[]) {
        if (permissions[p] !== previous[p]) this.log.add('customer', 'permission', `${p}: ${permissions[p]}`);
      }
    });
  }

  /** Asks the server to start the session; the peer connection follows on `session.activated`. */
  async activate(): Promise<void> {
    await this.opts.signaling.request({ type: 'session.activate', sessionId: this.opts.sessionId });
  }

  requestPermission(permission: Permission): boolean {
    return this.peer?.send('control', { type: 'permission.request', permission }) ?? false;
  }

  /** Keys, buttons, wheel, text: dropped here already when 'control' is not granted. */
  sendInput(msg: InputMessage): boolean {
    if (!this.permissions.isGranted('control')) return false;
    return this.peer?.send('input', msg) ?? false;
  }

  /** Pointer moves (unreliable channel). */
  sendPointer(msg: PointerMessage): boolean {
    if (!this.permissions.isGranted('control')) return false;
    return this.peer?.send('pointer', msg) ?? false;
  }

  sendClipboard(text: string): boolean {
    if (!this.permissions.isGranted('clipboard')) return false;
    return this.peer?.send('control', { type: 'clipboard', text }) ?? false;
  }

  selectScreen(screenId: string): boolean {
    return this.peer?.send('control', { type: 'screen.select', screenId }) ?? false;
  }

  protected onActivated(m: Activated): void {
    this.activation = m;
  }

  protected override onSignalWithoutPeer(data: SignalData): void {
    const m = this.activation;
    if (!m || this.isClosed) return;
    this.openPeer(m);
    void this.peer?.handleSignal(data);
  }

  /** The technician writes the connection path to the audit log (one row per path, whatever the customer's client). */
  protected override onPath(detail: string): void {
    this.audit('connection.path', detail);
  }

  protected mayReceive(): boolean {
    return true;
  }

  protected sessionStateText(state: SessionState, reason: SessionReason): string | null {
    return state === 'suspended' ? `The session is suspended (${reason.replace('_', ' ')}).` : null;
  }

  protected onReady(peer: PeerSession): void {
    peer.send('control', { type: 'hello', role: 'technician', client: this.opts.client, name: this.opts.name, capabilities: { input: true, screens: true, clipboard: true, files: true } });
  }

  protected onControl(msg: SessionControl): boolean {
    if (msg.type === 'permission.state') {
      this.permissions.update(msg.permissions);
      return true;
    }
    return false;
  }
}
