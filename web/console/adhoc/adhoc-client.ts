import {
  ADHOC_SERVER_MESSAGE_TYPES,
  adhocServerMessageSchema,
  checkPasswordStrength,
  type AdhocServerMessage,
  type AdhocSummary,
  type AdhocTechnicianMessage,
} from '../../../protocol/adhoc.ts';
import { argon2id } from 'hash-wasm';
import {
  ADHOC_KDF,
  fromBase64Url,
  proofTranscript,
  sasDigits,
  sasInput,
  sdpFingerprint,
  toBase64Url,
  type AdhocKdfParams,
} from '../../../protocol/adhoc-proof.ts';
import type { ControlMessage } from '../../../protocol/channels.ts';
import { CLOSE_CODES, RescueError } from '../../../protocol/errors.ts';
import { Emitter } from '../../../rtc/emitter.ts';
import { openAdhocPeer } from '../../../rtc/peer-link.ts';
import type { PeerSession, RTCPeerConnectionCtor } from '../../../rtc/peer-session.ts';
import { SignalingConnection, type WebSocketCtor } from '../../../rtc/signaling-connection.ts';

export interface AdhocClientOptions {
  /** ws(s)://host/ws/adhoc/technician. */
  url: string;
  RTCPeerConnection: RTCPeerConnectionCtor;
  /** Defaults to the browser's WebSocket; Node tests pass `ws`. */
  WebSocket?: WebSocketCtor;
  /** Cookie and Origin for Node `ws` (browsers send their own). */
  headers?: Record<string, string>;
  /** Called with every message sent to the server (tests check no password crosses). */
  onSend?: (text: string) => void;
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

type ClientEvents = {
  update: AdhocSummary;
  /** The socket to the server is back after a drop (what changed meanwhile follows as `update`s). */
  reconnected: undefined;
  /** The socket closed for good (logged out, or close()). */
  closed: undefined;
};

/** A live connection to a paired computer, after the password was accepted. */
export interface AdhocConnection {
  connectionId: string;
  adhocId: string;
  peer: PeerSession;
  /** The short authentication string of this DTLS session (compare with the agent's terminal at pairing). */
  sas: string;
  close(): void;
}

/** K = argon2id(password, salt) in WebAssembly (hash-wasm): the same bytes as the agent's @node-rs/argon2. */
export async function deriveAdhocKey(password: string, salt: Uint8Array, kdf: AdhocKdfParams = ADHOC_KDF): Promise<Uint8Array> {
  return argon2id({
    password,
    salt,
    parallelism: kdf.parallelism,
    iterations: kdf.iterations,
    memorySize: kdf.memoryKiB,
    hashLength: ADHOC_KDF.keyBytes,
    outputType: 'binary',
  });
}

/** The technician's view of the DTLS session: its own certificate and the remote one, from the SDPs. */
export function technicianView(peer: PeerSession): { technicianFingerprint: string; agentFingerprint: string } {
  const pc = peer.pc;
  return {
    technicianFingerprint: sdpFingerprint((pc.currentLocalDescription ?? pc.localDescription)?.sdp),
    agentFingerprint: sdpFingerprint((pc.currentRemoteDescription ?? pc.remoteDescription)?.sdp),
  };
}

/** mac = HMAC-SHA256(K, transcript(nonce, view)) with WebCrypto (browser and Node 20). */
export async function proofMac(key: Uint8Array, nonce: string, view: { technicianFingerprint: string; agentFingerprint: string }): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const k = await subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, proofTranscript(nonce, view)));
}

