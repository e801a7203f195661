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
    let sas: string;
    try {
      sas = await proveAdhocPassword(peer, password, { pairing: opts.pairing ?? false, timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.onSas ? { onSas: opts.onSas } : {}) });
    } catch (err) {
      close();
      throw err;
    }
    return { connectionId, adhocId, peer, sas, close };
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
