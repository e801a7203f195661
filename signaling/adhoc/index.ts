import type { ServerPlugin } from '../context.ts';
import { buildIceConfig } from '../ice-config.ts';
import { clientAddress } from '../http-util.ts';
import { technicianFromRequest, technicianOfSocket } from '../technician-socket.ts';
import { AdhocService, type AdhocServiceDeps } from './adhoc-service.ts';
import { adhocRoutes } from './routes.ts';
import { AGENT_PATH, AdhocSockets, TECHNICIAN_PATH } from './sockets.ts';
import { AdhocNodes, ClusterCodeLimiter } from './adhoc-nodes.ts';

/** Test seams: replace the mail sender (the default is SMTP or the outbox). */
export interface AdhocPluginOptions {
  sendEmail?: AdhocServiceDeps['sendEmail'];
}

/** The running module, exposed for tests. */
export interface AdhocPlugin extends ServerPlugin {
  service: AdhocService | null;
}

/**
 * Ad hoc support as a signaling-server plugin (signaling/context.ts): routes
 * on the plugin router, `/ws/adhoc/technician` and `/ws/adhoc/agent`, the
 * adhoc_sessions table in the server's store (SQLite or PostgreSQL), events in
 * its audit log, and with REDIS_URL the `adhoc.*` ops on the cluster's bus.
 * signaling/main.ts registers one per server it starts.
 */
export function createAdhocPlugin(options: AdhocPluginOptions = {}): AdhocPlugin {
  let sockets: AdhocSockets | null = null;
  let nodes: AdhocNodes | null = null;
  const plugin: AdhocPlugin = {
    name: 'adhoc',
    service: null,
    install(input) {
      const { ctx, router } = input;
      const logger = ctx.logger.child({ module: 'adhoc' });
      nodes = ctx.cluster ? new AdhocNodes(ctx.cluster) : null;
      const service = new AdhocService({
        store: ctx.store.adhoc,
        nodes,
        ...(ctx.cluster ? { limiter: new ClusterCodeLimiter(ctx.cluster) } : {}),
        mail: ctx.config.smtp,
        publicUrl: () => ctx.publicUrl,
        clock: ctx.clock,
        logger,
        seats: () => ctx.accounts.getSeats(),
        audit: {
          open: (id, tech) => ctx.audit.openSession({ id, kind: 'adhoc', technicianId: tech.id, technicianEmail: tech.email, forceRelay: false }),
          record: (id, event, actor, detail) =>
            ctx.audit.record(
              id,
              event,
              actor.kind === 'technician' ? { kind: 'technician', id: actor.technician.id, label: actor.technician.email } : actor,
              detail,
            ),
          close: (id, reason) => ctx.audit.closeSession(id, reason),
          flush: () => ctx.audit.flush(),
        },
        iceConfig: (connectionId, role) =>
          buildIceConfig(ctx.config, { sessionId: connectionId, role, forceRelay: ctx.config.forceRelay }, ctx.clock.now()),
        ...(options.sendEmail ? { sendEmail: options.sendEmail } : {}),
      });
      plugin.service = service;
      ctx.cluster?.extend('adhoc', {
        call: (op, args, from) => service.nodeCall(op, args as Record<string, unknown>, from),
        cast: (op, args, from) => service.nodeCast(op, args as Record<string, unknown>, from),
        dead: (dead) => service.nodesDead(dead),
      });
      adhocRoutes(router, { service, publicUrl: () => ctx.publicUrl, authenticate: (req) => technicianFromRequest(ctx, req) });
      sockets = new AdhocSockets({
        service,
        logger,
        heartbeatMs: ctx.config.heartbeatMs,
        sendBufferBytes: ctx.config.wsSendBufferBytes,
        clock: ctx.clock,
        authenticate: technicianOfSocket,
        originAllowed: (req) => ctx.origins.allows(req.headers.origin),
        clientAddress: (req) => clientAddress(req, ctx.config.trustProxy),
        authTimeoutMs: ctx.config.customerAuthTimeoutSeconds * 1000,
      });
      const s = sockets;
      input.registerWebSocket(TECHNICIAN_PATH, (ws, req) => s.acceptTechnician(ws, req), { console: true });
      input.registerWebSocket(AGENT_PATH, (ws, req, slot) => s.acceptAgent(ws, req, slot), { unauthenticated: true });
      input.registerDownloadToken('adhoc', async (token) => {
        const until = await service.deploymentValidUntil(token);
        return until === null ? null : { expiresAt: until };
      });
    },
    close() {
      sockets?.close();
      nodes?.close();
      plugin.service?.close();
    },
  };
  return plugin;
}
