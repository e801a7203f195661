import { WebSocket } from 'ws';
import {
  ADHOC_SERVER_MESSAGE_TYPES,
  ADHOC_VALIDITY_MS,
  adhocServerMessageSchema,
  type AdhocAgentMessage,
  type AdhocServerMessage,
} from '../../protocol/adhoc.ts';
import type { IceConfig } from '../../protocol/ice.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { parseMessage } from '../../protocol/parse.ts';
import { sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';
import { PeerSession, type RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import { runAuthGate } from './auth-gate.ts';
import { runAt, systemClock, type Clock } from './clock.ts';
import { PairingStore, type Pairing } from './pairing-store.ts';
import { PasswordVerifier } from './password-verifier.ts';

/** The agent's support session (capture, input, files), started only after the password step. */
export interface SupportSessionHandle {
  close(): void;
}
export type StartSupportSession = (
  peer: PeerSession,
  info: { technicianName: string; connectionId: string },
) => SupportSessionHandle | Promise<SupportSessionHandle>;

export interface AdhocAgentOptions {
  /** http(s)://host[:port] of the signaling server. */
  serverUrl: string;
  stateDir: string;
  /** From the deployment link, for a first run; absent when resuming (service restarts). */
  deploymentToken?: string;
  /** Asks the user for the security code (the terminal prompt, or `--security-code`). */
  askSecurityCode(technicianName: string, attempt: number): Promise<string>;
  computerName: string;
  RTCPeerConnection: RTCPeerConnectionCtor;
  startSession: StartSupportSession;
  clock?: Clock;
  log?: (line: string) => void;
  /** Wrong codes the agent lets the user retype before giving up. */
  maxCodeAttempts?: number;
  /** Called with every message sent to the server (tests check no password crosses). */
  onServerMessage?: (text: string) => void;
}

export type AgentExit = { code: number; reason: 'expired' | 'technician_ended' | 'pairing_abandoned' | 'not_paired' | 'code_refused' | 'stopped' | 'error' };

/**
 * The ad hoc agent: pairs with the security code, keeps a presence socket to
 * the server, answers connections with the password step and then the support
 * session, and at expiry or when the technician ends it deletes its state and
 * exits. The 24 hours are enforced here too, so a server that never says
 * `adhoc.ended` cannot keep the computer open.
 */
export class AdhocAgent {
  readonly store: PairingStore;
  readonly #o: AdhocAgentOptions;
  readonly #clock: Clock;
  readonly #verifier: PasswordVerifier;
  #ws: WebSocket | null = null;
  #pairing: Pairing | null = null;
  #peer: { id: string; session: PeerSession; support: SupportSessionHandle | null } | null = null;
  #cancelTimer: (() => void) | null = null;
  #exit!: (e: AgentExit) => void;
  #exited = false;
  #nextId = 0;
  #waiters = new Map<string, (m: AdhocServerMessage) => void>();
  #reconnectDelay = 1000;

  constructor(options: AdhocAgentOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.store = new PairingStore(options.stateDir);
    this.#verifier = new PasswordVerifier(this.store, this.#clock);
  }

  /** Resolves when the agent is done (and, for expiry and ending, its files are gone). */
  run(): Promise<AgentExit> {
    const done = new Promise<AgentExit>((resolve) => (this.#exit = resolve));
    void this.#start().catch((err: unknown) => this.#log(`error: ${(err as Error).message}`) ?? this.#finish({ code: 1, reason: 'error' }, false));
    return done;
  }

  /** Stops without unpairing (the service is being stopped; it resumes on the next start). */
  stop(): void {
    void this.#finish({ code: 0, reason: 'stopped' }, false);
  }

  async #start(): Promise<void> {
    await this.store.init();
    this.#pairing = await this.store.loadPairing();
    if (this.#pairing && this.#o.deploymentToken) {
      this.#log('A new deployment link was given: the previous pairing of this computer is removed.');
      await this.store.destroy();
      await this.store.init();
      this.#pairing = null;
    }
    if (!this.#pairing && !this.#o.deploymentToken) {
      this.#log('This computer is not paired. Run the agent with --adhoc <token> from the deployment link.');
      return this.#finish({ code: 2, reason: 'not_paired' }, true);
    }
    if (this.#pairing?.expiresAt != null) {
      if (this.#pairing.expiresAt <= this.#clock.now()) return this.#finish({ code: 0, reason: 'expired' }, true);
      this.#scheduleExpiry(this.#pairing.expiresAt);
    }
    await this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#exited) return;
    const url = `${this.#o.serverUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws/adhoc/agent`;
    const ws = new WebSocket(url, { maxPayload: LIMITS.wsMessageBytes });
    this.#ws = ws;
    ws.on('message', (raw: Buffer) => this.#onMessage(raw.toString('utf8')));
    ws.on('error', (err) => this.#log(`connection error: ${err.message}`));
    ws.on('close', () => {
      if (this.#ws !== ws || this.#exited) return;
      this.#ws = null;
      const delay = this.#reconnectDelay;
      this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, 30_000);
      setTimeout(() => void this.#connect().catch(() => undefined), delay).unref();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }).catch(() => undefined);
    if (ws.readyState !== ws.OPEN) return;
    this.#reconnectDelay = 1000;
    if (this.#pairing) {
      this.#send({ type: 'adhoc.resume', agentToken: this.#pairing.agentToken });
      return;
    }
    await this.#pairWithCode(this.#o.deploymentToken!);
  }

  async #pairWithCode(deploymentToken: string): Promise<void> {
    const hello = await this.#request({ type: 'adhoc.hello', deploymentToken });
    if (hello.type !== 'adhoc.code_required') {
      this.#log(hello.type === 'error' ? hello.message : 'Unexpected answer from the server.');
      return this.#finish({ code: 3, reason: 'code_refused' }, true);
    }
    this.#log(`${hello.technicianName} wants to support this computer without you present, for 24 hours after pairing.`);
    const max = this.#o.maxCodeAttempts ?? 3;
    for (let attempt = 1; attempt <= max; attempt++) {
      const code = await this.#o.askSecurityCode(hello.technicianName, attempt);
      const reply = await this.#request({ type: 'adhoc.code', deploymentToken, code, computerName: this.#o.computerName });
      if (reply.type === 'adhoc.code_accepted') {
        this.#pairing = {
          serverUrl: this.#o.serverUrl,
          adhocId: reply.adhocId,
          agentToken: reply.agentToken,
          technicianName: reply.technicianName,
          pairedAt: null,
          expiresAt: null,
        };
        await this.store.savePairing(this.#pairing);
        this.#log(`Code accepted. Waiting for ${reply.technicianName} to set the password...`);
        // No password set in time: give up (the server ends the session at the same deadline).
        this.#cancelTimer?.();
        this.#cancelTimer = runAt(this.#clock, reply.pairingDeadline, () => {
          if (!this.#pairing?.pairedAt) void this.#finish({ code: 0, reason: 'pairing_abandoned' }, true);
        });
        return;
      }
      this.#log(reply.type === 'error' ? reply.message : 'Unexpected answer from the server.');
      if (reply.type !== 'error' || reply.code !== 'SECURITY_CODE_INVALID' || /ask your technician/.test(reply.message)) break;
    }
    return this.#finish({ code: 3, reason: 'code_refused' }, true);
  }

  #onMessage(text: string): void {
    const parsed = parseMessage(text, adhocServerMessageSchema, LIMITS.wsMessageBytes, ADHOC_SERVER_MESSAGE_TYPES);
    if (!parsed.ok) return this.#log(`ignored a bad server message: ${parsed.message}`);
    const msg = parsed.value;
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (ref && this.#waiters.has(ref)) {
      this.#waiters.get(ref)!(msg);
      this.#waiters.delete(ref);
      return;
    }
    switch (msg.type) {
      case 'adhoc.connection':
        void this.#onConnection(msg.connectionId, msg.ice, msg.peerName);
        break;
      case 'adhoc.signal':
        if (this.#peer?.id === msg.connectionId) void this.#peer.session.handleSignal(msg.data);
        break;
      case 'adhoc.disconnect':
        if (this.#peer?.id === msg.connectionId) this.#closePeer();
        break;
      case 'adhoc.activated':
        void this.#activated(msg.expiresAt);
        break;
      case 'adhoc.welcome':
        if (msg.state === 'paired' && this.#pairing && this.#pairing.expiresAt === null) void this.#activated(msg.expiresAt);
        break;
      case 'adhoc.ended':
        this.#log(msg.reason === 'expired' ? 'The 24 hours are over.' : 'The technician ended remote support.');
        void this.#finish({ code: 0, reason: msg.reason }, true);
        break;
      case 'error':
        this.#log(`server: ${msg.message}`);
        // Our token is unknown: the session is gone from the server; leave nothing behind.
        if (msg.code === 'TOKEN_INVALID') void this.#finish({ code: 0, reason: 'technician_ended' }, true);
        break;
      case 'adhoc.update':
      case 'adhoc.list':
      case 'adhoc.code_required':
      case 'adhoc.code_accepted':
      case 'ack':
        break;
    }
  }

  async #activated(serverExpiresAt: number): Promise<void> {
    if (!this.#pairing) return;
    const now = this.#clock.now();
    const pairedAt = this.#pairing.pairedAt ?? now;
    // Never longer than 24 hours from when this computer saw the pairing, whatever the server says.
    const expiresAt = Math.min(serverExpiresAt, pairedAt + ADHOC_VALIDITY_MS);
    this.#pairing = { ...this.#pairing, pairedAt, expiresAt };
    await this.store.savePairing(this.#pairing);
    this.#scheduleExpiry(expiresAt);
    this.#log(`Paired with ${this.#pairing.technicianName} until ${new Date(expiresAt).toISOString()}.`);
  }

  #scheduleExpiry(at: number): void {
    this.#cancelTimer?.();
    this.#cancelTimer = runAt(this.#clock, at, () => void this.#finish({ code: 0, reason: 'expired' }, true));
  }

  async #onConnection(connectionId: string, ice: IceConfig, technicianName: string): Promise<void> {
    this.#closePeer();
    const session = new PeerSession({
      RTCPeerConnection: this.#o.RTCPeerConnection,
      ice,
      polite: true,
      sendSignal: (data) => this.#send({ type: 'adhoc.signal', connectionId, data }),
    });
    const entry = { id: connectionId, session, support: null as SupportSessionHandle | null };
    this.#peer = entry;
    const mode = (await this.#verifier.isSet()) ? 'verify' : 'setup';
    const outcome = await runAuthGate({
      peer: session,
      verifier: this.#verifier,
      mode,
      onProofFailed: () => this.#send({ type: 'adhoc.auth', connectionId, ok: false }),
      onSas: (sas) =>
        this.#log(`Security check: ${technicianName}'s console shows a number; it must be ${sas}. If it differs, tell the technician to end the session.`),
    });
    if (this.#peer !== entry) return;
    if (!outcome.ok) {
      this.#log(`A connection was refused (${outcome.reason}).`);
      this.#send({ type: 'adhoc.disconnect', connectionId });
      this.#closePeer();
      return;
    }
    if (outcome.mode === 'setup') {
      const reply = await this.#request({ type: 'adhoc.paired' });
      if (reply.type === 'adhoc.activated') await this.#activated(reply.expiresAt);
    }
    this.#send({ type: 'adhoc.auth', connectionId, ok: true });
    if (this.#peer !== entry || session.closed) return;
    this.#log(`${technicianName} is connected.`);
    const support = await this.#o.startSession(session, { technicianName, connectionId });
    if (this.#peer === entry) entry.support = support;
    else support.close();
  }

  #closePeer(): void {
    const p = this.#peer;
    this.#peer = null;
    p?.support?.close();
    p?.session.close();
  }

  #request(msg: AdhocAgentMessage & { id?: string }): Promise<AdhocServerMessage> {
    const id = `a${++this.#nextId}`;
    return new Promise((resolve) => {
      this.#waiters.set(id, resolve);
      if (!this.#send({ ...msg, id } as AdhocAgentMessage)) {
        this.#waiters.delete(id);
        resolve({ type: 'error', code: 'PEER_NOT_CONNECTED', message: 'Not connected to the server.' });
      }
    });
  }

  #send(msg: AdhocAgentMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    const text = JSON.stringify(msg);
    this.#o.onServerMessage?.(text);
    ws.send(text);
    return true;
  }

  #log(line: string): undefined {
    (this.#o.log ?? ((l: string) => console.log(`[relay-rescue ad hoc] ${sanitizeTerminalText(l)}`)))(line);
    return undefined;
  }

  /** Closes everything; with `unpair`, deletes the hash, the token, every file and the state dir. */
  async #finish(exit: AgentExit, unpair: boolean): Promise<void> {
    if (this.#exited) return;
    this.#exited = true;
    this.#cancelTimer?.();
    this.#closePeer();
    for (const w of this.#waiters.values()) w({ type: 'error', code: 'SESSION_CLOSED', message: 'The agent is stopping.' });
    this.#waiters.clear();
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000, exit.reason);
    if (unpair) {
      await this.store.destroy();
      this.#log('This computer is no longer paired; the support program has removed its files.');
    }
    this.#exit(exit);
  }
}
