import type { PluginInput, ServerPlugin } from '../context.ts';
import { buildIceConfig } from '../ice-config.ts';
import { clientAddress } from '../http-util.ts';
import { technicianFromRequest, technicianOfSocket } from '../technician-socket.ts';
import { openDatabase, type Db } from '../db.ts';
import { AdhocService, type AdhocServiceDeps } from './adhoc-service.ts';
import { adhocRoutes } from './routes.ts';
import { AGENT_PATH, AdhocSockets, TECHNICIAN_PATH } from './sockets.ts';
import { AdhocStore } from './store.ts';

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
 * adhoc_sessions table in the server's database, events in its audit log.
 * signaling/main.ts registers one per server it starts.
 */
export function createAdhocPlugin(options: AdhocPluginOptions = {}): AdhocPlugin {
  let sockets: AdhocSockets | null = null;
  const plugin: AdhocPlugin = {
    name: 'adhoc',
    service: null,
    install(input) {
      const { ctx, router } = input;
      const logger = ctx.logger.child({ module: 'adhoc' });
      const service = new AdhocService({
        store: new AdhocStore(adhocDatabase(ctx)),
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
        },
        iceConfig: (connectionId, role) =>
          buildIceConfig(ctx.config, { sessionId: connectionId, role, forceRelay: ctx.config.forceRelay }, ctx.clock.now()),
        ...(options.sendEmail ? { sendEmail: options.sendEmail } : {}),
      });
      plugin.service = service;
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
      input.registerDownloadToken('adhoc', (token) => {
        const until = service.deploymentValidUntil(token);
        return until === null ? null : { expiresAt: until };
      });
    },
    close() {
      sockets?.close();
      plugin.service?.close();
    },
  };
  return plugin;
}

/**
 * The database of the ad hoc pairings: the server's SQLite file. With
 * DATABASE_URL they are not in PostgreSQL yet (docs/scale.md): each node keeps
 * them in its own SQLite file (DATABASE_PATH), closed with the plugin.
 */
function adhocDatabase(ctx: PluginInput['ctx']): Db {
  if (ctx.store.kind === 'sqlite' && 'db' in ctx.store) return (ctx.store as { db: Db }).db;
  ctx.logger.warn({ path: ctx.config.databasePath }, 'ad hoc pairings stay in this node\'s SQLite file: they are not in PostgreSQL yet');
  return openDatabase(ctx.config.databasePath);
}
