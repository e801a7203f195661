import type { ControlMessage, InputMessage, Permission, PointerMessage, Screen } from '../protocol/index.ts';
import { LIMITS, PERMISSIONS, PERMISSION_LABELS } from '../protocol/index.ts';
import { PermissionAuthority } from '../rtc/permissions.ts';
import type { PeerSession } from '../rtc/peer-session.ts';
import { SupportSessionBase, type SupportSessionOptions } from '../rtc/session-base.ts';
import type { FileTransferOptions } from '../rtc/file-types.ts';
import type { ScreenCapturer } from './capture/screen-capturer.ts';
import { ScreenVideoTrack } from './capture/video-track.ts';
import type { Clipboard } from './clipboard.ts';
import type { InputInjector } from './input/input-injector.ts';

/** Asks the customer for one permission (terminal prompt, or a fixed answer for unattended use). */
export type AskPermission = (permission: Permission, label: string) => Promise<boolean>;

export type AgentSessionOptions = Omit<SupportSessionOptions, 'client' | 'files'> & {
  capturer: ScreenCapturer;
  injector: InputInjector;
  clipboard: Clipboard | null;
  files: FileTransferOptions;
  ask: AskPermission;
  /** Granted as soon as the session starts, without asking (`--auto-grant`). */
  preGranted: readonly Permission[];
  fps: number;
};

/** Counters for tests, the bench and the closing summary. */
export interface AgentCounters {
  injected: number;
  droppedInput: number;
  framesPushed: number;
}

/**
 * The agent's end of a support session. It is the authority on permissions:
 * video frames reach the track only while `view` is granted, input reaches
 * the injector only while `control` is, file offers are refused without
 * `files`, clipboard text is neither read nor written without `clipboard`.
 * Grants live as long as this object (the whole session), so a new peer
 * connection after a signaling reconnect or an ICE restart keeps them.
 */
export class AgentSession extends SupportSessionBase {
  protected readonly role = 'customer' as const;
  readonly permissions = new PermissionAuthority();
  readonly counters: AgentCounters = { injected: 0, droppedInput: 0, framesPushed: 0 };
  private screens: Screen[] = [];
  private selected: Screen | null = null;
  private video: ScreenVideoTrack | null = null;
  private sender: RTCRtpSender | null = null;
  private senderPeer: PeerSession | null = null;
  private capturing = false;
  private clipboardTimer: NodeJS.Timeout | null = null;
  private lastClipboard: string | null = null;
  private readonly asking = new Set<Permission>();
  private readonly agent: AgentSessionOptions;
  /**
   * The technician as the signaling server named them (`code.accepted`, or the
   * ad hoc pairing): shown when they join, never the name their `hello` claims.
   */
  technician: string | null = null;

  constructor(options: AgentSessionOptions) {
    super({ ...options, client: 'agent' });
    this.agent = options;
    this.permissions.on('change', (c) => {
      this.peer?.send('control', { type: 'permission.state', permissions: c.permissions });
      if (c.to === 'granted' || c.to === 'denied' || c.to === 'revoked') {
        this.log.add('customer', 'permission', `${PERMISSION_LABELS[c.permission]}: ${c.to}`);
        this.audit(`permission.${c.to}`, c.permission);
      }
      void this.apply(c.permission);
    });
  }

  /** Lists screens and grants what was granted in advance. Call once before the technician connects. */
  async init(): Promise<void> {
    this.screens = await this.agent.capturer.listScreens();
    this.selected = this.screens.find((s) => s.primary) ?? this.screens[0] ?? null;
    if (this.selected) this.agent.injector.setScreen(this.selected);
    for (const p of this.agent.preGranted) this.grant(p);
  }

  /** The customer grants a permission locally (prompt answer, --auto-grant, or the /grant command). */
  grant(permission: Permission): void {
    if (this.permissions.isGranted(permission)) return;
    if (this.permissions.get(permission) !== 'asked') this.permissions.request(permission);
    this.permissions.answer(permission, true);
  }

  /** The customer withdraws a permission; takes effect at once. */
  revoke(permission: Permission): void {
    if (this.permissions.isGranted(permission)) this.permissions.revoke(permission);
  }

  listScreens(): Screen[] {
    return [...this.screens];
  }

  override close(reason = 'closed'): void {
    if (this.isClosed) return;
    if (this.clipboardTimer) clearInterval(this.clipboardTimer);
    void this.stopVideo();
    this.agent.injector.releaseAll();
    this.video?.stop();
    super.close(reason);
  }

  protected override fileGate(): Pick<FileTransferOptions, 'isAllowed'> {
    return { isAllowed: () => this.permissions.isGranted('files') };
  }

  protected onReady(peer: PeerSession): void {
    peer.send('control', {
      type: 'hello',
      role: 'customer',
      client: 'agent',
      name: this.agent.name,
      capabilities: { input: true, screens: true, clipboard: this.agent.clipboard !== null, files: true },
    });
    peer.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
    this.sendScreens();
    peer.on('pointer', (msg) => this.onInput(msg));
    peer.on('input', (msg) => this.onInput(msg));
    void this.apply('view');
  }

