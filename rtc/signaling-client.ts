import { CLOSE_CODES, RescueError, isErrorCode } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import { parseMessage } from '../protocol/parse.ts';
import { SERVER_MESSAGE_TYPES, serverMessageSchema } from '../protocol/signaling.ts';
import type { ClientKind, CustomerMessage, ServerMessage, TechnicianMessage } from '../protocol/signaling.ts';
import { Emitter } from './emitter.ts';

/** The part of the standard WebSocket API this client uses (browser WebSocket and `ws` both fit). */
export type WebSocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};
/** Browser `WebSocket`, or `ws`'s, which also takes `{ headers }` as a third argument. */
export type WebSocketCtor = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) => unknown;

export type ClientMessage = TechnicianMessage | CustomerMessage;
type ServerByType = { [K in ServerMessage['type']]: Extract<ServerMessage, { type: K }> };

/** Events: every server message type by its `type`, plus the connection's own. */
export type SignalingEvents = ServerByType & {
  /** The socket opened (first time and after every reconnect). */
  open: { reconnect: boolean };
  /** The socket dropped; a reconnect is scheduled after `delayMs` unless `final`. */
  disconnected: { code: number; reason: string; final: boolean; delayMs: number };
  /** Back after a drop (customer: after `customer.resume` was accepted). */
  reconnected: { attempt: number };
  /** The customer's resume was refused (e.g. TOKEN_INVALID, SESSION_CLOSED); no more reconnects. */
  'resume.failed': { code: string; message: string };
  /** The server sent something that did not parse; it is dropped. */
  invalid: { code: string; message: string };
  /** close() was called or the drop was final. */
  closed: { code: number; reason: string };
};

export type SignalingClientOptions = {
  url: string;
  role: 'technician' | 'customer';
  /** Defaults to `globalThis.WebSocket`. The Node agent passes `ws`. */
  WebSocket?: WebSocketCtor;
  /** Extra headers (Node `ws` only, e.g. Cookie, Origin); browsers ignore this. */
  headers?: Record<string, string>;
  /** Sent in `customer.resume`. Default 'browser'. */
  client?: ClientKind;
  /** Customer resume token; set automatically from `code.accepted`. */
  resumeToken?: string;
  reconnect?: { enabled?: boolean; initialMs?: number; maxMs?: number; maxAttempts?: number };
  requestTimeoutMs?: number;
  /** Messages queued while disconnected (signals, audit events); oldest drop first. */
  maxQueued?: number;
};

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.SESSION_ENDED,
  CLOSE_CODES.UNAUTHENTICATED,
  CLOSE_CODES.ORIGIN_NOT_ALLOWED,
  CLOSE_CODES.REPLACED,
]);
const OPEN = 1;

