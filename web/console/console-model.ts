import { SignalingClient } from '../../rtc/signaling-client.ts';
import type { ServerMessage, SessionSummary } from '../../protocol/signaling.ts';
import { Store } from '../shared/store.ts';
import { CLOSE_CODES, RescueError } from '../../protocol/errors.ts';
import { meHttpSchema, okHttpSchema } from '../../protocol/http.ts';
import { ApiError, fetchJson, jsonBody } from '../shared/fetch-json.ts';
import { FirstRunClient } from './first-run-client.ts';
import { TechSession } from './tech-session.ts';
import type { TwoFactorStatus } from '../../protocol/two-factor.ts';

export type Me = { id?: string; name: string; email: string; isAdmin?: boolean };

/** What /api/login and /api/me answer. */
type MeReply = Partial<Me> & { technician?: Me; user?: Me; twoFactor?: TwoFactorStatus };

/** A second factor for the login (protocol/two-factor.ts). */
export type LoginFactor = { totp: string } | { recoveryCode: string };

/** How long Start keeps trying while the customer's page is still connecting. */
const START_RETRY_MS = 8000;

function wsUrl(path: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${path}`;
}

/**
 * The technician console's state: who is logged in, the signaling socket,
 * every session summary (pending codes, the queue) and the open session tabs.
 */
export class ConsoleModel extends Store {
  me: Me | null = null;
  /**
   * 'unknown' until /api/me answered; 'setup' on a fresh install with no
   * account yet (signaling/first-run.ts); 'second-factor' after a right
   * password on an account with two-factor login; 'enrol' when an
   * administrator requires two-factor login and this account must set it up first.
   */
  auth: 'unknown' | 'out' | 'in' | 'setup' | 'second-factor' | 'enrol' = 'unknown';
  /** The email and password between the two login steps (never stored). */
  private pendingLogin: { email: string; password: string } | null = null;
  /** On 'setup': whether this browser may create the first administrator (the printed link, or on the server itself). */
  setupAllowed = false;
  setupError = '';
  /** Sessions whose Start is in flight: a second click does nothing. */
  readonly starting = new Set<string>();
  loginError = '';
  busy = false;
  connection: 'offline' | 'connecting' | 'online' = 'offline';
  notice = '';
  readonly sessions = new Map<string, SessionSummary>();
  readonly tabs: TechSession[] = [];
  selected: string | null = null;
  /** The session just created, to show its code prominently. */
  lastCreated: string | null = null;
  private signaling: SignalingClient | null = null;
  private readonly offs: (() => void)[] = [];

  async init(): Promise<void> {
    try {
      this.loggedIn(await fetchJson(meHttpSchema, '/api/me'), '');
    } catch (err) {
      if (err instanceof ApiError) {
        const setup = await this.setup.status();
        this.auth = setup?.needed ? 'setup' : 'out';
        this.setupAllowed = setup?.allowed ?? false;
      } else {
        this.auth = 'out';
      }
    }
    this.changed();
  }

  /** The first-run setup link's token (read once from the URL) and its API. */
  private readonly setup = new FirstRunClient();

  /** Creates the first administrator on a fresh install, then logs in as them. */
  async createFirstAdmin(input: { email: string; name: string; password: string }): Promise<void> {
    this.busy = true;
    this.setupError = '';
    this.changed();
    const outcome = await this.setup.create(input);
    this.busy = false;
    if (outcome.result === 'closed') {
      // Someone made an account meanwhile (here or with the admin CLI): log in instead.
      this.auth = 'out';
      this.loginError = 'An account exists already. Log in.';
    } else if (outcome.result === 'failed') {
      this.setupError = outcome.message;
    } else {
      this.auth = 'out';
      await this.login(input.email, input.password);
      return;
    }
    this.changed();
  }

  get loginEmail(): string {
    return this.pendingLogin?.email ?? '';
  }

  /** The password step (`factor` absent) or the second step, which sends the password again with the code. */
  async login(email: string, password: string, factor?: LoginFactor): Promise<void> {
    this.busy = true;
    this.loginError = '';
    this.changed();
    try {
      const body = await fetchJson(meHttpSchema, '/api/login', jsonBody('POST', { email, password, ...factor }));
      this.pendingLogin = null;
      const used = factor && 'recoveryCode' in factor ? body.twoFactor?.recoveryCodesLeft : undefined;
      this.loggedIn(body, used === undefined ? '' : `You logged in with a recovery code; ${used} left. Make new ones under "Two-factor login".`);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.loginError = 'The server cannot be reached.';
        return;
      }
      if (err.code === 'SECOND_FACTOR_REQUIRED') {
        this.pendingLogin = { email, password };
        this.auth = 'second-factor';
        return;
      }
      this.loginError = err.message || 'Wrong email or password.';
      // Locked out or the password changed meanwhile: back to the first step.
      if (this.auth === 'second-factor' && err.code !== 'SECOND_FACTOR_INVALID') this.cancelSecondFactor();
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  /** The second login step with the code the technician typed. */
  async secondFactor(factor: LoginFactor): Promise<void> {
    const pending = this.pendingLogin;
    if (!pending) return;
    await this.login(pending.email, pending.password, factor);
  }

  cancelSecondFactor(): void {
    this.pendingLogin = null;
    this.auth = 'out';
    this.changed();
  }

  /** Enrolment finished (the console was waiting for it): open the console. */
  enrolled(): void {
    if (this.auth !== 'enrol' || !this.me) return;
    this.auth = 'in';
    this.connect();
    this.changed();
  }

  async logout(): Promise<void> {
    for (const tab of [...this.tabs]) tab.dispose();
    this.tabs.length = 0;
    this.selected = null;
    this.disconnect();
    try {
      await fetchJson(okHttpSchema, '/api/logout', { method: 'POST' });
    } catch {
      // Logged out locally either way.
    }
    this.me = null;
    this.auth = 'out';
    this.notice = '';
    this.sessions.clear();
    this.changed();
  }

  async createSession(forceRelay: boolean): Promise<void> {
    const sig = this.signaling;
    if (!sig) return;
    this.notice = '';
    try {
      const reply = await sig.request({ type: 'session.create', forceRelay });
      if (reply.type === 'session.created') {
        this.sessions.set(reply.session.sessionId, reply.session);
        this.lastCreated = reply.session.sessionId;
      }
    } catch (err) {
      this.notice = `Could not create a session: ${(err as Error).message}`;
    }
    this.changed();
  }

  /**
   * Starts a queued session: activates it on the server and opens its tab.
   * Idempotent for the technician: a second Start (a double click) while one
   * is in flight, or for a session already open, only selects its tab.
   */
  async start(sessionId: string): Promise<void> {
    const sig = this.signaling;
    if (!sig) return;
    this.selected = sessionId;
    const open = this.tabs.find((t) => t.sessionId === sessionId);
    if (this.starting.has(sessionId) || (open && open.phase !== 'ended')) {
      this.changed();
      return;
    }
    this.starting.add(sessionId);
    this.ensureTab(sessionId);
    this.changed();
    try {
      await this.activateWhenReachable(sig, sessionId);
    } catch (err) {
      const state = this.sessions.get(sessionId)?.state;
      // Already active or suspended (activated by an earlier Start): the tab is the right answer, not an error.
      if (err instanceof RescueError && err.code === 'SESSION_BAD_STATE' && (state === 'active' || state === 'suspended')) return;
      this.notice = `Could not start the session: ${(err as Error).message}`;
      // Not started (e.g. PEER_NOT_CONNECTED): drop the tab, keep the session queued.
      const index = this.tabs.findIndex((t) => t.sessionId === sessionId && t.phase === 'waiting');
      if (index >= 0) this.tabs.splice(index, 1);
      if (this.selected === sessionId) this.selected = this.tabs[0]?.sessionId ?? null;
      this.changed();
    } finally {
      this.starting.delete(sessionId);
      this.changed();
    }
  }

  /**
   * Activates a queued session. A customer who entered the code over HTTP is in
   * the queue a moment before its page's socket joins; Start in that gap is
   * answered PEER_NOT_CONNECTED, so it is retried for a few seconds.
   */
  private async activateWhenReachable(sig: SignalingClient, sessionId: string): Promise<void> {
    const deadline = Date.now() + START_RETRY_MS;
    for (;;) {
      try {
        await sig.request({ type: 'session.activate', sessionId });
        if (this.notice.startsWith('Waiting for the customer')) this.notice = '';
        return;
      } catch (err) {
        if (!(err instanceof RescueError && err.code === 'PEER_NOT_CONNECTED') || Date.now() >= deadline) throw err;
        this.notice = 'Waiting for the customer to connect…';
        this.changed();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Ends a session that is not (or no longer) in a tab, e.g. a pending code. */
  async cancel(sessionId: string): Promise<void> {
    try {
      await this.signaling?.request({ type: 'session.end', sessionId, reason: 'cancelled by technician' });
    } catch (err) {
      this.notice = `Could not end the session: ${(err as Error).message}`;
      this.changed();
    }
  }

  select(sessionId: string): void {
    this.selected = sessionId;
    this.changed();
  }

  closeTab(sessionId: string): void {
    const index = this.tabs.findIndex((t) => t.sessionId === sessionId);
    if (index < 0) return;
    const [tab] = this.tabs.splice(index, 1);
    tab?.dispose();
    if (this.selected === sessionId) this.selected = this.tabs[Math.max(0, index - 1)]?.sessionId ?? null;
    this.changed();
  }

  /** Pending codes and queued customers, newest first. */
  get waiting(): SessionSummary[] {
    return [...this.sessions.values()]
      .filter((s) => s.state === 'pending' || s.state === 'queued')
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  private setMe(me: Me): void {
    const isAdmin = me.isAdmin ?? this.me?.isAdmin ?? false;
    this.me = { name: me.name, email: me.email, isAdmin, ...(me.id ? { id: me.id } : {}) };
    this.auth = 'in';
  }

  /** After /api/me or a login: the console, or first the enrolment an administrator requires. */
  private loggedIn(body: MeReply, notice: string): void {
    this.setMe(body.technician ?? body.user ?? (body as Me));
    if (body.twoFactor?.required && !body.twoFactor.enrolled) {
      this.auth = 'enrol';
      return;
    }
    this.notice = notice;
    this.connect();
  }

  private ensureTab(sessionId: string): TechSession {
    let tab = this.tabs.find((t) => t.sessionId === sessionId);
    if (tab?.phase === 'ended') {
      // Back in a session this tab had left (a colleague invited again): a fresh tab in its place.
      this.tabs.splice(this.tabs.indexOf(tab), 1);
      tab.dispose();
      tab = undefined;
    }
    if (!tab) {
      const sig = this.signaling;
      if (!sig) throw new Error('not connected');
      tab = new TechSession(sessionId, sig, this.me?.name ?? 'Technician', this.sessions.get(sessionId));
      tab.subscribe(() => this.changed());
      this.tabs.push(tab);
    }
    return tab;
  }

  private connect(): void {
    if (this.signaling) return;
    const sig = new SignalingClient({ url: wsUrl('/ws/technician'), role: 'technician' });
    this.signaling = sig;
    this.connection = 'connecting';
    this.offs.push(
      sig.on('welcome', (m) => {
        if (m.technician) this.setMe({ ...m.technician });
        this.connection = 'online';
        this.changed();
      }),
      sig.on('open', () => {
        void this.refresh();
      }),
      sig.on('disconnected', (d) => {
        this.connection = d.final ? 'offline' : 'connecting';
        if (d.final && d.code === CLOSE_CODES.UNAUTHENTICATED) {
          this.auth = 'out';
          this.me = null;
        }
        this.changed();
      }),
      sig.on('session.state', (m) => this.onSessionState(m)),
      sig.on('colleague.state', (m) => {
        const tab = this.tabs.find((t) => t.sessionId === m.sessionId && t.phase !== 'ended');
        if (tab && tab.leadName === null) tab.onColleague(m);
        else if (m.colleague.id === this.me?.id && m.state === 'invited') this.notice = `${m.leadName} invited you to help in a session; it opens here once the customer lets you in.`;
        else if (m.colleague.id === this.me?.id && m.state === 'declined') this.notice = `The customer did not let you into ${m.leadName}'s session.`;
        this.changed();
      }),
      sig.on('session.created', (m) => {
        this.sessions.set(m.session.sessionId, m.session);
        this.changed();
      }),
      sig.on('session.activated', (m) => {
        if (m.leadName && this.notice.includes('invited you to help')) this.notice = '';
        const known = this.sessions.get(m.sessionId);
        if (known) this.sessions.set(m.sessionId, { ...known, state: 'active' });
        const tab = this.ensureTab(m.sessionId);
        tab.activate(m);
        if (!this.selected) this.selected = m.sessionId;
        this.changed();
      }),
    );
    sig.connect().catch(() => {
      this.connection = 'offline';
      this.notice = 'The signaling server cannot be reached.';
      this.changed();
    });
    this.changed();
  }

  private async refresh(): Promise<void> {
    const sig = this.signaling;
    if (!sig) return;
    try {
      const reply = await sig.request({ type: 'session.list' });
      if (reply.type === 'session.list') {
        for (const s of reply.sessions) this.sessions.set(s.sessionId, s);
        this.restoreTabs(reply.sessions);
        this.changed();
      }
    } catch {
      // The next open retries.
    }
  }

  /**
   * A reloaded console (or one opened anew by the same login) comes back to
   * every session the server kept for it: a tab each, whose engine offers a
   * fresh peer connection; the customer's end keeps its grants and is not
   * asked again. Sessions that already have a tab are left alone.
   */
  private restoreTabs(sessions: readonly SessionSummary[]): void {
    for (const s of sessions) {
      if ((s.state !== 'active' && s.state !== 'suspended') || this.tabs.some((t) => t.sessionId === s.sessionId)) continue;
      const tab = this.ensureTab(s.sessionId);
      void tab.restore(s.customer?.name ?? 'Customer');
      this.selected ??= s.sessionId;
    }
  }

  /**
   * The lead's console gets the session's summary with each change (a customer
   * entered the code: the queue entry gains them), so the entry is replaced
   * without asking for the whole queue; a state without one (to a colleague)
   * only moves the state.
   */
  private onSessionState(m: Extract<ServerMessage, { type: 'session.state' }>): void {
    const known = this.sessions.get(m.sessionId);
    if (m.state === 'closed') this.sessions.delete(m.sessionId);
    else if (m.session) this.sessions.set(m.sessionId, m.session);
    else if (known) this.sessions.set(m.sessionId, { ...known, state: m.state, reason: m.reason });
    this.changed();
  }

  private disconnect(): void {
    for (const off of this.offs.splice(0)) off();
    this.signaling?.close();
    this.signaling = null;
    this.connection = 'offline';
  }
}
