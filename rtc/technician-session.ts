import type { ControlMessage, InputMessage, PointerMessage } from '../protocol/channels.ts';
import type { Permission } from '../protocol/permissions.ts';
import type { FileSource, TransferResult } from './file-types.ts';
import type { PeerSession } from './peer-session.ts';
import { PermissionMirror } from './permissions.ts';
import { SupportSessionBase } from './session-base.ts';
import type { SupportSessionEvents, SupportSessionOptions } from './session-base.ts';
import type { SignalingClient } from './signaling-client.ts';

export type TechnicianSessionOptions = SupportSessionOptions & {
  /** Required here: the technician activates sessions through the server. */
  signaling: SignalingClient;
  /** The session this object drives (from the queue / session.list). */
  sessionId: string;
};

export type TechnicianSessionEvents = SupportSessionEvents & {
  /** The customer's `hello` (what its end can do). */
  hello: Extract<ControlMessage, { type: 'hello' }>;
};

/** The technician's side of one support session. */
export class TechnicianSession extends SupportSessionBase<TechnicianSessionEvents> {
  readonly permissions = new PermissionMirror();
  protected readonly role = 'technician';
  private readonly opts: TechnicianSessionOptions;
  /** The customer's last `hello`, once received. */
  peerHello: Extract<ControlMessage, { type: 'hello' }> | null = null;

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

  /** Sends a file to the customer (refused by the customer without the 'files' grant). */
  sendFile(source: FileSource): { transferId: string; done: Promise<TransferResult> } {
    return this.files.send(source);
  }

  protected onReady(peer: PeerSession): void {
    peer.send('control', { type: 'hello', role: 'technician', client: this.opts.client, name: this.opts.name, capabilities: { input: true, screens: true, clipboard: true, files: true } });
  }

  protected onControl(msg: ControlMessage): boolean {
    if (msg.type === 'permission.state') {
      this.permissions.update(msg.permissions);
      return true;
    }
    if (msg.type === 'hello') {
      this.peerHello = msg;
      this.fire('hello', msg);
      this.log.add('system', 'session', `${msg.name} joined (${msg.client})`);
    }
    return false;
  }
}
