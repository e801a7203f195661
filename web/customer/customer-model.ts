import { SessionLog } from '../../rtc/session-log.ts';
import { SignalingClient } from '../../rtc/signaling-client.ts';
import { customerClosedText, customerReasonText } from '../../rtc/closed-text.ts';
import { PERMISSIONS, initialPermissions } from '../../protocol/permissions.ts';
import type { Permission, PermissionMap } from '../../protocol/permissions.ts';
import { CLOSE_CODES } from '../../protocol/errors.ts';
import { transferNoticeText } from '../../protocol/handover.ts';
import { codeAcceptedHttpSchema, type ClientKind, type ServerMessage } from '../../protocol/signaling.ts';
import { Store } from '../shared/store.ts';
import { errorText } from '../shared/error-text.ts';
import { ApiError, fetchJson, jsonBody } from '../shared/fetch-json.ts';
import { TransferRows, blobSource } from '../shared/transfer-rows.ts';
import type { ChatEntry, LogEntry, TransferView } from '../shared/view-models.ts';
import { BROWSER_CAPABILITIES, BrowserCustomer } from './browser-customer.ts';
import { offersPermission } from '../../protocol/channels.ts';
import type { Colleague } from '../../rtc/customer-engine.ts';
import type { ConnectionPath, CustomerPort } from './customer-port.ts';
import { customerLogText } from './log-text.ts';
import { forgetSession, loadSession, saveSession } from './saved-session.ts';

export type CustomerPhase = 'code' | 'checking' | 'choose' | 'agent' | 'connecting' | 'session' | 'ended';

/**
 * The customer support page's state: the code, the choice between the support
 * app and a browser share, and (browser share) a view over the customer
 * engine, which is the authority on every permission.
 */
export class CustomerModel extends Store implements CustomerPort {
  phase: CustomerPhase = 'code';
  prefill = '';
  /** The name the customer typed (optional); the technician's queue and hello show it. */
  customerName = '';
  codeError = '';
  technicianName = 'your technician';
  /** The technician's account as the server verified it (the browser page learns only the name). */
  readonly technicianAccount: string | null = null;
  connectionPath: ConnectionPath | null = null;
  readonly fileSource = 'browser' as const;
  readonly downloadDir = null;
  statusText = '';
  endedText = '';
  token = '';
  sharing = false;
  shareError = '';
  permissions: PermissionMap = initialPermissions();
  /** Permissions the technician asked for that await Yes or No. */
  pending: Permission[] = [];
  chat: ChatEntry[] = [];
  log: LogEntry[] = [];
  transfers: TransferView[] = [];
  /** How the customer chose to be helped (null while choosing). */
  mode: ClientKind | null = null;
  /** The support app took over this session's signaling (it resumed with the token). */
  agentConnected = false;
  /** Said when the session went to another technician (names from the server). */
  transferNotice = '';
  /** The second technician the lead invited, waiting for an answer or joined. */
  colleague: Colleague | null = null;
  private disposing = false;
  /** This page was reloaded mid-session and resumed it. */
  resumed = false;
  /** The screen was shared before the reload: offer to share it again (the browser asks again). */
  wasSharing = false;
  private id: string | null = null;
  private sig: SignalingClient | null = null;
  private customer: BrowserCustomer | null = null;
  private rows: TransferRows | null = null;
  private activation: Extract<ServerMessage, { type: 'session.activated' }> | null = null;
  private readonly sessionLog = new SessionLog(1000);
  private readonly sigOffs: (() => void)[] = [];

  constructor(private readonly origin: string) {
    super();
    this.sessionLog.on('entry', (e) => {
      if (e.kind === 'chat') return;
      this.log = [...this.log, { at: e.at, text: customerLogText(e.actor, e.kind, e.text, this.technicianName) }].slice(-1000);
      this.changed();
    });
  }

  get sessionId(): string | null {
    return this.id;
  }

  get connected(): boolean {
    return this.customer?.engine.connected ?? false;
  }

