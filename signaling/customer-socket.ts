import type { WebSocket } from 'ws';
import { CLOSE_CODES, CUSTOMER_FAST_CHECKS, CUSTOMER_MESSAGE_TYPES, ERRORS, RescueError, assertNever, customerMessageSchema, type CustomerMessage } from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import type { JoinedSession } from './session-service.ts';
import { lazyChild } from './logger.ts';
import { SignalingSocket } from './signaling-socket.ts';
import { ref } from './technician-socket.ts';
import type { UnauthenticatedSlot } from './unauthenticated-sockets.ts';

/**
 * Handles one /ws/customer connection. The socket is bound to no session until
 * its first `code.submit` or `customer.resume`; after that it only reaches
 * that session. Until then it holds an unauthenticated `slot`, and it is
 * closed (4013) if it has not bound within CUSTOMER_AUTH_TIMEOUT_SECONDS.
 */
export function acceptCustomerSocket(ctx: ServerContext, ws: WebSocket, address: string, slot: UnauthenticatedSlot): void {
  let session: JoinedSession | null = null;
  let submitting = false;
  let closed = false;
  let logger = lazyChild(ctx.logger, { role: 'customer' });
  const socket: SignalingSocket<typeof customerMessageSchema> = new SignalingSocket({
    ws,
    schema: customerMessageSchema,
    knownTypes: CUSTOMER_MESSAGE_TYPES,
    fastChecks: CUSTOMER_FAST_CHECKS,
    heartbeatMs: ctx.config.heartbeatMs,
    sendBufferBytes: ctx.config.wsSendBufferBytes,
    clock: ctx.clock,
    logger,
    // A relayed signal is handled at once, without the async handler's promises (the most frequent message).
    onMessage: (message) => (message.type === 'signal' ? relay(message) : handle(message)),
    onClose: () => {
      closed = true;
      authenticated();
      if (session) ctx.sessions.detachCustomer(session.token, socket);
    },
  });
  let authTimer: unknown = ctx.clock.setTimeout(() => {
    if (session || closed) return;
    logger.debug('no code within the time allowed');
    socket.sendError('AUTH_TIMEOUT', `${ERRORS.AUTH_TIMEOUT.message} (${ctx.config.customerAuthTimeoutSeconds} s)`);
    socket.close(CLOSE_CODES.AUTH_TIMEOUT, 'no code in time');
  }, ctx.config.customerAuthTimeoutSeconds * 1000);
  socket.send({ type: 'welcome', role: 'customer', heartbeatMs: ctx.config.heartbeatMs, reconnectGraceSeconds: ctx.config.reconnectGraceSeconds, serverVersion: ctx.version });

  /** Bound (or gone): the socket no longer counts as unauthenticated. */
  function authenticated(): void {
    ctx.clock.clearTimeout(authTimer);
    authTimer = null; // not held by a bound socket for its whole life
    slot.release();
  }

  function bind(joined: JoinedSession, what: string): void {
    session = joined;
    authenticated();
    logger = lazyChild(ctx.logger, { role: 'customer', sessionId: joined.id });
    logger.info(what);
  }

  function bound(): JoinedSession {
    if (!session) throw new RescueError('UNAUTHENTICATED', 'Enter the code first (code.submit) or resume with your token (customer.resume).');
    return session;
  }

  /** The same reply for a code and for a resumed token: the session this socket now belongs to. */
  function sendAccepted(joined: JoinedSession, id: string | undefined): void {
    socket.send({
      type: 'code.accepted',
      ...ref(id),
      sessionId: joined.id,
      token: joined.token,
      technicianName: joined.technician.name,
      technicianEmail: joined.technician.email,
      state: joined.state,
    });
  }

  function relay(message: Extract<CustomerMessage, { type: 'signal' }>): void | Promise<void> {
    return ctx.sessions.relay({ role: 'customer', token: bound().token }, message.sessionId, message.data, message.lane);
  }

  /** Every message but `signal`, which `onMessage` relays at once. */
  async function handle(message: Exclude<CustomerMessage, { type: 'signal' }>): Promise<void> {
    switch (message.type) {
      case 'code.submit': {
        if (session) throw new RescueError('SESSION_BAD_STATE', 'This connection already belongs to a session.');
        if (submitting) throw new RescueError('SESSION_BAD_STATE', 'A code from this connection is being checked; wait for the answer.');
        submitting = true;
        // Not awaited: a global-cap wait must not hold the socket's other messages back.
        ctx.sessions.submitCode(message.code, message.client, address, socket, message.name, () => !closed).then(
          (joined) => {
            submitting = false;
            if (closed) {
              ctx.sessions.detachCustomer(joined.token, socket);
              return;
            }
            bind(joined, 'code accepted');
            sendAccepted(joined, message.id);
          },
          (error: unknown) => {
            submitting = false;
            if (error instanceof RescueError) socket.sendError(error.code, error.message, message.id);
            else {
              logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'code check failed');
              socket.sendError('INTERNAL', ERRORS.INTERNAL.message, message.id);
            }
          },
        );
        return;
      }
      case 'customer.resume': {
        if (session) throw new RescueError('SESSION_BAD_STATE', 'This connection already belongs to a session.');
        if (submitting) throw new RescueError('SESSION_BAD_STATE', 'A code from this connection is being checked; wait for the answer.');
        const resumed = await ctx.sessions.resumeCustomer(message.token, socket, message.client, message.name);
        if (closed) {
          ctx.sessions.detachCustomer(resumed.token, socket);
          return;
        }
        bind(resumed, 'customer resumed');
        sendAccepted(resumed, message.id);
        if (resumed.state === 'active') {
          // A reloaded page needs the activation again; a client with a live peer connection may ignore it.
          socket.send({
            type: 'session.activated',
            sessionId: resumed.id,
            role: 'customer',
            polite: true,
            peerName: resumed.technician.name,
            ice: await ctx.sessions.iceFor({ role: 'customer', token: resumed.token }, resumed.id),
          });
        }
        return;
      }
      case 'session.end':
        await ctx.sessions.end({ role: 'customer', token: bound().token }, message.sessionId);
        return;
      case 'colleague.answer':
        await ctx.sessions.handover({ role: 'customer', token: bound().token }, message.sessionId, { kind: 'answer', accept: message.accept });
        if (message.id !== undefined) socket.send({ type: 'ack', ref: message.id });
        return;
      case 'colleague.remove':
        await ctx.sessions.handover({ role: 'customer', token: bound().token }, message.sessionId, { kind: 'remove' });
        if (message.id !== undefined) socket.send({ type: 'ack', ref: message.id });
        return;
      case 'session.event':
        await ctx.sessions.report({ role: 'customer', token: bound().token }, message.sessionId, message.event, message.detail);
        if (message.id !== undefined) socket.send({ type: 'ack', ref: message.id });
        return;
      case 'ice.refresh': {
        const ice = await ctx.sessions.iceFor({ role: 'customer', token: bound().token }, message.sessionId);
        socket.send({ type: 'ice.config', ...ref(message.id), sessionId: message.sessionId, ice });
        return;
      }
      default:
        assertNever(message, 'customer message');
    }
  }
}