/** Six digits from SHA-256 over both fingerprints, sorted (WebCrypto). */
export async function shortAuthString(local: string, remote: string): Promise<string> {
  return sasDigits(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', sasInput(local, remote))));
}

/**
 * The console's side of ad hoc support on `/ws/adhoc/technician`: live updates
 * of the technician's sessions, Connect (which proves the computer's password
 * to the agent over the data channel, never through the server), and End.
 * Runs in the browser and, with `ws` and `@roamhq/wrtc` injected, in Node tests.
 */
export class AdhocClient extends Emitter<ClientEvents> {
  readonly #o: AdhocClientOptions;
  readonly #socket: SignalingConnection<AdhocTechnicianMessage, AdhocServerMessage>;
  readonly #peers = new Map<string, PeerSession>();

  constructor(options: AdhocClientOptions) {
    super();
    this.#o = options;
    this.#socket = new SignalingConnection<AdhocTechnicianMessage, AdhocServerMessage>({
      url: options.url,
      incoming: { schema: adhocServerMessageSchema, types: ADHOC_SERVER_MESSAGE_TYPES },
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.onSend ? { onSend: options.onSend } : {}),
      finalCloseCodes: new Set([CLOSE_CODES.UNAUTHENTICATED, CLOSE_CODES.ORIGIN_NOT_ALLOWED]),
      emitReplies: false,
    });
    this.#socket.on('adhoc.update', (m) => this.emit('update', m.session));
    // Back after a drop: what changed meanwhile arrives as a fresh list.
    this.#socket.on('reconnected', () => {
      this.emit('reconnected', undefined);
      this.list().then(
        (sessions) => sessions.forEach((session) => this.emit('update', session)),
        () => undefined,
      );
    });
    this.#socket.on('closed', () => this.emit('closed', undefined));
  }

  /** Whether the socket to the server is up. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  async open(): Promise<void> {
    try {
      await this.#socket.connect();
    } catch {
      throw new AdhocClientError('PEER_NOT_CONNECTED', 'Could not reach the server.');
    }
  }

  close(): void {
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#socket.close(1000, 'bye');
  }

  async list(): Promise<AdhocSummary[]> {
    const reply = await this.#request({ type: 'adhoc.list' });
    if (reply.type !== 'adhoc.list') throw unexpected(reply);
    return reply.sessions;
  }

  async end(adhocId: string): Promise<void> {
    const reply = await this.#request({ type: 'adhoc.end', adhocId });
    if (reply.type !== 'ack') throw unexpected(reply);
  }

  /**
   * Opens a connection and proves `password` to the agent; the password never
   * leaves this process. At pairing (`pairing: true`) the agent asks for
   * `setup` and receives K = argon2id(password, salt); a `setup` request is
   * refused otherwise, so a reset agent cannot trick the console into choosing
   * a new password silently. Later connections send only a MAC under K bound
   * to the nonce and both DTLS fingerprints. `onSas` gets the short
   * authentication string as soon as the channel is up.
   */
  async connect(
    adhocId: string,
    password: string,
    opts: { pairing?: boolean; timeoutMs?: number; onPeer?: (peer: PeerSession) => void; onSas?: (sas: string) => void } = {},
  ): Promise<AdhocConnection> {
    const reply = await this.#request({ type: 'adhoc.connect', adhocId });
    if (reply.type !== 'adhoc.connection') throw unexpected(reply);
    const { connectionId } = reply;
    const peer = openAdhocPeer(this.#socket, reply, { RTCPeerConnection: this.#o.RTCPeerConnection });
    this.#peers.set(connectionId, peer);
    peer.once('closed', () => this.#peers.delete(connectionId));
    opts.onPeer?.(peer);
    const close = (): void => {
      if (!this.#peers.delete(connectionId)) return;
      peer.close();
      this.#socket.send({ type: 'adhoc.disconnect', connectionId });
    };
    let sas: string;
    try {
      sas = await proveAdhocPassword(peer, password, { pairing: opts.pairing ?? false, timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.onSas ? { onSas: opts.onSas } : {}) });
    } catch (err) {
      close();
      throw err;
    }
    return { connectionId, adhocId, peer, sas, close };
  }

  async #request(msg: Extract<AdhocTechnicianMessage, { id?: string | undefined }>): Promise<AdhocServerMessage> {
    try {
      return await this.#socket.request(msg);
    } catch (err) {
      if (err instanceof RescueError && err.code !== 'INTERNAL') throw new AdhocClientError(err.code, err.message);
      throw new AdhocClientError('PEER_NOT_CONNECTED', 'Not connected to the server.');
    }
  }
}

/**
 * The technician's half of the password step on an open peer session: answers
 * the agent's challenge (K at `setup`, only when `pairing`; a MAC bound to the
 * DTLS fingerprints at `verify`) and resolves with the short authentication
 * string once the agent accepts. Throws AdhocClientError otherwise.
 */
export async function proveAdhocPassword(
  peer: PeerSession,
  password: string,
  opts: { pairing: boolean; timeoutMs: number; onSas?: (sas: string) => void },
): Promise<string> {
  const { pairing, timeoutMs, onSas } = opts;
  const challenge = await nextControl(peer, 'auth.challenge', timeoutMs);
  if (challenge.mode === 'setup' && !pairing) {
    throw new AdhocClientError('ADHOC_AUTH_FAILED', 'The computer asked to set a new password; refused. End this session and prepare a new one.');
  }
  if (challenge.mode === 'setup') {
    const strength = checkPasswordStrength(password);
    if (!strength.ok) throw new AdhocClientError('PASSWORD_TOO_WEAK', strength.problems.join(' '));
  }
  // Fixed cost only: a man-in-the-middle must not talk the console into a cheap, guessable derivation.
  const { kdf } = challenge;
  const salt = fromBase64Url(challenge.salt);
  if (kdf.memoryKiB !== ADHOC_KDF.memoryKiB || kdf.iterations !== ADHOC_KDF.iterations || kdf.parallelism !== ADHOC_KDF.parallelism || salt.length !== ADHOC_KDF.saltBytes) {
    throw new AdhocClientError('ADHOC_AUTH_FAILED', 'The computer asked for unexpected password parameters; refused.');
  }
  let view: ReturnType<typeof technicianView>;
  try {
    view = technicianView(peer);
  } catch {
    throw new AdhocClientError('ADHOC_AUTH_FAILED', 'The connection has no DTLS fingerprint; refused.');
  }
  const sas = await shortAuthString(view.technicianFingerprint, view.agentFingerprint);
  onSas?.(sas);
  let key: Uint8Array;
  try {
    key = await deriveAdhocKey(password, salt, kdf);
  } catch (err) {
    // Typically a Content-Security-Policy without 'wasm-unsafe-eval' in script-src.
    throw new AdhocClientError('INTERNAL', `This browser could not run argon2id (WebAssembly): ${(err as Error).message}`);
  }
  const proof =
    challenge.mode === 'setup'
      ? { type: 'auth.proof' as const, nonce: challenge.nonce, key: toBase64Url(key) }
      : { type: 'auth.proof' as const, nonce: challenge.nonce, mac: toBase64Url(await proofMac(key, challenge.nonce, view)) };
  const result = nextControl(peer, 'auth.result', timeoutMs);
  peer.send('control', proof);
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
  return sas;
}

function unexpected(msg: AdhocServerMessage): AdhocClientError {
  return new AdhocClientError('INTERNAL', `Unexpected ${msg.type}.`);
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
