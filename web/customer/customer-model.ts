import { PermissionAuthority } from '../../rtc/permissions.ts';
import { SignalingClient } from '../../rtc/signaling-client.ts';
import type { ControlMessage } from '../../protocol/channels.ts';
import { PERMISSIONS, PERMISSION_LABELS, initialPermissions } from '../../protocol/permissions.ts';
import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import type { SessionReason } from '../../protocol/session-state.ts';
import type { ServerMessage } from '../../protocol/signaling.ts';
import { assertNever } from '../../protocol/parse.ts';
import { SessionBase } from '../shared/session-base.ts';
import { errorText, readApiError } from '../shared/error-text.ts';

export type CustomerPhase = 'code' | 'checking' | 'choose' | 'agent' | 'connecting' | 'session' | 'ended';

const REASON_TEXT: Partial<Record<SessionReason, string>> = {
  technician_ended: 'Your technician ended the session.',
  customer_ended: 'You ended the session.',
  technician_lost: 'Your technician was disconnected.',
  customer_lost: 'This page was disconnected for too long.',
  code_expired: 'The code expired.',
  server_shutdown: 'The server shut down.',
};

/** What a browser share can do: view only (a page cannot inject input), no clipboard. */
const BROWSER_CAPABILITIES = { input: false, screens: false, clipboard: false, files: true } as const;

/**
 * The customer support page's state: the code, the choice between the support
 * app and a browser share, and (browser share) the live session where this
 * page is the authority on every permission.
 */
export class CustomerModel extends SessionBase {
  phase: CustomerPhase = 'code';
  prefill = '';
  /** The name the customer typed (optional); the technician's queue and hello show it. */
  customerName = '';
  codeError = '';
  technicianName = 'your technician';
  statusText = '';
  endedText = '';
  token = '';
  sharing = false;
  shareError = '';
  permissions: PermissionMap = initialPermissions();
  /** Permissions the technician asked for that await Yes or No. */
  pending: Permission[] = [];
  private id: string | null = null;
  private sig: SignalingClient | null = null;
  private readonly authority = new PermissionAuthority();
  private shareStream: MediaStream | null = null;
  private shareSender: RTCRtpSender | null = null;
  private readonly sigOffs: (() => void)[] = [];

  constructor(private readonly origin: string) {
    super('customer', 'You', 'Your technician');
    this.authority.on('change', (c) => {
      this.permissions = c.permissions;
      this.pending = PERMISSIONS.filter((p) => c.permissions[p] === 'asked');
      this.peer?.send('control', { type: 'permission.state', permissions: c.permissions });
      const label = PERMISSION_LABELS[c.permission];
      if (c.to === 'granted') this.report('permission.granted', c.permission);
      if (c.to === 'denied') this.report('permission.denied', c.permission);
      if (c.to === 'revoked') this.report('permission.revoked', c.permission);
      if (c.to === 'asked') this.addLog('technician', 'permission', `Asks: ${label}.`);
      else this.addLog('customer', 'permission', `${label}: ${c.to === 'granted' ? 'allowed' : c.to === 'denied' ? 'refused' : c.to}.`);
      if (c.permission === 'view' && c.to !== 'granted' && c.to !== 'asked') this.stopShare();
      if (c.permission === 'files' && c.to === 'revoked') this.files?.cancelAll('file transfer revoked by the customer');
      this.changed();
    });
  }

  get sessionId(): string | null {
    return this.id;
  }

  protected get signaling(): SignalingClient | null {
    return this.sig;
  }

  /** The command that runs the support app with this session's token. */
  get agentCommand(): string {
    return `curl -fsSL '${this.origin}/download/agent.sh' | bash -s -- --server '${this.origin}' --token '${this.token}'`;
  }

  /** Which permissions this page can honour at all (a browser share is view only). */
  offers(permission: Permission): boolean {
    if (permission === 'control') return BROWSER_CAPABILITIES.input;
    if (permission === 'clipboard') return BROWSER_CAPABILITIES.clipboard;
    return true;
  }

