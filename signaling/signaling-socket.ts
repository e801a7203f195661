import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { WebSocket, type RawData } from 'ws';
import { CLOSE_CODES, ERRORS, LIMITS, RescueError, parseMessage, type ErrorCode, type FastCheck, type ServerMessage } from '../protocol/index.ts';
import type { Clock } from './clock.ts';
import type { Log } from './logger.ts';
import { ReplyGate } from './store/reply-gate.ts';
import { holdWritesForThisTurn } from './turn.ts';

/** This many bad messages in a row close the socket with 4008. */
export const MAX_CONSECUTIVE_ERRORS = 10;

/**
 * Per-socket message budget (a token bucket): a burst of MESSAGE_BURST, then
 * MESSAGES_PER_SECOND. A negotiation with trickled candidates needs a few dozen
 * messages; a console with ten sessions a few hundred at worst. Messages over
 * the budget are dropped with one RATE_LIMITED reply per second; a socket that
 * keeps flooding (MESSAGE_BURST dropped) is closed with 4008.
 */
export const MESSAGE_BURST = 300;
export const MESSAGES_PER_SECOND = 100;

export { holdWritesForThisTurn };

/**
 * One heartbeat timer for every socket of a clock and period, started with the
 * first socket and stopped with the last, instead of a timer per socket (an
 * interval and its closure held by each idle connection). A socket's first
 * beat comes within one period of its start, so a silent peer is cut after
 * two missed pings, between two and three periods in.
 */
class Heartbeat {
  private static readonly all = new WeakMap<Clock, Map<number, Heartbeat>>();
  private readonly sockets = new Set<SignalingSocket<z.ZodType, { type: string }>>();
  private timer: unknown = null;

  private constructor(
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}

  static of(clock: Clock, ms: number): Heartbeat {
    let byPeriod = Heartbeat.all.get(clock);
    if (!byPeriod) Heartbeat.all.set(clock, (byPeriod = new Map()));
    let beat = byPeriod.get(ms);
    if (!beat) byPeriod.set(ms, (beat = new Heartbeat(clock, ms)));
    return beat;
  }

  add(socket: SignalingSocket<z.ZodType, { type: string }>): void {
    this.sockets.add(socket);
    this.timer ??= this.clock.setInterval(() => {
      for (const s of this.sockets) s.beat();
    }, this.ms);
  }

  delete(socket: SignalingSocket<z.ZodType, { type: string }>): void {
    if (!this.sockets.delete(socket) || this.sockets.size > 0 || this.timer === null) return;
    this.clock.clearInterval(this.timer);
    this.timer = null;
  }
}

/** The SignalingSocket a ws belongs to: its listeners are shared functions, not closures per socket. */
const OWNER = Symbol('signalingSocket');
type Owned = WebSocket & { [OWNER]: SignalingSocket<z.ZodType, { type: string }> };
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as Owned)[OWNER].receive(data, isBinary);
}
function onPong(this: WebSocket): void {
  (this as Owned)[OWNER].ponged();
}
function onClose(this: WebSocket): void {
  (this as Owned)[OWNER].closedNow();
}
function onError(this: WebSocket, error: Error): void {
  (this as Owned)[OWNER].logError(error);
}

/**
 * The text a `signal` came in as, by its `data` object, for the relay to send
 * on as is (`SignalingSocket.write`): the message the peer gets is the one the
 * sender wrote (`{type, sessionId, lane?, data}`, the same session and lane),
 * so it is not stringified again. Only a message the fast check accepted is
 * kept: its `data` is what JSON.parse made of that text (no schema output, no
 * transform), and every key of it was checked, so the peer's JSON.parse of the
 * text gives the value that was validated. Stringifying the relayed SDPs and
 * candidates was 4.2% of the server's time under the signaling bench
 * (docs/performance-signaling.md). A WeakMap: nothing is kept once the
 * message is gone.
 */
const rawSignals = new WeakMap<object, { text: Buffer | string; sessionId: unknown; lane: unknown }>();
/** A Buffer goes out as a text frame (it is the UTF-8 that came in, already validated by ws). */
const AS_TEXT = { binary: false } as const;

/** The text (its UTF-8 bytes as received) to send for `message` when it is a relayed signal written exactly as it came in, else null. */
function rawSignalText(message: { type: string }): Buffer | string | null {
  if (message.type !== 'signal') return null;
  const m = message as { sessionId?: unknown; lane?: unknown; data?: unknown };
  const raw = typeof m.data === 'object' && m.data !== null ? rawSignals.get(m.data) : undefined;
  if (!raw || raw.sessionId !== m.sessionId || raw.lane !== m.lane) return null;
  // No key beyond type, sessionId, data and (when set) lane: anything else would be lost.
  let keys = 0;
  for (const key in m) if (Object.hasOwn(m, key)) keys++;
  return keys === (m.lane === undefined ? 3 : 4) ? raw.text : null;
}

