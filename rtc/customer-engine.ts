import { offersPermission } from '../protocol/channels.ts';
import type { Capabilities, ControlMessage, InputMessage, PointerMessage } from '../protocol/channels.ts';
import { RescueError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import { PERMISSION_LABELS } from '../protocol/permissions.ts';
import type { Permission } from '../protocol/permissions.ts';
import type { SessionReason, SessionState } from '../protocol/session-state.ts';
import type { ServerMessage } from '../protocol/signaling.ts';
import { customerClosedText } from './closed-text.ts';
import { keepResolution } from './keep-resolution.ts';
import type { PeerSession } from './peer-session.ts';
import { PermissionAuthority } from './permissions.ts';
import type { PermissionChange } from './permissions.ts';
import { SupportEngine } from './support-engine.ts';
import type { Activated, EngineClosed, SessionControl, SupportEngineEvents, SupportEngineOptions } from './support-engine.ts';

/** What the customer's machine or page plugs into the engine. Every hook is optional. */
export type CustomerHooks = {
  /**
   * The prompt for a technician's request this end can honour; resolve true to
   * grant. Without it the request stays `asked` until `answer()` (a page's buttons).
   */
  ask?: (permission: Permission) => Promise<boolean>;
  /** Runs before a grant takes effect; false refuses it (the browser's share picker was cancelled). */
  prepareGrant?: (permission: Permission) => Promise<boolean>;
  /** The screen: `start` once `view` is granted and the session is ready, `stop` when it no longer is. */
  video?: {
    start(): Promise<MediaStreamTrack | null>;
    stop(track: MediaStreamTrack): void;
    /** The track now goes out on `peer` (a new connection: the agent sends it the picture, though the screen is still). */
    sending?(peer: PeerSession): void;
  };
  /** Where input goes while `control` is granted (the agent injects it); `releaseAll` when it ends. */
  input?: { inject(msg: InputMessage | PointerMessage): void; releaseAll(): void };
  /** The clipboard, read (polled) and written only while `clipboard` is granted. */
  clipboard?: { read(): Promise<string | null>; write(text: string): Promise<void> } | null;
  /** How often the clipboard is read while granted. Default 1000 ms. */
  clipboardPollMs?: number;
  /**
   * The prompt when the technician invites a colleague; resolve true to let
   * them in. Without it the invitation waits for `answerColleague()` (a page's buttons).
   */
  askColleague?: (colleague: Colleague) => Promise<boolean>;
};

/** A second technician in the session, as the server names them. */
export type Colleague = { name: string; email: string; leadName: string; state: 'asked' | 'joined'; control: boolean };
type Transferred = Extract<ServerMessage, { type: 'session.transferred' }>;
type ColleagueStateMsg = Extract<ServerMessage, { type: 'colleague.state' }>;

/** What the customer reads when the session they had joined did not survive a server restart (resume refused with SESSION_NOT_RESTORED). */
export const RESTART_ENDED_TEXT = 'This session ended when the server restarted: it could not be restored. If you still need help, ask your technician for a new code.';

export type CustomerEngineOptions = SupportEngineOptions & CustomerHooks & { capabilities: Capabilities };

export type CustomerEngineEvents = SupportEngineEvents & {
  /** Input or clipboard that arrived without its grant and was dropped. */
  dropped: { what: string; permission: Permission };
  /** A permission changed (the whole map is in `permissions`). */
  permission: PermissionChange;
  /** The session was handed to another technician (named by the server); every grant was withdrawn. */
  transferred: Transferred;
  /** The colleague was invited, joined, got or lost control, or left (null). */
  colleague: Colleague | null;
};

/**
 * The customer's end of a support session, for every customer kind (the
 * browser page and the agent are adapters over it): the one authority on
 * permissions. It decides what is granted, drops what is not, cancels files
 * when `files` goes, keeps the screen track in step with `view`, and reports
 * each permission change to the audit log once, whatever the technician sends.
 */
export class CustomerEngine extends SupportEngine<CustomerEngineEvents> {
  readonly permissions = new PermissionAuthority();
  /**
   * The technician as the signaling server names them (`code.accepted`, the
   * activation, the ad hoc pairing): shown when they join, never the name
   * their `hello` claims.
   */
  technician: string | null = null;
  /** The second technician the lead invited, once the server named them. */
  colleague: Colleague | null = null;
  protected readonly role = 'customer';
  private readonly opts: CustomerEngineOptions;
  /** Requests waiting for the `ask` hook, and answers waiting for `prepareGrant`. */
  private readonly prompting = new Set<Permission>();
  private readonly answering = new Set<Permission>();
  private readyPeer: PeerSession | null = null;
  /** A transfer happened; the next activation is the new technician's. */
  private handedOver = false;
  private videoSender: RTCRtpSender | null = null;
  private videoTrack: MediaStreamTrack | null = null;
  private clipboardTimer: ReturnType<typeof setInterval> | null = null;
  private lastClipboard: string | null = null;
  /** Runs while the peer connection is lost; when it fires, every grant ends (see `watchLink`). */
  private lostTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: CustomerEngineOptions) {
    super(options);
    this.opts = options;
    this.permissions.on('change', (c) => this.onPermission(c));
    const sig = options.signaling;
    if (sig) {
      this.listen(sig.on('session.transferred', (m) => m.sessionId === this.sessionId && this.onTransferred(m)));
      this.listen(sig.on('colleague.state', (m) => m.sessionId === this.sessionId && this.onColleague(m)));
      this.listen(
        sig.on('resume.failed', (f) => {
          this.log.add('system', 'session', f.code === 'SESSION_NOT_RESTORED' ? RESTART_ENDED_TEXT : 'This session ended while you were disconnected. If you still need help, ask your technician for a new code.');
          this.close('resume refused');
        }),
      );
    }
    this.on('connectionstatechange', (state) => this.watchLink(state));
  }

  /** The customer lets the invited colleague in, or not. */
  async answerColleague(accept: boolean): Promise<void> {
    const sig = this.options.signaling;
    if (this.colleague?.state !== 'asked' || !sig || !this.sessionId) return;
    try {
      await sig.request({ type: 'colleague.answer', sessionId: this.sessionId, accept });
    } catch (err) {
      this.log.add('system', 'session', `Your answer did not reach the server: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The customer sends the colleague away (the lead stays). */
  async removeColleague(): Promise<void> {
    const sig = this.options.signaling;
    if (!this.colleague || !sig || !this.sessionId) return;
    try {
      await sig.request({ type: 'colleague.remove', sessionId: this.sessionId });
    } catch {
      // Gone already.
    }
  }

  /** Whether this end can do `permission` at all (a browser share cannot take input). */
  offers(permission: Permission): boolean {
    return offersPermission(this.opts.capabilities, permission);
  }

  /** The customer's answer to a pending request. */
  async answer(permission: Permission, granted: boolean): Promise<void> {
    if (this.permissions.get(permission) !== 'asked' || this.answering.has(permission)) return;
    let yes = granted;
    if (yes && this.opts.prepareGrant) {
      this.answering.add(permission);
      try {
        yes = await this.opts.prepareGrant(permission);
      } catch {
        yes = false;
      } finally {
        this.answering.delete(permission);
      }
    }
    if (this.isClosed || this.permissions.get(permission) !== 'asked') return;
    this.permissions.answer(permission, yes);
  }

  /** The customer grants without being asked (`--auto-grant`, the agent's /grant). */
  grant(permission: Permission): void {
    if (this.isClosed || this.permissions.isGranted(permission) || !this.offers(permission)) return;
    this.permissions.grant(permission);
  }

  /** The customer withdraws a permission; it takes effect at once. */
  revoke(permission: Permission): void {
    if (this.permissions.isGranted(permission)) this.permissions.revoke(permission);
  }

  /** The customer's "stop everything": every grant, and the colleague too. */
  revokeAll(): void {
    this.permissions.revokeAll();
    if (this.colleague) void this.removeColleague();
  }

  /** Sends the screen list (the agent). */
  sendScreens(msg: Extract<ControlMessage, { type: 'screens' }>): boolean {
    return this.peer?.send('control', msg) ?? false;
  }

  protected override mayReceive(): boolean {
    return this.permissions.isGranted('files');
  }

  protected override checkMaySend(): void {
    if (!this.permissions.isGranted('files')) throw new RescueError('PERMISSION_REQUIRED', 'Allow file transfer first.');
  }

  protected onActivated(m: Activated): void {
    const handedOver = this.handedOver;
    this.handedOver = false;
    this.technician = handedOver ? m.peerName : (this.technician ?? m.peerName);
    this.log.add('system', 'session', handedOver ? `${this.technician} is connecting.` : `${this.technician} started the session.`);
    this.openPeer(m);
  }

  /** A relayed chat line names the colleague only when it is the one the customer let in. */
  protected override chatAuthor(author: string): string | undefined {
    return this.colleague?.state === 'joined' && author === this.colleague.name ? author : undefined;
  }

  /**
   * The session goes to another technician. Said first, by the server's name;
   * then every grant is withdrawn (the new technician asks again:
   * docs/decisions.md) and the old technician's connection is dropped at once.
   */
  private onTransferred(m: Transferred): void {
    const note = m.note ? ` Their note: "${m.note}".` : '';
    this.log.add('system', 'session', `${m.previousName} handed this session to ${m.technicianName} (${m.technicianEmail}, verified by the server).${note} ${m.technicianName} has to ask again before seeing or doing anything.`);
    this.technician = m.technicianName;
    this.handedOver = true;
    this.fire('transferred', m);
    for (const p of this.pendingRequests()) this.permissions.answer(p, false);
    this.permissions.revokeAll();
    this.removeVideo();
    this.opts.input?.releaseAll();
    this.readyPeer = null;
    this.dropPeerNow();
  }

  private pendingRequests(): Permission[] {
    const map = this.permissions.snapshot();
    return (Object.keys(map) as Permission[]).filter((p) => map[p] === 'asked');
  }

  private onColleague(m: ColleagueStateMsg): void {
    const { name, email } = m.colleague;
    const lead = m.leadName;
    switch (m.state) {
      case 'invited':
        this.colleague = { name, email, leadName: lead, state: 'asked', control: false };
        this.log.add('system', 'session', `${lead} asks to bring in ${name} (${email}, verified by the server): they would see your screen and chat. Control stays with ${lead}.`);
        if (this.opts.askColleague) {
          const asked = this.colleague;
          this.opts.askColleague(asked).then(
            (yes) => this.colleague === asked && void this.answerColleague(yes),
            () => this.colleague === asked && void this.answerColleague(false),
          );
        }
        break;
      case 'joined':
        this.colleague = { name, email, leadName: lead, state: 'joined', control: false };
        this.log.add('customer', 'session', `${name} joined: they see what ${lead} sees of your screen, and can chat.`);
        break;
      case 'declined':
        this.colleague = null;
        this.log.add('customer', 'session', `${name} was not let in.`);
        break;
      case 'removed':
        this.colleague = null;
        this.log.add('system', 'session', `${name} left the session.`);
        break;
      case 'control':
      case 'control_returned':
        if (!this.colleague) return;
        this.colleague = { ...this.colleague, control: m.state === 'control' };
        this.log.add('system', 'session', m.state === 'control' ? `${lead} handed remote control to ${name}.` : `${lead} took remote control back from ${name}.`);
        break;
    }
    this.fire('colleague', this.colleague);
  }

  protected joinedText(): string {
    return `${this.technician ?? 'The technician'} joined`;
  }

  protected override sessionStateText(state: SessionState, reason: SessionReason): string | null {
    if (state === 'suspended') return 'Your technician is reconnecting…';
    if (state === 'active' && reason === 'reconnected') return 'Reconnected.';
    return null;
  }

  protected onReady(peer: PeerSession): void {
    // Keys held through an earlier connection: their key-ups went with it.
    if (this.readyPeer && this.readyPeer !== peer) this.opts.input?.releaseAll();
    this.readyPeer = peer;
    // While the connection is not up, the technician's key-ups cannot arrive: release what is held
    // rather than leave a key down (autorepeating) on this machine (test/faults/loss.fault.ts, dark path).
    peer.on('connectionstatechange', (state) => {
      if (peer === this.peer && (state === 'disconnected' || state === 'failed' || state === 'closed')) this.opts.input?.releaseAll();
    });
    this.videoSender = null;
    peer.send('control', { type: 'hello', role: 'customer', client: this.opts.client, name: this.opts.name, capabilities: this.opts.capabilities });
    peer.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
    const input = (msg: InputMessage | PointerMessage): void => {
      if (peer !== this.peer) return;
      if (!this.permissions.isGranted('control')) {
        this.fire('dropped', { what: msg.type, permission: 'control' });
        return;
      }
      this.opts.input?.inject(msg);
    };
    peer.on('input', input);
    peer.on('pointer', input);
    void this.syncVideo();
  }

  protected onControl(msg: SessionControl): boolean {
    switch (msg.type) {
      case 'permission.request':
        this.onRequest(msg.permission);
        return true;
      case 'clipboard':
        if (this.permissions.isGranted('clipboard') && this.opts.clipboard) {
          this.lastClipboard = msg.text;
          void this.opts.clipboard.write(msg.text).catch(() => undefined);
        } else {
          this.fire('dropped', { what: 'clipboard', permission: 'clipboard' });
        }
        return true;
      case 'permission.state':
        // Only the customer's side is the authority: a permission.state from the technician is ignored.
        return true;
      case 'screens':
      case 'screen.select':
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        return false;
    }
  }

  protected override closedText(closed: EngineClosed): string {
    return customerClosedText(closed);
  }

  /**
   * Enforced here, whoever else can be reached: once the peer connection has
   * been lost for longer than the server's grace period (its `welcome`), the
   * session cannot come back as it was, so every grant ends on this machine
   * (and any question still open is answered no). A shorter loss keeps them:
   * the connection recovers (ICE restart) and nobody is asked again.
   */
  private watchLink(state: RTCPeerConnectionState): void {
    if (state === 'connected' || this.isClosed) {
      if (this.lostTimer) clearTimeout(this.lostTimer);
      this.lostTimer = null;
      return;
    }
    if ((state !== 'disconnected' && state !== 'failed') || this.lostTimer) return;
    const graceSeconds = this.options.signaling?.welcome?.reconnectGraceSeconds ?? 30;
    this.lostTimer = setTimeout(() => {
      this.lostTimer = null;
      if (this.isClosed || this.peer?.connectionState === 'connected') return;
      const asked = this.pendingRequests();
      const granted = Object.values(this.permissions.snapshot()).includes('granted');
      if (!granted && asked.length === 0) return;
      const who = this.technician ?? 'Your technician';
      this.log.add('system', 'session', `The connection to ${who} was lost for more than ${graceSeconds} seconds, so everything you allowed has ended. ${who} will have to ask again.`);
      for (const p of asked) this.permissions.answer(p, false);
      this.permissions.revokeAll();
    }, graceSeconds * 1000);
  }

  protected override onClose(): void {
    if (this.lostTimer) clearTimeout(this.lostTimer);
    this.lostTimer = null;
    this.watchClipboard(false);
    this.opts.input?.releaseAll();
    this.removeVideo();
  }

  private onRequest(permission: Permission): void {
    const state = this.permissions.get(permission);
    if (state === 'asked' || this.prompting.has(permission)) return;
    if (!this.offers(permission)) {
      // Nothing to ask: this end cannot do it. Say no at once so the technician is not left waiting.
      this.permissions.request(permission);
      this.permissions.answer(permission, false);
      this.log.add('system', 'permission', `${PERMISSION_LABELS[permission]} is not possible from ${this.opts.client === 'browser' ? 'a browser' : 'this computer'}.`);
      return;
    }
    if (!this.permissions.request(permission)) {
      // Already granted: no new prompt, just restate the map.
      this.peer?.send('control', { type: 'permission.state', permissions: this.permissions.snapshot() });
      return;
    }
    const ask = this.opts.ask;
    if (!ask) return;
    this.prompting.add(permission);
    ask(permission).then(
      (yes) => this.answerPrompt(permission, yes),
      () => this.answerPrompt(permission, false),
    );
  }

  private answerPrompt(permission: Permission, yes: boolean): void {
    this.prompting.delete(permission);
    void this.answer(permission, yes);
  }

  private onPermission(c: PermissionChange): void {
    this.peer?.send('control', { type: 'permission.state', permissions: c.permissions });
    const label = PERMISSION_LABELS[c.permission];
    if (c.to === 'asked') {
      if (c.reason === 'requested') {
        this.log.add('technician', 'permission', `asks: ${label}`);
        this.audit('permission.requested', c.permission);
      }
    } else if (c.to === 'granted' || c.to === 'denied' || c.to === 'revoked') {
      this.log.add('customer', 'permission', `${label}: ${c.to}`);
      this.audit(`permission.${c.to}`, c.permission);
    }
    const left = c.from === 'granted' && c.to !== 'granted';
    switch (c.permission) {
      case 'view':
        void this.syncVideo();
        break;
      case 'control':
        if (left) this.opts.input?.releaseAll();
        break;
      case 'files':
        if (left) this.files.cancelAll('file transfer permission withdrawn');
        break;
      case 'clipboard':
        this.watchClipboard(c.to === 'granted');
        break;
    }
    this.fire('permission', c);
  }

  /** Adds or removes the screen track to match the `view` grant, once the session is ready. */
  private async syncVideo(): Promise<void> {
    if (this.isClosed) return;
    if (!this.permissions.isGranted('view')) {
      this.removeVideo();
      return;
    }
    const peer = this.readyPeer;
    if (!peer || peer !== this.peer || peer.closed || this.videoSender) return;
    if (!this.videoTrack) {
      try {
        this.videoTrack = (await this.opts.video?.start()) ?? null;
      } catch (err) {
        this.log.add('system', 'screen', `Screen capture failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    if (!this.videoTrack || peer !== this.peer || peer.closed || this.videoSender) return;
    if (!this.permissions.isGranted('view') || this.isClosed) {
      this.removeVideo();
      return;
    }
    this.videoSender = peer.addTrack(this.videoTrack);
    void keepResolution(this.videoSender);
    this.opts.video?.sending?.(peer);
  }

  private removeVideo(): void {
    const peer = this.peer;
    if (this.videoSender && peer && !peer.closed) {
      try {
        peer.removeTrack(this.videoSender);
      } catch {
        // The connection is going away.
      }
    }
    this.videoSender = null;
    const track = this.videoTrack;
    this.videoTrack = null;
    if (track) this.opts.video?.stop(track);
  }

  private watchClipboard(granted: boolean): void {
    if (this.clipboardTimer) clearInterval(this.clipboardTimer);
    this.clipboardTimer = null;
    const clipboard = this.opts.clipboard;
    if (!granted || !clipboard || this.isClosed) return;
    this.clipboardTimer = setInterval(() => {
      void clipboard.read().then(
        (text) => {
          if (text === null || text === this.lastClipboard || !this.permissions.isGranted('clipboard')) return;
          this.lastClipboard = text;
          this.peer?.send('control', { type: 'clipboard', text: text.slice(0, LIMITS.clipboardChars) });
        },
        () => undefined,
      );
    }, this.opts.clipboardPollMs ?? 1000);
  }
}
