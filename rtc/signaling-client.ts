import { CLOSE_CODES, RescueError } from '../protocol/errors.ts';
import { SERVER_MESSAGE_TYPES, serverMessageSchema } from '../protocol/signaling.ts';
import type { ClientKind, CustomerMessage, ServerMessage, TechnicianMessage } from '../protocol/signaling.ts';
import type { Role } from '../protocol/common.ts';
import { SignalingConnection } from './signaling-connection.ts';
import type { ConnectionEvents, SignalingConnectionOptions } from './signaling-connection.ts';

export type { WebSocketCtor, WebSocketLike } from './signaling-connection.ts';

export type ClientMessage = TechnicianMessage | CustomerMessage;

/** Events: every server message type by its `type`, the connection's own, and a refused resume. */
export type SignalingEvents = ConnectionEvents<ServerMessage> & {
  /** The customer's resume was refused (e.g. TOKEN_INVALID, SESSION_CLOSED, SESSION_NOT_RESTORED); no more reconnects. */
  'resume.failed': { code: string; message: string };
};

export type SignalingClientOptions = Omit<SignalingConnectionOptions<ServerMessage>, 'incoming' | 'finalCloseCodes'> & {
  role: Role;
  /** Sent in `customer.resume`. Default 'browser'. */
  client?: ClientKind;
  /** Customer resume token; set automatically from `code.accepted`. */
  resumeToken?: string;
};

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.SESSION_ENDED,
  CLOSE_CODES.UNAUTHENTICATED,
  CLOSE_CODES.ORIGIN_NOT_ALLOWED,
  CLOSE_CODES.REPLACED,
]);

/** Replies to a resume after which a new try cannot help. */
const RESUME_REFUSED = new Set(['TOKEN_INVALID', 'SESSION_CLOSED', 'SESSION_NOT_FOUND', 'SESSION_NOT_RESTORED']);

/**
 * The PIN session signaling client (`/ws/technician`, `/ws/customer`): the one
 * signaling connection (rtc/signaling-connection.ts) with the PIN unions. A
 * customer resumes with its token after every reconnect before anything else
 * is sent; the technician's cookie re-authenticates on its own.
 */
export class SignalingClient extends SignalingConnection<ClientMessage, ServerMessage> {
  private readonly role: Role;
  private readonly client: ClientKind;
  private resumeToken: string | undefined;
  private lastWelcome: Extract<ServerMessage, { type: 'welcome' }> | null = null;

  constructor(options: SignalingClientOptions) {
    super({ ...options, incoming: { schema: serverMessageSchema, types: SERVER_MESSAGE_TYPES }, finalCloseCodes: FINAL_CLOSE_CODES });
    this.role = options.role;
    this.client = options.client ?? 'browser';
    this.resumeToken = options.resumeToken;
  }

  setResumeToken(token: string | undefined): void {
    this.resumeToken = token;
  }

  override on<K extends keyof SignalingEvents>(type: K, handler: (payload: SignalingEvents[K]) => void): () => void {
    return super.on(type as keyof ConnectionEvents<ServerMessage>, handler as (payload: unknown) => void);
  }

  override once<K extends keyof SignalingEvents>(type: K, handler: (payload: SignalingEvents[K]) => void): () => void {
    return super.once(type as keyof ConnectionEvents<ServerMessage>, handler as (payload: unknown) => void);
  }

  /** The server's last `welcome` (its heartbeat and grace period). */
  get welcome(): Extract<ServerMessage, { type: 'welcome' }> | null {
    return this.lastWelcome;
  }

  protected override onIncoming(msg: ServerMessage): void {
    if (msg.type === 'welcome') this.lastWelcome = msg;
    if (msg.type === 'code.accepted') this.resumeToken = msg.token;
  }

  protected override async handshake(reconnect: boolean): Promise<boolean> {
    if (!reconnect || this.role !== 'customer' || !this.resumeToken) return true;
    try {
      await this.handshakeRequest({ type: 'customer.resume', token: this.resumeToken, client: this.client });
      return true;
    } catch (err) {
      const code = err instanceof RescueError ? err.code : 'INTERNAL';
      if (RESUME_REFUSED.has(code)) {
        (this.emit as (t: string, p: unknown) => void)('resume.failed', { code, message: err instanceof Error ? err.message : String(err) });
        this.close(1000, 'resume refused');
      } else {
        this.dropSocket(4999, 'resume failed');
      }
      return false;
    }
  }
}
