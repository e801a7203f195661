import type { WebSocket } from 'ws';
import { CUSTOMER_MESSAGE_TYPES, RescueError, assertNever, customerMessageSchema, type CustomerMessage } from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import type { Session } from './session.ts';
import { SignalingSocket } from './signaling-socket.ts';
import { ref } from './technician-socket.ts';

/**
 * Handles one /ws/customer connection. The socket is bound to no session until
 * its first `code.submit` or `customer.resume`; after that it only reaches
 * that session.
 */
export function acceptCustomerSocket(ctx: ServerContext, ws: WebSocket, address: string): void {
  let session: Session | null = null;
  let logger = ctx.logger.child({ role: 'customer' });
  const socket: SignalingSocket<typeof customerMessageSchema> = new SignalingSocket({
    ws,
    schema: customerMessageSchema,
    knownTypes: CUSTOMER_MESSAGE_TYPES,
    heartbeatMs: ctx.config.heartbeatMs,
    clock: ctx.clock,
    logger,
    onMessage: (message) => handle(message),
    onClose: () => {
      if (session) ctx.registry.detachCustomer(session, socket);
    },
  });
  socket.send({ type: 'welcome', role: 'customer', heartbeatMs: ctx.config.heartbeatMs, serverVersion: ctx.version });

  function bound(): Session {
    if (!session) throw new RescueError('UNAUTHENTICATED', 'Enter the code first (code.submit) or resume with your token (customer.resume).');
    return session;
  }

  /** The same reply for a code and for a resumed token: the session this socket now belongs to. */
  function sendAccepted(joined: Session, token: string, id: string | undefined): void {
    socket.send({
      type: 'code.accepted',
      ...ref(id),
      sessionId: joined.id,
      token,
      technicianName: joined.technician.name,
      state: joined.lifecycle.state,
    });
  }

  function handle(message: CustomerMessage): void {
    switch (message.type) {
      case 'code.submit': {
        if (session) throw new RescueError('SESSION_BAD_STATE', 'This connection already belongs to a session.');
        const result = ctx.registry.submitCode(message.code, message.client, address, socket, message.name);
        session = result.session;
        logger = logger.child({ sessionId: session.id });
        logger.info('code accepted');
        sendAccepted(session, result.token, message.id);
        return;
      }
      case 'customer.resume': {
        if (session) throw new RescueError('SESSION_BAD_STATE', 'This connection already belongs to a session.');
        const resumed = ctx.registry.resumeCustomer(message.token, socket, message.client, message.name);
        session = resumed;
        logger = logger.child({ sessionId: resumed.id });
        logger.info('customer resumed');
        sendAccepted(resumed, message.token, message.id);
        if (resumed.lifecycle.state === 'active') {
          // A reloaded page needs the activation again; a client with a live peer connection may ignore it.
          socket.send({
            type: 'session.activated',
            sessionId: resumed.id,
            role: 'customer',
            polite: true,
            peerName: resumed.technician.name,
            ice: ctx.registry.iceFor({ role: 'customer', session: resumed }, resumed.id),
          });
        }
        return;
      }
      case 'session.end':
        ctx.registry.end({ role: 'customer', session: bound() }, message.sessionId);
        return;
      case 'signal':
        ctx.registry.relay({ role: 'customer', session: bound() }, message.sessionId, message.data);
        return;
      case 'session.event':
        ctx.registry.report({ role: 'customer', session: bound() }, message.sessionId, message.event, message.detail);
        if (message.id !== undefined) socket.send({ type: 'ack', ref: message.id });
        return;
      case 'ice.refresh': {
        const ice = ctx.registry.iceFor({ role: 'customer', session: bound() }, message.sessionId);
        socket.send({ type: 'ice.config', ...ref(message.id), sessionId: message.sessionId, ice });
        return;
      }
      default:
        assertNever(message, 'customer message');
    }
  }
}
