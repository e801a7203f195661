import type { ControlMessage, InputMessage, PointerMessage } from '../protocol/channels.ts';
import { PERMISSION_LABELS } from '../protocol/permissions.ts';
import type { Permission } from '../protocol/permissions.ts';
import type { FileTransferOptions } from './file-types.ts';
import type { PeerSession } from './peer-session.ts';
import { PermissionAuthority } from './permissions.ts';
import { SupportSessionBase } from './session-base.ts';
import type { SupportSessionEvents, SupportSessionOptions } from './session-base.ts';

export type CustomerSessionOptions = SupportSessionOptions & {
  capabilities: { input: boolean; screens: boolean; clipboard: boolean; files: boolean };
  /** The UI prompt: resolve true to grant. */
  askPermission: (permission: Permission) => Promise<boolean>;
  /** Called when 'view' is granted: return the screen track to send (agent: RTCVideoSource track; browser: getDisplayMedia). */
  startVideo?: () => Promise<MediaStreamTrack | null>;
  /** Called when 'view' is no longer granted, after the track was removed. */
  stopVideo?: (track: MediaStreamTrack) => void;
  /** Input and pointer messages, only while 'control' is granted (the agent injects them). */
  onInput?: (msg: InputMessage | PointerMessage) => void;
  /** Clipboard text from the technician, only while 'clipboard' is granted. */
  onClipboard?: (text: string) => void;
};

export type CustomerSessionEvents = SupportSessionEvents & {
  /** Input or clipboard that arrived without its grant and was dropped. */
  dropped: { what: string; permission: Permission };
};

/**
 * The customer's side of a support session (browser page or agent): the
 * permission authority, enforced here whatever the technician sends.
 */
export class CustomerSession extends SupportSessionBase<CustomerSessionEvents> {
  readonly permissions = new PermissionAuthority();
  protected readonly role = 'customer';
  private readonly opts: CustomerSessionOptions;
  private readonly prompting = new Set<Permission>();
  private videoSender: RTCRtpSender | null = null;
  private videoTrack: MediaStreamTrack | null = null;

  constructor(options: CustomerSessionOptions) {
    super(options);
    this.opts = options;
    this.permissions.on('change', (c) => {
      this.peer?.send('control', { type: 'permission.state', permissions: c.permissions });
      if (c.to === 'granted' || c.to === 'denied' || c.to === 'revoked' || c.to === 'asked') {
        const event = c.to === 'asked' ? 'permission.requested' : (`permission.${c.to}` as const);
        this.audit(event, c.permission);
        this.log.add(c.to === 'asked' ? 'technician' : 'customer', 'permission', `${PERMISSION_LABELS[c.permission]}: ${c.to}`);
      }
      if (c.permission === 'view') void this.syncVideo();
      if (c.permission === 'files' && c.from === 'granted') this.files.cancelAll('files permission withdrawn', 'receive');
    });
    this.on('peer', () => {
      // A new peer connection: the old sender is gone with it.
      this.videoSender = null;
      void this.syncVideo();
    });
    this.on('closed', () => this.stopVideoTrack());
  }

  revoke(permission: Permission): void {
    if (this.permissions.get(permission) === 'granted') this.permissions.revoke(permission);
  }

  revokeAll(): void {
    this.permissions.revokeAll();
  }

  /** Sends the screen list (agent). */
  sendScreens(msg: Extract<ControlMessage, { type: 'screens' }>): boolean {
    return this.peer?.send('control', msg) ?? false;
  }

  protected override fileGate(): Pick<FileTransferOptions, 'isAllowed'> {
    return { isAllowed: () => this.permissions.isGranted('files') };
  }

  protected onReady(peer: PeerSession): void {
    peer.send('control', { type: 'hello', role: 'customer', client: this.opts.client, name: this.opts.name, capabilities: this.opts.capabilities });
    peer.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
    const drop = (what: string, permission: Permission): void => this.fire('dropped', { what, permission });
    const input = (msg: InputMessage | PointerMessage): void => {
      if (!this.permissions.isGranted('control')) return drop(msg.type, 'control');
      this.opts.onInput?.(msg);
    };
    peer.on('input', input);
    peer.on('pointer', input);
  }

  protected onControl(msg: ControlMessage): boolean {
    if (msg.type === 'permission.request') {
      void this.handleRequest(msg.permission);
      return true;
    }
    if (msg.type === 'clipboard') {
      if (this.permissions.isGranted('clipboard')) this.opts.onClipboard?.(msg.text);
      else this.fire('dropped', { what: 'clipboard', permission: 'clipboard' });
      return true;
    }
    // Only the customer's side is the authority: a permission.state from the technician is ignored.
    return msg.type === 'permission.state';
  }

  private async handleRequest(permission: Permission): Promise<void> {
    if (this.prompting.has(permission)) return;
    if (!this.permissions.request(permission)) {
      // Already granted: tell the technician again.
      this.peer?.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
      return;
    }
    this.prompting.add(permission);
    let granted = false;
    try {
      granted = await this.opts.askPermission(permission);
    } catch {
      granted = false;
    } finally {
      this.prompting.delete(permission);
    }
    if (this.isClosed || this.permissions.get(permission) !== 'asked') return;
    this.permissions.answer(permission, granted);
  }

  /** Adds or removes the screen track to match the 'view' grant. */
  private async syncVideo(): Promise<void> {
    const peer = this.peer;
    if (!peer || this.isClosed) return;
    if (this.permissions.isGranted('view')) {
      if (this.videoSender) return;
      if (!this.videoTrack) {
        try {
          this.videoTrack = (await this.opts.startVideo?.()) ?? null;
        } catch (err) {
          this.log.add('system', 'video', `Screen capture failed: ${String(err)}`);
          return;
        }
      }
      if (!this.videoTrack || peer !== this.peer || peer.closed || this.videoSender) return;
      if (!this.permissions.isGranted('view')) return this.stopVideoTrack();
      this.videoSender = peer.addTrack(this.videoTrack);
    } else {
      if (this.videoSender && !peer.closed) peer.removeTrack(this.videoSender);
      this.videoSender = null;
      this.stopVideoTrack();
    }
  }

  private stopVideoTrack(): void {
    const track = this.videoTrack;
    this.videoTrack = null;
    if (track) this.opts.stopVideo?.(track);
  }
}
