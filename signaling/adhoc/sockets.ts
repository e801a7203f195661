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
import { LIMITS } from '../../protocol/limits.ts';
import { assertNever, parseMessage } from '../../protocol/parse.ts';
import type { AdhocService, Peer, Technician } from './adhoc-service.ts';
import type { Logger } from 'pino';

export const TECHNICIAN_PATH = '/ws/adhoc/technician';
export const AGENT_PATH = '/ws/adhoc/agent';
const MAX_BAD_MESSAGES = 10;

export interface SocketDeps {
  service: AdhocService;
  logger: Logger;
  heartbeatMs: number;
  /** The technician behind the request's session cookie, or null. */
  authenticate(req: IncomingMessage): Technician | null;
  /** Whether the request's Origin may open a technician socket. */
  originAllowed(req: IncomingMessage): boolean;
  /** The client's address for rate limits (honours the server's proxy setting). */
  clientAddress(req: IncomingMessage): string;
}

/** A text frame's payload (ws hands over a Buffer, or fragments). */
function textOf(raw: Buffer | ArrayBuffer | Buffer[]): string {
  return Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8');
}

function peerOf(ws: WebSocket): Peer {
  return {
    send(msg: AdhocServerMessage) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    },
  };
}

function sendError(ws: WebSocket, err: unknown, ref: string | undefined, logger: Logger): void {
  const e = err instanceof RescueError ? err : new RescueError('INTERNAL');
  if (!(err instanceof RescueError)) logger.error({ err: (err as Error).message }, 'ad hoc socket handler failed');
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', code: e.code, message: e.message, ...(ref ? { ref } : {}) }));
}

function reject(ws: WebSocket, code: 'ORIGIN_NOT_ALLOWED' | 'UNAUTHENTICATED', closeCode: number): void {
  ws.send(JSON.stringify({ type: 'error', code, message: ERRORS[code].message }));
  ws.close(closeCode, code);
}

/** The two ad hoc WebSocket endpoints, handed sockets the server has already upgraded. */
export class AdhocSockets {
  readonly #d: SocketDeps;
  readonly #sockets = new Set<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #alive = new WeakMap<WebSocket, boolean>();