  protected onControl(msg: ControlMessage): boolean {
    switch (msg.type) {
      case 'permission.request':
        void this.onRequest(msg.permission);
        return true;
      case 'screen.select':
        void this.selectScreen(msg.screenId);
        return true;
      case 'clipboard':
        if (this.permissions.isGranted('clipboard') && this.agent.clipboard) {
          this.lastClipboard = msg.text;
          void this.agent.clipboard.write(msg.text);
        }
        return true;
      case 'hello':
        this.log.add('system', 'session', `${this.technician ?? 'The technician'} joined`);
        return true;
      case 'error':
        this.log.add('technician', 'error', `${msg.code}: ${msg.message}`);
        return true;
      case 'permission.state':
      case 'screens':
      case 'session.end':
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        return false;
    }
  }

  private async onRequest(permission: Permission): Promise<void> {
    // Already on the customer's screen: a repeat changes nothing (and floods nothing).
    if (this.asking.has(permission)) return;
    this.log.add('technician', 'permission', `asks: ${PERMISSION_LABELS[permission]}`);
    this.audit('permission.requested', permission);
    if (!this.permissions.request(permission)) {
      // Already granted in this session: no new prompt, just restate.
      this.peer?.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
      return;
    }
    this.asking.add(permission);
    try {
      const yes = await this.agent.ask(permission, PERMISSION_LABELS[permission]);
      if (!this.isClosed && this.permissions.get(permission) === 'asked') this.permissions.answer(permission, yes);
    } finally {
      this.asking.delete(permission);
    }
  }

  private onInput(msg: PointerMessage | InputMessage): void {
    if (!this.permissions.isGranted('control')) {
      this.counters.droppedInput++;
      return;
    }
    const inj = this.agent.injector;
    this.counters.injected++;
    switch (msg.type) {
      case 'pointer.move':
        return inj.move(msg.x, msg.y);
      case 'pointer.button':
        return inj.button(msg.button, msg.down, msg.x, msg.y);
      case 'wheel':
        return inj.wheel(msg.dx, msg.dy, msg.x, msg.y);
      case 'key':
        inj.key(msg.code, msg.down);
        return;
      case 'text':
        void inj.text(msg.text);
        return;
      case 'input.release_all':
        return inj.releaseAll();
    }
  }

  /** Brings the world in line with one permission's state. */
  private async apply(permission: Permission): Promise<void> {
    const granted = this.permissions.isGranted(permission);
    switch (permission) {
      case 'view':
        return granted ? this.startVideo() : this.stopVideo();
      case 'control':
        if (!granted) this.agent.injector.releaseAll();
        return;
      case 'files':
        if (!granted) this.files.cancelAll('file transfer permission withdrawn');
        return;
      case 'clipboard':
        return this.watchClipboard(granted);
    }
  }

  private async startVideo(): Promise<void> {
    const peer = this.peer;
    if (!peer || !peer.isOpen('control') || !this.selected || this.isClosed) return;
    this.video ??= new ScreenVideoTrack(this.agent.fps);
    if (this.senderPeer !== peer) {
      this.sender = peer.addTrack(this.video.track);
      this.senderPeer = peer;
    }
    if (this.capturing) return;
    this.capturing = true;
    const video = this.video;
    try {
      await this.agent.capturer.start(this.selected, { fps: this.agent.fps }, (frame) => {
        // Re-checked per frame: a revocation or the end stops frames even before capture stops.
        if (!this.capturing || this.isClosed || !this.permissions.isGranted('view')) return;
        if (video.push(frame)) this.counters.framesPushed++;
      });
      this.log.add('system', 'screen', `Sharing ${this.selected.name} (${this.selected.width}x${this.selected.height})`);
    } catch (err) {
      this.capturing = false;
      this.log.add('system', 'error', `Screen capture failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async stopVideo(): Promise<void> {
    if (this.sender && this.senderPeer && !this.senderPeer.closed) {
      try {
        this.senderPeer.removeTrack(this.sender);
      } catch {
        // The peer is going away.
      }
    }
    this.sender = null;
    this.senderPeer = null;
    if (!this.capturing) return;
    this.capturing = false;
    await this.agent.capturer.stop();
    this.log.add('system', 'screen', 'Screen sharing stopped');
  }

  private async selectScreen(screenId: string): Promise<void> {
    const screen = this.screens.find((s) => s.id === screenId);
    if (!screen || !this.permissions.isGranted('view')) return;
    this.selected = screen;
    this.agent.injector.setScreen(screen);
    this.sendScreens();
    if (this.capturing) {
      this.capturing = false;
      await this.agent.capturer.stop();
      await this.startVideo();
    }
  }

  private sendScreens(): void {
    this.peer?.send('control', { type: 'screens', screens: this.screens.slice(0, LIMITS.screens), selected: this.selected?.id ?? null });
  }

  private watchClipboard(granted: boolean): void {
    if (this.clipboardTimer) clearInterval(this.clipboardTimer);
    this.clipboardTimer = null;
    const clipboard = this.agent.clipboard;
    if (!granted || !clipboard) return;
    this.clipboardTimer = setInterval(() => {
      void clipboard.read().then((text) => {
        if (text === null || text === this.lastClipboard || !this.permissions.isGranted('clipboard')) return;
        this.lastClipboard = text;
        this.peer?.send('control', { type: 'clipboard', text: text.slice(0, LIMITS.clipboardChars) });
      });
    }, 1000);
  }
}

export const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;
