import {
  ADHOC_SERVER_MESSAGE_TYPES,
  adhocServerMessageSchema,
  checkPasswordStrength,
  type AdhocServerMessage,
  type AdhocSummary,
  type AdhocTechnicianMessage,
} from '../../../protocol/adhoc.ts';
import type { ControlMessage } from '../../../protocol/channels.ts';
import { LIMITS } from '../../../protocol/limits.ts';
import { parseMessage } from '../../../protocol/parse.ts';
import { Emitter } from '../../../rtc/emitter.ts';
import { PeerSession, type RTCPeerConnectionCtor } from '../../../rtc/peer-session.ts';

/** The part of the browser WebSocket this client uses (the `ws` package's WebSocket fits too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface AdhocClientOptions {
  /** ws(s)://host/ws/adhoc/technician. */
  url: string;
  openSocket(url: string): WebSocketLike;
  RTCPeerConnection: RTCPeerConnectionCtor;
}

/** An error the console shows: a catalogue code and its message. */
export class AdhocClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdhocClientError';
  }
}

type ClientEvents = { update: AdhocSummary; closed: undefined };

/** A live connection to a paired computer, after the password was accepted. */
export interface AdhocConnection {
  connectionId: string;
  adhocId: string;
  peer: PeerSession;
  close(): void;
}

/**
 * The console's side of ad hoc support on `/ws/adhoc/technician`: live updates
 * of the technician's sessions, Connect (which proves the computer's password
 * to the agent over the data channel, never through the server), and End.
 * Runs in the browser and, with `ws` and `@roamhq/wrtc` injected, in Node tests.
 */
export class AdhocClient extends Emitter<ClientEvents> {
  readonly #o: AdhocClientOptions;
  #ws: WebSocketLike | null = null;
  #nextId = 0;
  readonly #waiters = new Map<string, (m: AdhocServerMessage) => void>();
  readonly #peers = new Map<string, PeerSession>();

