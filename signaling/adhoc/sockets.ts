import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  ADHOC_AGENT_MESSAGE_TYPES,
  ADHOC_TECHNICIAN_MESSAGE_TYPES,
  adhocAgentMessageSchema,
  adhocTechnicianMessageSchema,
  type AdhocAgentMessage,
  type AdhocServerMessage,
  type AdhocTechnicianMessage,
} from '../../protocol/adhoc.ts';
import { CLOSE_CODES, ERRORS, RescueError } from '../../protocol/errors.ts';
import { assertNever } from '../../protocol/parse.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { UnauthenticatedSlot } from '../unauthenticated-sockets.ts';
import { SignalingSocket, refuseSocket } from '../signaling-socket.ts';
import type { AdhocService, Technician } from './adhoc-service.ts';

export const TECHNICIAN_PATH = '/ws/adhoc/technician';
export const AGENT_PATH = '/ws/adhoc/agent';

export interface SocketDeps {
  service: AdhocService;
  logger: Logger;
  heartbeatMs: number;
  /** WS_SEND_BUFFER_BYTES: see SignalingSocketOptions. */
  sendBufferBytes: number;
  /** The server's clock (heartbeats, the message budget). */
  clock: Clock;
  /** The technician behind the request's session cookie, or null. */
  authenticate(req: IncomingMessage): Technician | null;
  /** Whether the request's Origin may open a technician socket. */
  originAllowed(req: IncomingMessage): boolean;
  /** The client's address for rate limits (honours the server's proxy setting). */
  clientAddress(req: IncomingMessage): string;
  /** CUSTOMER_AUTH_TIMEOUT_SECONDS: an agent socket must send a valid hello, code or resume within it. */
  authTimeoutMs: number;
}

type AnySocket = SignalingSocket<typeof adhocTechnicianMessageSchema | typeof adhocAgentMessageSchema, AdhocServerMessage>;

/** A wrong security code counts as a bad message: a socket that keeps guessing is closed. */
const GUESSES_ARE_BAD: ReadonlySet<'SECURITY_CODE_INVALID'> = new Set(['SECURITY_CODE_INVALID']);

/**
 * The two ad hoc WebSocket endpoints, on the server's one signaling socket
 * (signaling/signaling-socket.ts: message budget, heartbeat on the server's
 * clock, bad-message handling), handed sockets the server has already upgraded.
 */
export class AdhocSockets {
  readonly #d: SocketDeps;
  readonly #sockets = new Set<AnySocket>();

  constructor(deps: SocketDeps) {
    this.#d = deps;
  }