  /** Which permissions this page can honour at all (a browser share is view only). */
  offers(permission: Permission): boolean {
    return offersPermission(BROWSER_CAPABILITIES, permission);
  }

  async submitCode(code: string, name = ''): Promise<void> {
    if (this.phase !== 'code') return;
    this.customerName = name;
    this.prefill = code;
    this.phase = 'checking';
    this.codeError = '';
    this.changed();
    try {
      const body = await fetchJson(codeAcceptedHttpSchema, '/api/code', jsonBody('POST', { code, client: 'browser', ...(name ? { name } : {}) }));
      this.id = body.sessionId;
      this.token = body.token;
      this.technicianName = body.technicianName;
      this.phase = 'choose';
      if (window.location.pathname !== '/') window.history.replaceState(null, '', '/');
      void this.join();
    } catch (err) {
      this.codeError = err instanceof ApiError ? errorText(err.code, err.message) : 'The support server cannot be reached. Check your connection and try again.';
      this.phase = 'code';
    } finally {
      this.changed();
    }
  }

  /**
   * After a reload: resumes the session this tab had (sessionStorage), with
   * its chat and log; false when there was none. A screen that was shared is
   * not shared again by itself: the browser must ask again (`reshare`).
   */
  resumeSaved(): boolean {
    const saved = loadSession();
    if (!saved) return false;
    this.id = saved.sessionId;
    this.token = saved.token;
    this.technicianName = saved.technicianName;
    this.customerName = saved.customerName;
    this.chat = saved.chat;
    this.log = saved.log;
    this.wasSharing = saved.shared;
    this.resumed = true;
    this.phase = 'choose';
    void this.join();
    if (saved.mode === 'agent') this.chooseAgent();
    else if (saved.mode === 'browser') this.chooseBrowser();
    else this.changed();
    return true;
  }

  /** After a reload, the screen was shared: the customer chooses it again in the browser's picker. */
  async reshare(): Promise<void> {
    if (!this.customer) return;
    this.wasSharing = false;
    this.changed();
    await this.customer.reshare();
  }