  constructor(options: AdhocClientOptions) {
    super();
    this.#o = options;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.#o.openSocket(this.#o.url);
      this.#ws = ws;
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new AdhocClientError('PEER_NOT_CONNECTED', 'Could not reach the server.'));
      ws.onclose = () => {
        this.#ws = null;
        for (const w of this.#waiters.values()) w({ type: 'error', code: 'PEER_NOT_CONNECTED', message: 'The connection to the server closed.' });
        this.#waiters.clear();
        this.emit('closed', undefined);
      };
      ws.onmessage = (ev) => this.#onMessage(String(ev.data));
    });
  }

  close(): void {
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#ws?.close(1000, 'bye');
  }

  async list(): Promise<AdhocSummary[]> {
    const reply = await this.#request({ type: 'adhoc.list' });
    if (reply.type !== 'adhoc.list') throw toError(reply);
    return reply.sessions;
  }

  async end(adhocId: string): Promise<void> {
    const reply = await this.#request({ type: 'adhoc.end', adhocId });
    if (reply.type !== 'ack') throw toError(reply);
  }

  /**
   * Opens a connection and proves `password` to the agent. At pairing
   * (`pairing: true`) the agent asks for `setup` and stores the password's
   * hash; a `setup` request is refused otherwise, so a reset agent cannot
   * trick the console into choosing a new password silently.
   */
  async connect(
    adhocId: string,
    password: string,
    opts: { pairing?: boolean; timeoutMs?: number; onPeer?: (peer: PeerSession) => void } = {},
  ): Promise<AdhocConnection> {
    const reply = await this.#request({ type: 'adhoc.connect', adhocId });
    if (reply.type !== 'adhoc.connection') throw toError(reply);
    const { connectionId } = reply;
    const peer = new PeerSession({
      RTCPeerConnection: this.#o.RTCPeerConnection,
      ice: reply.ice,
      polite: reply.polite,
      sendSignal: (data) => this.#send({ type: 'adhoc.signal', connectionId, data }),
    });
    this.#peers.set(connectionId, peer);
    opts.onPeer?.(peer);
    const close = (): void => {
      if (!this.#peers.delete(connectionId)) return;
      peer.close();
      this.#send({ type: 'adhoc.disconnect', connectionId });
    };
    try {
      await this.#prove(peer, password, opts.pairing ?? false, opts.timeoutMs ?? 30_000);
    } catch (err) {
      close();
      throw err;
    }
    return { connectionId, adhocId, peer, close };
  }

  async #prove(peer: PeerSession, password: string, pairing: boolean, timeoutMs: number): Promise<void> {
    const challenge = await nextControl(peer, 'auth.challenge', timeoutMs);
    if (challenge.mode === 'setup' && !pairing) {
      throw new AdhocClientError('ADHOC_AUTH_FAILED', 'The computer asked to set a new password; refused. End this session and prepare a new one.');
    }
    if (challenge.mode === 'setup') {
      const strength = checkPasswordStrength(password);
      if (!strength.ok) throw new AdhocClientError('PASSWORD_TOO_WEAK', strength.problems.join(' '));
    }
    const result = nextControl(peer, 'auth.result', timeoutMs);
    peer.send('control', { type: 'auth.proof', nonce: challenge.nonce, password });
    const r = await result;
    if (!r.ok) {
      const code = r.code ?? 'ADHOC_AUTH_FAILED';
      const message =
        code === 'RATE_LIMITED'
          ? `Too many wrong passwords; the computer accepts none for ${Math.ceil((r.retryAfterMs ?? 0) / 60_000)} minute(s).`
          : code === 'PASSWORD_TOO_WEAK'
            ? 'The computer refused the password as too weak.'
            : 'The password for this computer is wrong.';
      throw new AdhocClientError(code, message);
    }
  }

  #onMessage(text: string): void {
    const parsed = parseMessage(text, adhocServerMessageSchema, LIMITS.wsMessageBytes, ADHOC_SERVER_MESSAGE_TYPES);
    if (!parsed.ok) return;
    const msg = parsed.value;
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (ref !== undefined && this.#waiters.has(ref)) {
      this.#waiters.get(ref)!(msg);
      this.#waiters.delete(ref);
      return;
    }
    switch (msg.type) {
      case 'adhoc.update':
        this.emit('update', msg.session);
        break;
      case 'adhoc.signal':
        void this.#peers.get(msg.connectionId)?.handleSignal(msg.data);
        break;
      case 'adhoc.disconnect': {
        const peer = this.#peers.get(msg.connectionId);
        this.#peers.delete(msg.connectionId);
        peer?.close();
        break;
      }
      case 'adhoc.list':
      case 'adhoc.connection':
      case 'adhoc.code_required':
      case 'adhoc.code_accepted':
      case 'adhoc.welcome':
      case 'adhoc.activated':
      case 'adhoc.ended':
      case 'ack':
      case 'error':
        // Replies to requests arrive with their ref above; the rest are agent-only.
        break;
    }
  }

  #request(msg: AdhocTechnicianMessage): Promise<AdhocServerMessage> {
    const id = `t${++this.#nextId}`;
    return new Promise((resolve) => {
      this.#waiters.set(id, resolve);
      if (!this.#send({ ...msg, id } as AdhocTechnicianMessage)) {
        this.#waiters.delete(id);
        resolve({ type: 'error', code: 'PEER_NOT_CONNECTED', message: 'Not connected to the server.' });
      }
    });
  }

  #send(msg: AdhocTechnicianMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }
}

function toError(msg: AdhocServerMessage): AdhocClientError {
  return msg.type === 'error' ? new AdhocClientError(msg.code, msg.message) : new AdhocClientError('INTERNAL', `Unexpected ${msg.type}.`);
}

function nextControl<T extends ControlMessage['type']>(peer: PeerSession, type: T, timeoutMs: number): Promise<Extract<ControlMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      offClosed();
      reject(new AdhocClientError('PEER_NOT_CONNECTED', 'The computer did not answer.'));
    }, timeoutMs);
    const off = peer.on('control', (msg) => {
      if (msg.type !== type) return;
      clearTimeout(timer);
      off();
      offClosed();
      resolve(msg as Extract<ControlMessage, { type: T }>);
    });
    const offClosed = peer.on('closed', () => {
      clearTimeout(timer);
      off();
      reject(new AdhocClientError('PEER_NOT_CONNECTED', 'The connection closed.'));
    });
  });
}