/** The error reply every server-to-client union carries. */
type ErrorReply = { type: 'error'; code: ErrorCode; message: string; ref?: string };

export interface SignalingSocketOptions<S extends z.ZodType> {
  ws: WebSocket;
  schema: S;
  knownTypes: ReadonlySet<string>;
  /** Hand-written checks for the hottest types (protocol/fast-parse.ts); the schema decides the rest. */
  fastChecks?: ReadonlyMap<string, FastCheck>;
  heartbeatMs: number;
  /** Unsent bytes past which the reader counts as stalled and the socket is cut (WS_SEND_BUFFER_BYTES). */
  sendBufferBytes: number;
  /** The server's clock: heartbeats and the message budget run on it. */
  clock: Clock;
  logger: Log;
  /**
   * Handles one valid message; a thrown (or rejected) RescueError becomes an
   * error reply with the request's ref. While a returned promise is pending,
   * later messages wait for it, so they are handled in the order they came.
   */
  onMessage: (message: z.infer<S>) => void | Promise<void>;
  onClose: () => void;
  /** Errors a handler throws that count as bad messages too (e.g. a wrong security code). */
  countAsBad?: ReadonlySet<ErrorCode>;
}

/**
 * A signaling WebSocket, for every socket path of the server (PIN technician
 * and customer, ad hoc technician and agent): parses every message at the
 * trust boundary, answers bad input with `{type:'error'}` (the socket stays
 * open; many bad ones in a row close it with 4008), spends one message of a
 * budget per message, pings every heartbeat on the server's clock and drops a
 * peer that misses two. `Out` is the union this path sends.
 */
export class SignalingSocket<S extends z.ZodType, Out extends { type: string } = ServerMessage> {
  private consecutiveErrors = 0;
  private missedPings = 0;
  private tokens = MESSAGE_BURST;
  private refilledAt: number;
  private dropped = 0;
  private lastLimitReplyAt = -Infinity;
  private readonly heartbeat: Heartbeat;
  private closed = false;
  /** The last message handler still running (a promise), or null. */
  private tail: Promise<void> | null = null;
  /** Holds replies until the audit rows of their step are stored (signaling/store/reply-gate.ts). */
  // Typed by `type` only: a gate typed by Out would make the socket invariant in Out (the shared heartbeat holds every kind).
  private readonly gate = new ReplyGate<{ type: string }>((message) => this.write(message as Out | ErrorReply));

  constructor(private readonly options: SignalingSocketOptions<S>) {
    const { ws, clock } = options;
    this.refilledAt = clock.now();
    (ws as Owned)[OWNER] = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
    this.heartbeat = Heartbeat.of(clock, options.heartbeatMs);
    this.heartbeat.add(this);
  }

  /** @internal (the shared listeners) */
  ponged(): void {
    this.missedPings = 0;
  }

  /** @internal */
  logError(error: Error): void {
    this.options.logger.debug({ err: error.message }, 'socket error');
  }

  send(message: Out | ErrorReply): void {
    this.gate.send(message);
  }

  private write(message: Out | ErrorReply): void {
    const { ws } = this.options;
    if (ws.readyState !== WebSocket.OPEN) return;
    holdWritesForThisTurn((ws as unknown as { _socket?: Duplex })._socket);
    const raw = rawSignalText(message);
    if (raw !== null) ws.send(raw, AS_TEXT);
    else ws.send(JSON.stringify(message));
    // A reader that stopped reading (TCP window full) would make this buffer grow without
    // bound: past the limit it is cut now (a close frame would queue behind the backlog),
    // its side's grace period starts, and it resumes on a new socket.
    if (ws.bufferedAmount > this.options.sendBufferBytes) {
      this.options.logger.warn({ bufferedBytes: ws.bufferedAmount, limit: this.options.sendBufferBytes }, 'slow consumer: socket cut');
      ws.terminate();
      this.closedNow();
    }
  }

  sendError(code: ErrorCode, message: string, ref?: string): void {
    const reply: ErrorReply = { type: 'error', code, message: message.slice(0, 500) };
    if (ref !== undefined) reply.ref = ref;
    this.send(reply);
  }