  protected override changed(): void {
    super.changed();
    if (this.id && !this.disposing && this.phase !== 'ended' && this.phase !== 'code' && this.phase !== 'checking') {
      saveSession({
        sessionId: this.id,
        token: this.token,
        technicianName: this.technicianName,
        customerName: this.customerName,
        mode: this.mode,
        shared: this.sharing || this.wasSharing,
        chat: this.chat,
        log: this.log,
      });
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
    const customer = this.startCustomer();
    if (this.activation) {
      this.beginBrowserSession(this.activation.peerName);
      customer?.engine.handleActivated(this.activation);
      return;
    }
    this.phase = 'connecting';
    this.statusText = 'Waiting for your technician to start the session.';
    this.changed();
  }

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
        this.technicianName = m.peerName;
        const first = this.activation === null;
        this.activation = m;
        if (this.mode === 'browser' && first) this.beginBrowserSession(m.peerName);
        this.changed();
      }),
      sig.on('session.state', (m) => {
        if (m.state === 'closed' && !this.customer) this.finish(customerReasonText(m.reason));
      }),
      sig.on('resume.failed', (f) => this.finish(errorText(f.code, f.message))),
      sig.on('closed', (c) => {
        if (c.code === CLOSE_CODES.REPLACED && this.mode !== 'browser') {
          // The support app resumed with the token.
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

  /** The customer engine of a browser share, created once the customer chose it. */
  private startCustomer(): BrowserCustomer | null {
    if (this.customer || !this.sig) return this.customer;
    const customer = new BrowserCustomer({
      name: this.customerName,
      signaling: this.sig,
      RTCPeerConnection: window.RTCPeerConnection,
      getDisplayMedia: (options) => navigator.mediaDevices.getDisplayMedia(options),
      log: this.sessionLog,
    });
    this.customer = customer;
    const engine = customer.engine;
    engine.sessionId = this.id;
    this.rows = new TransferRows(engine.files, customer.blobs, (rows) => {
      this.transfers = rows;
      this.changed();
    });
    engine.on('permission', (c) => {
      this.permissions = c.permissions;
      this.pending = PERMISSIONS.filter((p) => c.permissions[p] === 'asked');
      this.changed();
    });
    engine.on('chat', (m) => {
      this.chat = [...this.chat, { id: m.msgId, from: m.from, name: m.from === 'me' ? 'You' : (m.author ?? this.technicianName), text: m.text, at: m.at }].slice(-500);
      this.changed();
    });
    engine.on('transferred', (m) => {
      this.technicianName = m.technicianName;
      this.transferNotice = transferNoticeText(m);
      this.changed();
    });
    engine.on('colleague', (c) => {
      this.colleague = c;
      this.changed();
    });
    engine.on('connectionstatechange', () => this.changed());
    engine.on('facts', (f) => {
      this.connectionPath = f.path;
      this.changed();
    });
    engine.on('ready', () => this.changed());
    engine.on('closed', (c) => this.finish(customerClosedText(c)));
    customer.on('share', (s) => {
      this.sharing = s.sharing;
      this.shareError = s.error;
      this.changed();
    });
    return customer;
  }

  private beginBrowserSession(peerName: string): void {
    this.phase = 'session';
    this.technicianName = peerName;
    this.changed();
  }

  /** The customer's answer to a pending request; `view` then opens the browser's share picker. */
  answer(permission: Permission, granted: boolean): Promise<void> {
    return this.customer?.engine.answer(permission, granted) ?? Promise.resolve();
  }

  revoke(permission: Permission): void {
    this.customer?.engine.revoke(permission);
  }

  revokeAll(): void {
    this.customer?.engine.revokeAll();
  }

  /** Lets the invited colleague in, or not. */
  answerColleague(accept: boolean): Promise<void> {
    return this.customer?.engine.answerColleague(accept) ?? Promise.resolve();
  }

  removeColleague(): Promise<void> {
    return this.customer?.engine.removeColleague() ?? Promise.resolve();
  }

  sendChat(text: string): void {
    if (!this.customer?.engine.sendChat(text)) this.sessionLog.add('system', 'chat', 'Chat message not sent: not connected.');
  }

  sendFiles(files: readonly File[]): void {
    const engine = this.customer?.engine;
    if (!engine) return;
    for (const file of files) {
      try {
        engine.sendFile(blobSource(file));
      } catch (err) {
        this.sessionLog.add('system', 'file', `Cannot send ${file.name}: ${(err as Error).message}`);
      }
    }
  }

  /** The page's own file input picks files here: nothing for the agent to pick, drop or show. */
  pickFile(): void {}

  sendPaths(): void {}

  showInFolder(): void {}

  async end(): Promise<void> {
    if (this.phase === 'ended') return;
    const engine = this.customer?.engine;
    if (engine) {
      await engine.end('customer ended the session');
      return;
    }
    const sessionId = this.id;
    if (this.sig && sessionId) {
      try {
        await this.sig.request({ type: 'session.end', sessionId, reason: 'customer ended the session' });
      } catch {
        // Finishing locally is what matters.
      }
    }
    this.finish(customerClosedText({ cause: 'local', reason: 'ended' }));
  }

  dispose(): void {
    // The page is going away (a reload resumes from sessionStorage): keep what is saved.
    this.disposing = true;
    this.customer?.engine.close('page closed');
    this.rows?.dispose();
    this.sig?.close();
  }

  private finish(text: string): void {
    if (this.phase === 'ended') return;
    if (!this.disposing) forgetSession();
    this.phase = 'ended';
    this.endedText = text;
    this.pending = [];
    this.customer?.engine.close(text);
    for (const off of this.sigOffs.splice(0)) off();
    this.sig?.close();
    this.sig = null;
    this.changed();
  }
}