  /** `/ws/adhoc/technician`: the Origin and the `rr_session` cookie are checked here. */
  acceptTechnician(ws: WebSocket, req: IncomingMessage): void {
    if (!this.#d.originAllowed(req)) return refuseSocket(ws, 'ORIGIN_NOT_ALLOWED', CLOSE_CODES.ORIGIN_NOT_ALLOWED);
    const tech = this.#d.authenticate(req);
    if (!tech) return refuseSocket(ws, 'UNAUTHENTICATED', CLOSE_CODES.UNAUTHENTICATED);
    this.#technician(ws, tech);
  }

  /**
   * `/ws/adhoc/agent`: no cookie; the first message carries the deployment
   * token or the agent token. Until one is valid the socket holds an
   * unauthenticated `slot` (the server's per-address and total caps) and is
   * closed (4013) if it has not proved itself within `authTimeoutMs`.
   */
  acceptAgent(ws: WebSocket, req: IncomingMessage, slot?: UnauthenticatedSlot): void {
    this.#agent(ws, req, slot);
  }

  close(): void {
    for (const socket of this.#sockets) socket.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown');
  }

  #technician(ws: WebSocket, tech: Technician): void {
    const { service, logger } = this.#d;
    const socket: SignalingSocket<typeof adhocTechnicianMessageSchema, AdhocServerMessage> = new SignalingSocket({
      ws,
      schema: adhocTechnicianMessageSchema,
      knownTypes: ADHOC_TECHNICIAN_MESSAGE_TYPES,
      heartbeatMs: this.#d.heartbeatMs,
      sendBufferBytes: this.#d.sendBufferBytes,
      clock: this.#d.clock,
      logger: logger.child({ role: 'technician', technicianId: tech.id }),
      onMessage: (msg) => handle(msg),
      onClose: () => {
        this.#sockets.delete(socket);
        service.technicianGone(tech.id, socket);
      },
    });
    this.#sockets.add(socket);
    service.technicianOnline(tech.id, socket);

    async function handle(msg: AdhocTechnicianMessage): Promise<void> {
      const ref = 'id' in msg ? msg.id : undefined;
      switch (msg.type) {
        case 'adhoc.list':
          socket.send({ type: 'adhoc.list', ref, sessions: await service.list(tech.id) });
          return;
        case 'adhoc.connect':
          await service.connect(tech.id, socket, msg.adhocId, ref);
          return;
        case 'adhoc.signal':
          service.signal(socket, msg.connectionId, msg.data);
          return;
        case 'adhoc.disconnect':
          service.disconnect(socket, msg.connectionId);
          if (ref) socket.send({ type: 'ack', ref });
          return;
        case 'adhoc.end':
          await service.end(tech.id, msg.adhocId);
          if (ref) socket.send({ type: 'ack', ref });
          return;
        default:
          assertNever(msg, 'technician message');
      }
    }
  }

  #agent(ws: WebSocket, req: IncomingMessage, slot: UnauthenticatedSlot | undefined): void {
    const { service, logger, clock } = this.#d;
    const address = this.#d.clientAddress(req);
    let adhocId: string | null = null;
    /** Set once the agent proved its agent token or a right code; before that only hello/code/resume are heard. */
    let trusted = false;
    /** Set once the socket closed: a hello still being answered then is undone at once. */
    let gone = false;
    const bound = (id: string): string => {
      if (gone) service.agentGone(id, socket);
      return id;
    };
    const socket: SignalingSocket<typeof adhocAgentMessageSchema, AdhocServerMessage> = new SignalingSocket({
      ws,
      schema: adhocAgentMessageSchema,
      knownTypes: ADHOC_AGENT_MESSAGE_TYPES,
      heartbeatMs: this.#d.heartbeatMs,
      sendBufferBytes: this.#d.sendBufferBytes,
      clock: this.#d.clock,
      logger: logger.child({ role: 'agent' }),
      countAsBad: GUESSES_ARE_BAD,
      onMessage: (msg) => handle(msg),
      onClose: () => {
        proved();
        gone = true;
        this.#sockets.delete(socket);
        if (adhocId) service.agentGone(adhocId, socket);
      },
    });
    this.#sockets.add(socket);
    const authTimer = clock.setTimeout(() => {
      if (adhocId !== null) return;
      socket.sendError('AUTH_TIMEOUT', `${ERRORS.AUTH_TIMEOUT.message} (${Math.round(this.#d.authTimeoutMs / 1000)} s)`);
      socket.close(CLOSE_CODES.AUTH_TIMEOUT, 'no hello in time');
    }, this.#d.authTimeoutMs);

    /** A valid token (or gone): the socket no longer counts as unauthenticated. */
    function proved(): void {
      clock.clearTimeout(authTimer);
      slot?.release();
    }

    async function handle(msg: AdhocAgentMessage): Promise<void> {
      const ref = 'id' in msg ? msg.id : undefined;
      switch (msg.type) {
        case 'adhoc.hello':
          if (trusted) throw new RescueError('SESSION_BAD_STATE');
          adhocId = bound(await service.agentHello(socket, msg.deploymentToken, ref));
          proved();
          return;
        case 'adhoc.code':
          if (trusted) throw new RescueError('SESSION_BAD_STATE');
          adhocId = bound(await service.agentCode(socket, msg.deploymentToken, msg.code, msg.computerName, address, ref));
          trusted = true;
          proved();
          return;
        case 'adhoc.resume':
          if (trusted) throw new RescueError('SESSION_BAD_STATE');
          adhocId = bound(await service.agentResume(socket, msg.agentToken, ref));
          trusted = true;
          proved();
          return;
        case 'adhoc.paired':
          if (!trusted || !adhocId) throw new RescueError('UNAUTHENTICATED');
          await service.agentPaired(adhocId, socket, ref);
          return;
        case 'adhoc.auth':
          if (!trusted || !adhocId) throw new RescueError('UNAUTHENTICATED');
          await service.agentAuth(adhocId, msg.connectionId, msg.ok);
          return;
        case 'adhoc.signal':
          if (!trusted) throw new RescueError('UNAUTHENTICATED');
          service.signal(socket, msg.connectionId, msg.data);
          return;
        case 'adhoc.disconnect':
          if (!trusted) throw new RescueError('UNAUTHENTICATED');
          service.disconnect(socket, msg.connectionId);
          if (ref) socket.send({ type: 'ack', ref });
          return;
        default:
          assertNever(msg, 'agent message');
      }
    }
  }
}