  close(code: number, reason: string): void {
    const { ws } = this.options;
    this.gate.close(() => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason.slice(0, 120));
    });
  }

  /** @internal */
  receive(data: RawData, isBinary: boolean): void {
    // Once the server has closed a socket (login ended, flood, replaced), nothing more it sends is acted on.
    if (this.options.ws.readyState !== WebSocket.OPEN) return;
    this.missedPings = 0;
    if (!this.takeToken()) return;
    if (isBinary) {
      this.bad('INVALID_MESSAGE', 'Signaling messages are JSON text, not binary.');
      return;
    }
    // ws hands a Buffer (binaryType 'nodebuffer'): decode it in place rather than copy it first.
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const parsed = parseMessage(text, this.options.schema, LIMITS.wsMessageBytes, this.options.knownTypes, this.options.fastChecks);
    if (!parsed.ok) {
      // Behind a handler still running (an async store), so that a good message before it resets the count first.
      const before = this.tail;
      if (!before) this.bad(parsed.code, parsed.message, parsed.ref);
      else {
        const link: Promise<void> = before.then(() => {
          this.bad(parsed.code, parsed.message, parsed.ref);
          if (this.tail === link) this.tail = null;
        });
        this.tail = link;
      }
      return;
    }
    const value = parsed.value as { type?: unknown; id?: unknown; sessionId?: unknown; lane?: unknown; data?: unknown };
    if (value.type === 'signal' && typeof value.data === 'object' && value.data !== null && this.options.fastChecks?.get('signal')?.(value)) {
      rawSignals.set(value.data, { text: Buffer.isBuffer(data) ? data : text, sessionId: value.sessionId, lane: value.lane });
    }
    const ref = typeof value.id === 'string' ? value.id : undefined;
    const tail = this.tail;
    const step = tail ? tail.then(() => this.dispatch(parsed.value, ref)) : this.dispatch(parsed.value, ref);
    if (!step) return;
    const link: Promise<void> = step.then(() => {
      if (this.tail === link) this.tail = null;
    });
    this.tail = link;
  }

  /** Runs the handler; its errors become replies. Returns a promise (that never rejects) when the handler is async. */
  private dispatch(message: z.infer<S>, ref: string | undefined): void | Promise<void> {
    try {
      const result = this.options.onMessage(message);
      if (result instanceof Promise) {
        return result.then(
          () => {
            this.consecutiveErrors = 0;
          },
          (error: unknown) => this.failed(error, ref),
        );
      }
      this.consecutiveErrors = 0;
    } catch (error) {
      this.failed(error, ref);
    }
  }

  private failed(error: unknown, ref: string | undefined): void {
    if (error instanceof RescueError && this.options.countAsBad?.has(error.code)) {
      this.bad(error.code, error.message, ref);
      return;
    }
    this.consecutiveErrors = 0;
    if (error instanceof RescueError) {
      this.sendError(error.code, error.message, ref);
    } else {
      this.options.logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'message handler failed');
      this.sendError('INTERNAL', 'Something went wrong on the server.', ref);
    }
  }

  /** Spends one message of the budget; false (and the flood handled) when it is spent. */
  private takeToken(): boolean {
    const now = this.options.clock.now();
    this.tokens = Math.min(MESSAGE_BURST, this.tokens + ((now - this.refilledAt) / 1000) * MESSAGES_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.dropped = 0;
      return true;
    }
    this.dropped++;
    if (now - this.lastLimitReplyAt >= 1000) {
      this.lastLimitReplyAt = now;
      this.options.logger.info('message rate limit hit');
      this.sendError('RATE_LIMITED', `More than ${MESSAGES_PER_SECOND} messages per second; messages are being dropped.`);
    }
    if (this.dropped >= MESSAGE_BURST) this.close(CLOSE_CODES.TOO_MANY_ERRORS, 'message flood');
    return false;
  }

  private bad(code: ErrorCode, message: string, ref?: string): void {
    this.consecutiveErrors++;
    this.options.logger.debug({ code }, 'bad message');
    this.sendError(code, message, ref);
    if (this.consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) this.close(CLOSE_CODES.TOO_MANY_ERRORS, 'too many bad messages');
  }

  /** @internal (the shared Heartbeat) */
  beat(): void {
    const { ws } = this.options;
    if (this.missedPings >= 2) {
      this.options.logger.info('heartbeat timeout');
      ws.terminate();
      this.closedNow();
      return;
    }
    this.missedPings++;
    if (ws.readyState === WebSocket.OPEN) ws.ping();
  }

  /** @internal */
  closedNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat.delete(this);
    this.options.onClose();
  }
}

/** Refuses an upgraded socket with an error message and the catalogue's close code for it (browsers cannot read an HTTP status). */
export function refuseSocket(
  ws: WebSocket,
  code: 'ORIGIN_NOT_ALLOWED' | 'UNAUTHENTICATED' | 'SECOND_FACTOR_ENROLMENT_REQUIRED',
  closeCode: number = ERRORS[code].close,
): void {
  ws.send(JSON.stringify({ type: 'error', code, message: ERRORS[code].message }));
  ws.close(closeCode, code);
}
