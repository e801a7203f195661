import { WebSocket } from 'ws';
import {
  ADHOC_SERVER_MESSAGE_TYPES,
  ADHOC_VALIDITY_MS,
  adhocServerMessageSchema,
  type AdhocAgentMessage,
  type AdhocServerMessage,
} from '../../protocol/adhoc.ts';
import { RescueError } from '../../protocol/errors.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';
import { openAdhocPeer } from '../../rtc/peer-link.ts';
import type { PeerSession, RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import { SignalingConnection } from '../../rtc/signaling-connection.ts';
import { runAuthGate } from './auth-gate.ts';
import { runAt, systemClock, type Clock } from '../../protocol/clock.ts';
import { PairingStore, deploymentDigest, type Pairing } from './pairing-store.ts';
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
  #socket: SignalingConnection<AdhocAgentMessage, AdhocServerMessage> | null = null;
  #pairing: Pairing | null = null;
  #peer: { id: string; session: PeerSession; support: SupportSessionHandle | null } | null = null;
  #cancelTimer: (() => void) | null = null;
  #exit!: (e: AgentExit) => void;
  #exited = false;
  /** A pairing dialogue is running (a reconnect meanwhile must not start a second one). */
  #pairingRun: Promise<void> | null = null;

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
    if (this.#pairing && this.#o.deploymentToken && this.#pairing.deploymentDigest === deploymentDigest(this.#o.deploymentToken)) {
      this.#log(`This computer is already paired with ${this.#pairing.technicianName} from this link: connecting again.`);
    } else if (this.#pairing && this.#o.deploymentToken) {
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

  /** The presence socket: reconnects for as long as the agent runs (from the first attempt: a service may start before the network). */
  async #connect(): Promise<void> {
    if (this.#exited) return;
    const url = `${this.#o.serverUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws/adhoc/agent`;
    const socket = new SignalingConnection<AdhocAgentMessage, AdhocServerMessage>({
      url,
      incoming: { schema: adhocServerMessageSchema, types: ADHOC_SERVER_MESSAGE_TYPES },
      WebSocket,
      maxPayload: LIMITS.wsMessageBytes,
      reconnect: { initialMs: 1000, maxMs: 30_000, fromFirstAttempt: true },
      emitReplies: false,
      ...(this.#o.onServerMessage ? { onSend: this.#o.onServerMessage } : {}),
    });
    this.#socket = socket;
    socket.on('open', () => void this.#onOpen());
    socket.on('disconnected', (d) => {
      if (!this.#exited) this.#log(`connection to the server lost (${d.code}); trying again in ${Math.round(d.delayMs / 1000)} s`);
    });
    socket.on('invalid', (m) => this.#log(`ignored a bad server message: ${m.message}`));
    socket.on('adhoc.connection', (m) => void this.#onConnection(m));
    socket.on('adhoc.disconnect', (m) => {
      if (this.#peer?.id === m.connectionId) this.#closePeer();
    });
    socket.on('adhoc.activated', (m) => void this.#activated(m.expiresAt));
    socket.on('adhoc.welcome', (m) => {
      if (m.state === 'paired' && this.#pairing && this.#pairing.expiresAt === null) void this.#activated(m.expiresAt);
    });
    socket.on('adhoc.ended', (m) => {
      this.#log(m.reason === 'expired' ? 'The 24 hours are over.' : 'The technician ended remote support.');
      void this.#finish({ code: 0, reason: m.reason }, true);
    });
    socket.on('error', (m) => {
      this.#log(`server: ${m.message}`);
      // Our token is unknown: the session is gone from the server; leave nothing behind.
      if (m.code === 'TOKEN_INVALID') void this.#finish({ code: 0, reason: 'technician_ended' }, true);
    });
    void socket.connect().catch(() => undefined);
  }

  async #onOpen(): Promise<void> {
    if (this.#exited) return;
    if (this.#pairing) {
      this.#send({ type: 'adhoc.resume', agentToken: this.#pairing.agentToken });
      return;
    }
    this.#pairingRun ??= this.#pairWithCode(this.#o.deploymentToken!).finally(() => (this.#pairingRun = null));
    await this.#pairingRun;
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
          deploymentDigest: deploymentDigest(deploymentToken),
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

  async #onConnection(connection: Extract<AdhocServerMessage, { type: 'adhoc.connection' }>): Promise<void> {
    const socket = this.#socket;
    if (!socket || this.#exited) return;
    this.#closePeer();
    const { connectionId, peerName: technicianName } = connection;
    const session = openAdhocPeer(socket, connection, { RTCPeerConnection: this.#o.RTCPeerConnection });
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
      else if (reply.type === 'error') this.#log(`server: ${reply.message}`);
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

  /** A request; an error reply (or no connection) comes back as an `error` message, so callers read one union. */
  async #request(msg: Extract<AdhocAgentMessage, { id?: string | undefined }>): Promise<AdhocServerMessage> {
    const socket = this.#socket;
    if (!socket) return { type: 'error', code: 'PEER_NOT_CONNECTED', message: 'Not connected to the server.' };
    try {
      return await socket.request(msg);
    } catch (err) {
      if (err instanceof RescueError && err.code !== 'INTERNAL') return { type: 'error', code: err.code, message: err.message };
      return { type: 'error', code: 'PEER_NOT_CONNECTED', message: this.#exited ? 'The agent is stopping.' : 'Not connected to the server.' };
    }
  }

  #send(msg: AdhocAgentMessage): void {
    this.#socket?.send(msg);
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
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, exit.reason);
    if (unpair) {
      await this.store.destroy();
      this.#log('This computer is no longer paired; the support program has removed its files.');
    }
    this.#exit(exit);
  }
}
