import type { z } from 'zod';
import { RescueError } from '../protocol/errors.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { errorMessageSchema } from '../protocol/common.ts';
import { LIMITS } from '../protocol/limits.ts';
import { parseMessage } from '../protocol/parse.ts';
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
/** Browser `WebSocket`, or `ws`'s, which also takes `{ headers, maxPayload }` as a third argument. */
export type WebSocketCtor = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string>; maxPayload?: number }) => unknown;

/** A wire message: a `type`, and on requests an optional `id` the reply echoes as `ref`. */
type Message = { type: string };

/** The connection's own events. */
export type OwnEvents = {
  /** The socket opened and is usable (first time and after every reconnect). */
  open: { reconnect: boolean };
  /** The socket dropped; a reconnect is scheduled after `delayMs` unless `final`. */
  disconnected: { code: number; reason: string; final: boolean; delayMs: number };
  /** Back after a drop. */
  reconnected: { attempt: number };
  /** The server sent something that did not parse; it is dropped. */
  invalid: { code: ErrorCode; message: string };
  /** close() was called or the drop was final. */
  closed: { code: number; reason: string };
};

/** Events: every incoming message type by its `type`, plus the connection's own. */
export type ConnectionEvents<In extends Message> = { [K in In['type']]: Extract<In, { type: K }> } & OwnEvents;

export type SignalingConnectionOptions<In> = {
  url: string;
  /** What the server may send: the union's schema and its `type` literals (protocol/). */
  incoming: { schema: z.ZodType<In>; types: ReadonlySet<string> };
  /** Defaults to `globalThis.WebSocket`. Node passes `ws`. */
  WebSocket?: WebSocketCtor;
  /** Extra headers (Node `ws` only, e.g. Cookie, Origin); browsers ignore this. */
  headers?: Record<string, string>;
  /** Largest message `ws` accepts before closing with 1009 (Node only). */
  maxPayload?: number;
  reconnect?: {
    enabled?: boolean;
    initialMs?: number;
    maxMs?: number;
    maxAttempts?: number;
    /** Keep trying when even the first attempt fails (a service that starts before the network). Default false. */
    fromFirstAttempt?: boolean;
  };
  /** Close codes after which reconnecting cannot help. */
  finalCloseCodes?: ReadonlySet<number>;
  requestTimeoutMs?: number;
  /** Messages queued while disconnected (signals, audit events); oldest drop first. */
  maxQueued?: number;
  /** Called with the text of every message sent (tests check what crosses). */
  onSend?: (text: string) => void;
  /** Whether a reply that settled a request is also emitted as an event. Default true. */
  emitReplies?: boolean;
};

const OPEN = 1;