  constructor(deps: SocketDeps) {
    this.#d = deps;
    this.#heartbeat = setInterval(() => {
      for (const ws of this.#sockets) {
        if (this.#alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        this.#alive.set(ws, false);
        ws.ping();
      }
    }, deps.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** `/ws/adhoc/technician`: the Origin and the `rr_session` cookie are checked here. */
  acceptTechnician(ws: WebSocket, req: IncomingMessage): void {
    if (!this.#d.originAllowed(req)) return reject(ws, 'ORIGIN_NOT_ALLOWED', CLOSE_CODES.ORIGIN_NOT_ALLOWED);
    const tech = this.#d.authenticate(req);
    if (!tech) return reject(ws, 'UNAUTHENTICATED', CLOSE_CODES.UNAUTHENTICATED);
    this.#technician(ws, tech);
  }

  /** `/ws/adhoc/agent`: no cookie; the first message carries the deployment token or the agent token. */
  acceptAgent(ws: WebSocket, req: IncomingMessage): void {
    this.#agent(ws, req);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const ws of this.#sockets) ws.close(CLOSE_CODES.SERVER_SHUTDOWN, 'server shutdown');
  }

  #track(ws: WebSocket): { bad(): void } {
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    this.#alive.set(ws, true);
    ws.on('pong', () => this.#alive.set(ws, true));
    let bad = 0;
    return {
      bad: () => {
        if (++bad >= MAX_BAD_MESSAGES) ws.close(CLOSE_CODES.TOO_MANY_ERRORS, 'too many bad messages');
      },
    };
  }

  #technician(ws: WebSocket, tech: Technician): void {
    const { service, logger } = this.#d;
    const peer = peerOf(ws);
    const counter = this.#track(ws);
    service.technicianOnline(tech.id, peer);
    ws.on('close', () => service.technicianGone(tech.id, peer));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return counter.bad();
      const parsed = parseMessage(textOf(raw), adhocTechnicianMessageSchema, LIMITS.wsMessageBytes, ADHOC_TECHNICIAN_MESSAGE_TYPES);
      if (!parsed.ok) {
        counter.bad();
        return sendError(ws, new RescueError(parsed.code, parsed.message), parsed.ref, logger);
      }
      const msg: AdhocTechnicianMessage = parsed.value;
      const ref = 'id' in msg ? msg.id : undefined;
      try {
        switch (msg.type) {
          case 'adhoc.list':
            peer.send({ type: 'adhoc.list', ref, sessions: service.list(tech.id) });
            break;
          case 'adhoc.connect':
            service.connect(tech.id, peer, msg.adhocId, ref);
            break;
          case 'adhoc.signal':
            service.signal(peer, msg.connectionId, msg.data);
            break;
          case 'adhoc.disconnect':
            service.disconnect(peer, msg.connectionId);
            if (ref) peer.send({ type: 'ack', ref });
            break;
          case 'adhoc.end':
            service.end(tech.id, msg.adhocId);
            if (ref) peer.send({ type: 'ack', ref });
            break;
          default:
            assertNever(msg, 'technician message');
        }
      } catch (err) {
        sendError(ws, err, ref, logger);
      }
    });
  }

  #agent(ws: WebSocket, req: IncomingMessage): void {
    const { service, logger } = this.#d;
    const peer = peerOf(ws);
    const counter = this.#track(ws);
    const address = this.#d.clientAddress(req);
    let adhocId: string | null = null;
    /** Set once the agent proved its agent token or a right code; before that only hello/code/resume are heard. */
    let trusted = false;
    ws.on('close', () => {
      if (adhocId) service.agentGone(adhocId, peer);
    });
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return counter.bad();
      const parsed = parseMessage(textOf(raw), adhocAgentMessageSchema, LIMITS.wsMessageBytes, ADHOC_AGENT_MESSAGE_TYPES);
      if (!parsed.ok) {
        counter.bad();
        return sendError(ws, new RescueError(parsed.code, parsed.message), parsed.ref, logger);
      }
      const msg: AdhocAgentMessage = parsed.value;
      const ref = 'id' in msg ? msg.id : undefined;
      try {
        switch (msg.type) {
          case 'adhoc.hello':
            if (trusted) throw new RescueError('SESSION_BAD_STATE');
            adhocId = service.agentHello(peer, msg.deploymentToken, ref);
            break;
          case 'adhoc.code':
            if (trusted) throw new RescueError('SESSION_BAD_STATE');
            adhocId = service.agentCode(peer, msg.deploymentToken, msg.code, msg.computerName, address, ref);
            trusted = true;
            break;
          case 'adhoc.resume':
            if (trusted) throw new RescueError('SESSION_BAD_STATE');
            adhocId = service.agentResume(peer, msg.agentToken, ref);
            trusted = true;
            break;
          case 'adhoc.paired':
            if (!trusted || !adhocId) throw new RescueError('UNAUTHENTICATED');
            service.agentPaired(adhocId, peer, ref);
            break;
          case 'adhoc.auth':
            if (!trusted || !adhocId) throw new RescueError('UNAUTHENTICATED');
            service.agentAuth(adhocId, msg.connectionId, msg.ok);
            break;
          case 'adhoc.signal':
            if (!trusted) throw new RescueError('UNAUTHENTICATED');
            service.signal(peer, msg.connectionId, msg.data);
            break;
          case 'adhoc.disconnect':
            if (!trusted) throw new RescueError('UNAUTHENTICATED');
            service.disconnect(peer, msg.connectionId);
            if (ref) peer.send({ type: 'ack', ref });
            break;
          default:
            assertNever(msg, 'agent message');
        }
      } catch (err) {
        if (err instanceof RescueError && err.code === 'SECURITY_CODE_INVALID') counter.bad();
        sendError(ws, err, ref, logger);
      }
    });
  }
}