  async submitCode(code: string, name = ''): Promise<void> {
    if (this.phase !== 'code') return;
    this.customerName = name;
    this.prefill = code;
    this.phase = 'checking';
    this.codeError = '';
    this.changed();
    try {
      const res = await fetch('/api/code', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, client: 'browser', ...(name ? { name } : {}) }),
      });
      if (!res.ok) {
        const err = await readApiError(res);
        this.codeError = errorText(err.code, err.message);
        this.phase = 'code';
        return;
      }
      const body = (await res.json()) as { sessionId: string; token: string; technicianName: string };
      this.id = body.sessionId;
      this.token = body.token;
      this.technicianName = body.technicianName;
      this.peerName = body.technicianName;
      this.phase = 'choose';
      if (window.location.pathname !== '/') window.history.replaceState(null, '', '/');
      void this.join();
    } catch {
      this.codeError = 'The support server cannot be reached. Check your connection and try again.';
      this.phase = 'code';
    } finally {
      this.changed();
    }
  }

  chooseAgent(): void {
    this.mode = 'agent';
    this.phase = 'agent';
    this.changed();
  }

  backToChoice(): void {
    this.mode = null;
    this.phase = 'choose';
    this.changed();
  }

  /** Browser share: start as soon as the technician has started the session (at once if already). */
  chooseBrowser(): void {
    this.mode = 'browser';
    if (this.activation) {
      this.beginBrowserSession(this.activation);
      return;
    }
    this.phase = 'connecting';
    this.statusText = 'Waiting for your technician to start the session.';
    this.changed();
  }

  /** How the customer chose to be helped (null while choosing). */
  mode: 'browser' | 'agent' | null = null;
  /** The support app took over this session's signaling (it resumed with the token). */
  agentConnected = false;
  private activation: Extract<ServerMessage, { type: 'session.activated' }> | null = null;

  /**
   * Joins the session over signaling right after the code, so the technician
   * can start it while the customer is still choosing. The support app, when
   * chosen, resumes with the same token and replaces this socket.
   */
  private async join(): Promise<void> {
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const sig = new SignalingClient({
      url: `${proto}//${window.location.host}/ws/customer`,
      role: 'customer',
      client: 'browser',
      resumeToken: this.token,
    });
    this.sig = sig;
    this.sigOffs.push(
      sig.on('session.activated', (m) => {
        this.peerName = this.technicianName = m.peerName;
        this.activation = m;
        if (this.mode === 'browser') {
          if (this.peer) {
            // Activated again after a reconnect: the peer connection carries on.
            return;
          }
          this.beginBrowserSession(m);
        }
        this.changed();
      }),
      sig.on('signal', (m) => this.onSignal(m.data)),
      sig.on('session.state', (m) => {
        if (m.state === 'closed') this.finish(REASON_TEXT[m.reason] ?? 'The session has ended.');
        else if (m.state === 'suspended' && this.mode === 'browser') this.addLog('system', 'session', 'Your technician is reconnecting…');
        else if (m.state === 'active' && m.reason === 'reconnected') this.addLog('system', 'session', 'Reconnected.');
      }),
      sig.on('resume.failed', (f) => this.finish(errorText(f.code, f.message))),
      sig.on('closed', (c) => {
        if (c.code === 4011 && this.mode !== 'browser') {
          // REPLACED: the support app resumed with the token.
          this.agentConnected = true;
          this.changed();
        }
      }),
    );
    try {
      await sig.connect();
      await sig.request({ type: 'customer.resume', token: this.token, client: 'browser' });
    } catch (err) {
      if (this.phase !== 'ended' && !this.agentConnected) this.statusText = `Could not reach the session: ${(err as Error).message}`;
      this.changed();
    }
  }

  private beginBrowserSession(m: Extract<ServerMessage, { type: 'session.activated' }>): void {
    this.phase = 'session';
    this.addLog('system', 'session', `${m.peerName} started the session.`);
    this.startPeer(m.ice, m.polite);
    this.changed();
  }

  /** The customer's answer to a pending request; `view` then opens the browser's share picker. */
  answer(permission: Permission, granted: boolean): void {
    if (this.authority.get(permission) !== 'asked') return;
    if (!granted || permission !== 'view') {
      this.authority.answer(permission, granted);
      return;
    }
    void this.startShare();
  }

  revoke(permission: Permission): void {
    if (this.authority.get(permission) === 'granted') this.authority.revoke(permission);
  }

  revokeAll(): void {
    this.authority.revokeAll();
  }

  async end(): Promise<void> {
    if (this.phase === 'ended') return;
    this.peer?.send('control', { type: 'session.end', reason: 'customer ended the session' });
    const sessionId = this.id;
    if (this.sig && sessionId) {
      try {
        await this.sig.request({ type: 'session.end', sessionId, reason: 'customer ended the session' });
      } catch {
        // Finishing locally is what matters.
      }
    }
    this.finish(REASON_TEXT.customer_ended ?? 'Ended.');
  }

  dispose(): void {
    this.stopShare();
    this.stopPeer();
    this.sig?.close();
  }

  protected override mayReceiveFiles(): boolean {
    return this.authority.isGranted('files');
  }

  protected override onControlOpen(): void {
    this.peer?.send('control', {
      type: 'hello',
      role: 'customer',
      client: 'browser',
      name: this.customerName.slice(0, 100) || 'Customer',
      capabilities: { ...BROWSER_CAPABILITIES },
    });
    this.peer?.send('control', { type: 'permission.state', permissions: this.authority.snapshot() });
  }

  protected override onControl(msg: ControlMessage): void {
    switch (msg.type) {
      case 'hello':
        this.peerName = this.technicianName = msg.name;
        break;
      case 'permission.request':
        if (!this.offers(msg.permission)) {
          // Nothing to ask: a browser page cannot do it. Say no at once so the technician is not left waiting.
          this.authority.request(msg.permission);
          this.authority.answer(msg.permission, false);
          this.addLog('system', 'permission', `${PERMISSION_LABELS[msg.permission]} is not possible from a browser.`);
        } else {
          this.authority.request(msg.permission);
        }
        break;
      case 'session.end':
        this.finish(REASON_TEXT.technician_ended ?? 'Ended.');
        break;
      case 'error':
        this.addLog('technician', 'error', `${msg.code}: ${msg.message}`);
        break;
      case 'permission.state':
      case 'screens':
      case 'screen.select':
      case 'clipboard':
      case 'auth.challenge':
      case 'auth.proof':
      case 'auth.result':
        break;
      default:
        assertNever(msg, 'control message');
    }
    this.changed();
  }

  private async startShare(): Promise<void> {
    this.shareError = '';
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: false });
    } catch (err) {
      this.shareError = `Screen sharing did not start (${(err as Error).name}). Nothing is shared.`;
      this.authority.answer('view', false);
      return;
    }
    if (this.authority.get('view') !== 'asked' || !this.peer) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) {
      this.authority.answer('view', false);
      return;
    }
    track.contentHint = 'detail';
    track.onended = () => {
      // The browser's own "Stop sharing" button.
      if (this.authority.get('view') === 'granted') this.authority.revoke('view');
    };
    this.shareStream = stream;
    this.authority.answer('view', true);
    this.shareSender = this.peer.addTrack(track, stream);
    this.sharing = true;
    this.addLog('customer', 'screen', 'Sharing this screen.');
    this.changed();
  }

  private stopShare(): void {
    if (this.shareSender && this.peer && !this.peer.closed) {
      try {
        this.peer.removeTrack(this.shareSender);
      } catch {
        // The connection is gone.
      }
    }
    this.shareSender = null;
    for (const t of this.shareStream?.getTracks() ?? []) t.stop();
    if (this.shareStream) this.addLog('customer', 'screen', 'Stopped sharing this screen.');
    this.shareStream = null;
    if (this.sharing) {
      this.sharing = false;
      this.changed();
    }
  }

  private finish(text: string): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endedText = text;
    this.pending = [];
    this.stopShare();
    this.stopPeer();
    for (const off of this.sigOffs.splice(0)) off();
    this.sig?.close();
    this.sig = null;
    this.changed();
  }
}