type Pending<In> = { resolve: (m: In) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

/**
 * One signaling WebSocket client for every socket of the product (PIN
 * technician and customer, ad hoc technician and agent): validated incoming
 * messages of one union, request/reply by `id`/`ref`, a bounded queue while
 * away, and reconnect with exponential backoff and jitter. Subclasses add a
 * handshake that runs on every reconnect before the socket counts as open
 * (the PIN customer resumes with its token).
 */
export class SignalingConnection<Out extends Message, In extends Message> extends Emitter<ConnectionEvents<In>> {
  private ws: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending<In>>();
  private readonly queue: Out[] = [];
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private ready = false;
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly ctor: WebSocketCtor;
  protected readonly base: SignalingConnectionOptions<In> & {
    reconnect: { enabled: boolean; initialMs: number; maxMs: number; maxAttempts: number; fromFirstAttempt: boolean };
    requestTimeoutMs: number;
    maxQueued: number;
  };

  constructor(options: SignalingConnectionOptions<In>) {
    super();
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!ctor) throw new Error('SignalingConnection: no WebSocket constructor');
    this.ctor = ctor;
    this.base = {
      ...options,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      maxQueued: options.maxQueued ?? 500,
      reconnect: {
        enabled: options.reconnect?.enabled ?? true,
        initialMs: options.reconnect?.initialMs ?? 500,
        maxMs: options.reconnect?.maxMs ?? 10_000,
        maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
        fromFirstAttempt: options.reconnect?.fromFirstAttempt ?? false,
      },
    };
  }

  /** Whether the socket is open (and its handshake, if any, done). */
  get connected(): boolean {
    return this.ready;
  }

  /** Opens the socket; resolves once it is usable, rejects if the first attempt fails. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const offOpen = this.once('open', () => {
        offClosed();
        resolve();
      });
      const offClosed = this.once('disconnected', (d) => {
        if (this.everOpened || !d.final) return;
        offOpen();
        reject(new Error(`signaling: could not connect (${d.code} ${d.reason})`));
      });
      this.open();
    });
  }

  /** Sends a request with a fresh `id`; resolves with the reply carrying `ref`, rejects with a RescueError on an `error` reply. */
  request(msg: Extract<Out, { id?: string | undefined }>): Promise<In> {
    return this.requestOn(msg, false);
  }

  /** Sends without waiting for a reply; queued (bounded) while reconnecting. */
  send(msg: Out): void {
    if (this.sendNow(msg, false)) return;
    if (this.closedByUser) return;
    this.queue.push(msg);
    if (this.queue.length > this.base.maxQueued) this.queue.shift();
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
    this.emitOwn('closed', { code, reason });
  }

  /**
   * Runs on every open before the socket counts as usable; false when it
   * failed (the subclass closed or dropped the socket). Requests made here
   * must use `handshakeRequest`.
   */
  protected async handshake(_reconnect: boolean): Promise<boolean> {
    return true;
  }

  /** A request sent while the handshake runs (before the socket counts as open). */
  protected handshakeRequest(msg: Extract<Out, { id?: string | undefined }>): Promise<In> {
    return this.requestOn(msg, true);
  }

  /** Drops the current socket so that it reconnects (e.g. a handshake that timed out). */
  protected dropSocket(code: number, reason: string): void {
    this.ws?.close(code, reason);
  }

  /** Emits one of the connection's own events. */
  protected emitOwn<K extends keyof OwnEvents>(type: K, payload: OwnEvents[K]): void {
    (this.emit as (t: string, p: unknown) => void)(type, payload);
  }

  /** Sees every valid incoming message before it is dispatched (e.g. to keep a token). */
  protected onIncoming(_msg: In): void {}

  private requestOn(msg: Extract<Out, { id?: string | undefined }>, duringHandshake: boolean): Promise<In> {
    const id = `r${this.nextId++}`;
    const withId = { ...msg, id } as Out;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RescueError('INTERNAL', `signaling: no reply to ${msg.type} in ${this.base.requestTimeoutMs} ms`));
      }, this.base.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.sendNow(withId, duringHandshake)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RescueError('INTERNAL', 'signaling: not connected'));
      }
    });
  }

  private sendNow(msg: Out, duringHandshake: boolean): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || (!this.ready && !duringHandshake)) return false;
    const text = JSON.stringify(msg);
    this.base.onSend?.(text);
    ws.send(text);
    return true;
  }

  private open(): void {
    const Ctor = this.ctor;
    const nodeOptions = {
      ...(this.base.headers ? { headers: this.base.headers } : {}),
      ...(this.base.maxPayload !== undefined ? { maxPayload: this.base.maxPayload } : {}),
    };
    const ws = (Object.keys(nodeOptions).length > 0 ? new Ctor(this.base.url, undefined, nodeOptions) : new Ctor(this.base.url)) as WebSocketLike;
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
    const ok = await this.handshake(reconnect);
    if (!ok || this.ws !== ws) return;
    this.ready = true;
    this.attempt = 0;
    for (const msg of this.queue.splice(0)) this.sendNow(msg, false);
    this.emitOwn('open', { reconnect });
    if (reconnect) this.emitOwn('reconnected', { attempt });
  }

  private onRaw(data: unknown): void {
    let raw: string;
    if (typeof data === 'string') raw = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes.byteLength > LIMITS.wsMessageBytes) {
        this.emitOwn('invalid', { code: 'MESSAGE_TOO_LARGE', message: 'binary message too large' });
        return;
      }
      raw = new TextDecoder().decode(bytes);
    } else {
      this.emitOwn('invalid', { code: 'INVALID_MESSAGE', message: 'unexpected message data' });
      return;
    }
    const parsed = parseMessage(raw, this.base.incoming.schema, LIMITS.wsMessageBytes, this.base.incoming.types);
    if (!parsed.ok) {
      this.emitOwn('invalid', { code: parsed.code, message: parsed.message });
      return;
    }
    const msg = parsed.value;
    this.onIncoming(msg);
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (typeof ref === 'string') {
      const pending = this.pending.get(ref);
      if (pending) {
        this.pending.delete(ref);
        clearTimeout(pending.timer);
        const error = errorMessageSchema.safeParse(msg);
        if (error.success) {
          pending.reject(new RescueError(error.data.code, error.data.message));
        } else {
          pending.resolve(msg);
        }
        if (this.base.emitReplies === false) return;
      }
    }
    (this.emit as (t: string, p: unknown) => void)(msg.type, msg);
  }

  private onClose(ws: WebSocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.ready = false;
    this.failPending(`signaling: connection lost (${code})`);
    const r = this.base.reconnect;
    const final =
      this.closedByUser ||
      !r.enabled ||
      (this.base.finalCloseCodes?.has(code) ?? false) ||
      this.attempt >= r.maxAttempts ||
      (!this.everOpened && !r.fromFirstAttempt);
    const backoff = Math.min(r.maxMs, r.initialMs * 2 ** this.attempt);
    const delayMs = final ? 0 : Math.round(backoff * (0.75 + Math.random() * 0.5));
    this.emitOwn('disconnected', { code, reason, final, delayMs });
    if (final) {
      if (!this.closedByUser) {
        this.closedByUser = true;
        this.queue.length = 0;
        this.emitOwn('closed', { code, reason });
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
