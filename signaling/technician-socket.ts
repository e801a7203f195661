import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  RescueError,
  TECHNICIAN_FAST_CHECKS,
  TECHNICIAN_MESSAGE_TYPES,
  assertNever,
  technicianMessageSchema,
  type TechnicianMessage,
} from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import type { TechnicianIdentity } from './session.ts';
import { lazyChild } from './logger.ts';
import { SignalingSocket } from './signaling-socket.ts';
import { consoleIdentity, upgradeIdentity } from './two-factor/console-gate.ts';

/** Handles one /ws/technician connection: cookie and Origin were checked by the caller. */
export function acceptTechnicianSocket(ctx: ServerContext, ws: WebSocket, technician: TechnicianIdentity): void {
  const logger = lazyChild(ctx.logger, { role: 'technician', technicianId: technician.id });
  const party = { role: 'technician', technician } as const;
  const socket: SignalingSocket<typeof technicianMessageSchema> = new SignalingSocket({
    ws,
    schema: technicianMessageSchema,
    knownTypes: TECHNICIAN_MESSAGE_TYPES,
    fastChecks: TECHNICIAN_FAST_CHECKS,
    heartbeatMs: ctx.config.heartbeatMs,
    sendBufferBytes: ctx.config.wsSendBufferBytes,
    clock: ctx.clock,
    logger,
    // A relayed signal is handled at once, without the async handler's promises (the most frequent message).
    onMessage: (message) => (message.type === 'signal' ? ctx.sessions.relay(party, message.sessionId, message.data, message.lane) : handle(message)),
    onClose: () => {
      ctx.sessions.detachTechnician(technician.id, socket);
      logger.info('technician disconnected');
    },
  });

  /** Every message but `signal`, which `onMessage` relays at once. */
  async function handle(message: Exclude<TechnicianMessage, { type: 'signal' }>): Promise<void> {
    switch (message.type) {
      case 'session.create': {
        const session = await ctx.sessions.create(technician, message.forceRelay);
        socket.send({ type: 'session.created', ...ref(message.id), session });
        return;
      }
      case 'session.list':
        socket.send({ type: 'session.list', ...ref(message.id), sessions: await ctx.sessions.list(technician.id) });
        return;
      case 'session.activate':
        // The lead's session.activated carries the ref: it is the reply.
        await ctx.sessions.activate(technician, message.sessionId, message.id);
        return;
      case 'session.end':
        await ctx.sessions.end(party, message.sessionId);
        ack(message.id);
        return;
      case 'session.event':
        await ctx.sessions.report(party, message.sessionId, message.event, message.detail);
        ack(message.id);
        return;
      case 'ice.refresh':
        socket.send({ type: 'ice.config', ...ref(message.id), sessionId: message.sessionId, ice: await ctx.sessions.iceFor(party, message.sessionId) });
        return;
      case 'technician.online':
        socket.send({ type: 'technician.online', ...ref(message.id), technicians: await ctx.sessions.online(technician) });
        return;
      case 'session.transfer':
        await ctx.sessions.handover(party, message.sessionId, { kind: 'transfer', technicianId: message.technicianId, note: message.note });
        ack(message.id);
        return;
      case 'colleague.invite':
        await ctx.sessions.handover(party, message.sessionId, { kind: 'invite', technicianId: message.technicianId });
        ack(message.id);
        return;
      case 'colleague.control':
        await ctx.sessions.handover(party, message.sessionId, { kind: 'control', granted: message.granted });
        ack(message.id);
        return;
      case 'colleague.remove':
        await ctx.sessions.handover(party, message.sessionId, { kind: 'remove' });
        ack(message.id);
        return;
      default:
        assertNever(message, 'technician message');
    }
  }

  function ack(id: string | undefined): void {
    if (id !== undefined) socket.send({ type: 'ack', ref: id });
  }

  void (async () => {
    try {
      await ctx.sessions.attachTechnician(technician, socket);
    } catch (error) {
      if (error instanceof RescueError) socket.sendError(error.code, error.message);
      else logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'technician attach failed');
      socket.close(CLOSE_CODES.ORIGIN_NOT_ALLOWED, 'no seat free');
      return;
    }
    logger.info('technician connected');
    socket.send({
      type: 'welcome',
      role: 'technician',
      technician: { id: technician.id, name: technician.name, email: technician.email },
      heartbeatMs: ctx.config.heartbeatMs,
      reconnectGraceSeconds: ctx.config.reconnectGraceSeconds,
      serverVersion: ctx.version,
    });
    socket.send({ type: 'session.list', sessions: await ctx.sessions.list(technician.id) });
  })().catch((error: unknown) => logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'technician welcome failed'));
}

/** `{ref}` when the request carried an id. */
export function ref(id: string | undefined): { ref?: string } {
  return id === undefined ? {} : { ref: id };
}

/** The logged-in technician behind a request's cookie, or null (also while the account must still enrol in two-factor login). */
export async function technicianFromRequest(ctx: ServerContext, req: IncomingMessage): Promise<TechnicianIdentity | null> {
  return (await consoleIdentity(ctx, req)).technician;
}

/** The same for a console socket, read before its handshake completed (signaling/server.ts). */
export function technicianOfSocket(req: IncomingMessage): TechnicianIdentity | null {
  return upgradeIdentity(req).technician;
}