type Pending = { resolve: (m: ServerMessage) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

/**
 * The signaling WebSocket client: validated server messages, request/reply by
 * `id`/`ref`, and reconnect with exponential backoff (the customer resumes
 * with its token, the technician's cookie re-authenticates).
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  private ws: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly queue: ClientMessage[] = [];
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private ready = false;
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private resumeToken: string | undefined;
  private readonly opts: Required<Omit<SignalingClientOptions, 'headers' | 'resumeToken' | 'reconnect'>> & {
    headers?: Record<string, string>;
    reconnect: { enabled: boolean; initialMs: number; maxMs: number; maxAttempts: number };
  };

  constructor(options: SignalingClientOptions) {
    super();
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!ctor) throw new Error('SignalingClient: no WebSocket constructor');
    this.opts = {
      url: options.url,
      role: options.role,
      WebSocket: ctor,
      client: options.client ?? 'browser',
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      maxQueued: options.maxQueued ?? 500,
      reconnect: {
        enabled: options.reconnect?.enabled ?? true,
        initialMs: options.reconnect?.initialMs ?? 500,
        maxMs: options.reconnect?.maxMs ?? 10_000,
        maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
      },
      ...(options.headers ? { headers: options.headers } : {}),
    };
    this.resumeToken = options.resumeToken;
  }

  /** Whether the socket is open (and, for a resuming customer, resumed). */
  get connected(): boolean {
    return this.ready;
  }

  setResumeToken(token: string | undefined): void {
    this.resumeToken = token;
  }

  /** Opens the socket; resolves once it is open, rejects if the first attempt fails. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const offOpen = this.once('open', () => {
        offClosed();
        resolve();
      });
      const offClosed = this.once('disconnected', (d) => {
        if (this.everOpened) return;
        offOpen();
        reject(new Error(`signaling: could not connect (${d.code} ${d.reason})`));
      });
      this.open();
    });
  }

  /** Sends a request with a fresh `id`; resolves with the reply carrying `ref`, rejects on an `error` reply. */
  request(msg: ClientMessage): Promise<ServerMessage> {
    const id = `r${this.nextId++}`;
    const withId = { ...msg, id } as ClientMessage;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RescueError('INTERNAL', `signaling: no reply to ${msg.type} in ${this.opts.requestTimeoutMs} ms`));
      }, this.opts.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.sendNow(withId)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RescueError('INTERNAL', 'signaling: not connected'));
      }
    });
  }

  /** Sends without waiting for a reply; queued (bounded) while reconnecting. */
  send(msg: ClientMessage): void {
    if (this.sendNow(msg)) return;
    if (this.closedByUser) return;
    this.queue.push(msg);
    if (this.queue.length > this.opts.maxQueued) this.queue.shift();
  }

  /** Closes for good: no reconnect, pending requests rejected. */
  close(code = 1000, reason = 'client closed'): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.ready = false;
    this.queue.length = 0;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      try {
        ws.close(code, reason);
      } catch {
        // Already closing.
      }
    }
    this.failPending('signaling: closed');
    this.emit('closed', { code, reason });
  }

  private sendNow(msg: ClientMessage): boolean {
    const ws = this.ws;
    const mayBypassReady = msg.type === 'customer.resume' || msg.type === 'code.submit';
    if (!ws || ws.readyState !== OPEN || (!this.ready && !mayBypassReady)) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  private open(): void {
    const Ctor = this.opts.WebSocket;
    const ws = (this.opts.headers
      ? new Ctor(this.opts.url, undefined, { headers: this.opts.headers })
      : new Ctor(this.opts.url)) as WebSocketLike;
    this.ws = ws;
    ws.onopen = () => void this.onOpen(ws);
    ws.onmessage = (ev) => this.onRaw(ev.data);
    ws.onerror = () => {
      // The close event follows and carries what matters.
    };
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
  }

  private async onOpen(ws: WebSocketLike): Promise<void> {
    const reconnect = this.everOpened;
    this.everOpened = true;
    const attempt = this.attempt;
    this.emit('open', { reconnect });
    if (reconnect && this.opts.role === 'customer' && this.resumeToken) {
      try {
        const id = `r${this.nextId++}`;
        const reply = new Promise<ServerMessage>((resolve, reject) => {
          const timer = setTimeout(() => reject(new RescueError('INTERNAL', 'resume timed out')), this.opts.requestTimeoutMs);
          this.pending.set(id, { resolve, reject, timer });
        });
        this.sendNow({ type: 'customer.resume', id, token: this.resumeToken, client: this.opts.client });
        await reply;
      } catch (err) {
        if (this.ws !== ws) return;
        const code = err instanceof RescueError ? err.code : 'INTERNAL';
        if (code === 'TOKEN_INVALID' || code === 'SESSION_CLOSED' || code === 'SESSION_NOT_FOUND') {
          this.emit('resume.failed', { code, message: (err as Error).message });
          this.close(1000, 'resume refused');
        } else {
          ws.close(4000 + 999, 'resume failed');
        }
        return;
      }
    }
    if (this.ws !== ws) return;
    this.ready = true;
    this.attempt = 0;
    for (const msg of this.queue.splice(0)) this.sendNow(msg);
    if (reconnect) this.emit('reconnected', { attempt });
  }

  private onRaw(data: unknown): void {
    let raw: string;
    if (typeof data === 'string') raw = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes.byteLength > LIMITS.wsMessageBytes) {
        this.emit('invalid', { code: 'MESSAGE_TOO_LARGE', message: 'binary message too large' });
        return;
      }
      raw = new TextDecoder().decode(bytes);
    } else {
      this.emit('invalid', { code: 'INVALID_MESSAGE', message: 'unexpected message data' });
      return;
    }
    const parsed = parseMessage(raw, serverMessageSchema, LIMITS.wsMessageBytes, SERVER_MESSAGE_TYPES);
    if (!parsed.ok) {
      this.emit('invalid', { code: parsed.code, message: parsed.message });
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'code.accepted') this.resumeToken = msg.token;
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (ref !== undefined) {
      const pending = this.pending.get(ref);
      if (pending) {
        this.pending.delete(ref);
        clearTimeout(pending.timer);
        if (msg.type === 'error') {
          pending.reject(new RescueError(isErrorCode(msg.code) ? msg.code : 'INTERNAL', msg.message));
        } else {
          pending.resolve(msg);
        }
      }
    }
    (this.emit as (t: string, p: unknown) => void)(msg.type, msg);
  }

  private onClose(ws: WebSocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.ready = false;
    this.failPending(`signaling: connection lost (${code})`);
    const r = this.opts.reconnect;
    const final = this.closedByUser || !r.enabled || FINAL_CLOSE_CODES.has(code) || this.attempt >= r.maxAttempts || !this.everOpened;
    const base = Math.min(r.maxMs, r.initialMs * 2 ** this.attempt);
    const delayMs = final ? 0 : Math.round(base * (0.75 + Math.random() * 0.5));
    this.emit('disconnected', { code, reason, final, delayMs });
    if (final) {
      if (!this.closedByUser) {
        this.closedByUser = true;
        this.queue.length = 0;
        this.emit('closed', { code, reason });
      }
      return;
    }
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closedByUser) this.open();
    }, delayMs);
  }

  private failPending(message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RescueError('INTERNAL', message));
      this.pending.delete(id);
    }
  }
}
