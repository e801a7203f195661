import { once } from 'node:events';
import { setImmediate as nextTick } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import {
  RescueError,
  actionQuerySchema,
  adminFlagSchema,
  passwordBodySchema,
  sessionIdSchema,
  sessionQuerySchema,
  settingsPatchSchema,
  technicianCreateSchema,
  type StartupFacts,
} from '../../protocol/index.ts';
import { requireTechnician, technicianOf } from '../auth-http.ts';
import type { ServerContext } from '../context.ts';
import type { AdminActor } from './action-log.ts';
import type { AdminService } from './admin-service.ts';

/** The first problem of a failed zod parse, for the error message. */
function problem(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || 'body'}: ${issue.message}` : 'Not valid.';
}

function parse<T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: Parameters<typeof problem>[0] } }, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new RescueError('INVALID_MESSAGE', problem(result.error));
  return result.data;
}

/** Admins only: 401 without a login, 403 FORBIDDEN for a technician. */
function requireAdmin(req: Request, res: Response, next: NextFunction): void {
  if (!technicianOf(res).isAdmin) {
    next(new RescueError('FORBIDDEN'));
    return;
  }
  void req;
  next();
}

/**
 * Every state-changing call must carry an allowed Origin: the cookie is
 * SameSite=Strict already, and this refuses what a browser on another origin
 * (or a client that hides its Origin) sends, as the technician socket does.
 */
function requireOrigin(ctx: ServerContext) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && !ctx.origins.allows(req.headers.origin)) {
      next(new RescueError('ORIGIN_NOT_ALLOWED'));
      return;
    }
    next();
  };
}

const actorOf = (res: Response): AdminActor => {
  const technician = technicianOf(res);
  return { kind: 'technician', id: technician.id, label: technician.email };
};

const target = (req: Request): string => {
  const id = req.params['id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 254) throw new RescueError('ACCOUNT_NOT_FOUND');
  return id;
};

/** `/api/admin/...`: the administration page's API (docs/architecture.md lists the routes). */
export function adminRoutes(ctx: ServerContext, admin: AdminService): Router {
  const router = express.Router();
  router.use(requireTechnician(ctx), requireAdmin, requireOrigin(ctx));
  // Consoles of a login that a change just ended (disable, delete, password or 2FA reset) close now, not at the next heartbeat's sweep.
  const evict = async (): Promise<void> => {
    await ctx.consoles.sweep();
  };

  router.get('/technicians', async (_req, res) => {
    res.json({ technicians: await admin.technicians() });
  });

  router.post('/technicians', async (req, res) => {
    const input = parse(technicianCreateSchema, req.body);
    res.status(201).json({ technician: await admin.createTechnician(actorOf(res), input) });
  });

  router.post('/technicians/:id/disable', async (req, res) => {
    const technician = await admin.setDisabled(actorOf(res), target(req), true);
    await evict();
    res.json({ technician });
  });

  router.post('/technicians/:id/enable', async (req, res) => {
    res.json({ technician: await admin.setDisabled(actorOf(res), target(req), false) });
  });

  router.delete('/technicians/:id', async (req, res) => {
    const account = await admin.deleteTechnician(actorOf(res), target(req));
    await evict();
    res.json({ deleted: account.id });
  });

  router.post('/technicians/:id/password', async (req, res) => {
    const { password } = parse(passwordBodySchema, req.body);
    const technician = await admin.resetPassword(actorOf(res), target(req), password);
    await evict();
    res.json({ technician });
  });

  router.post('/technicians/:id/reset-2fa', async (req, res) => {
    const technician = await admin.resetTwoFactor(actorOf(res), target(req));
    await evict();
    res.json({ technician });
  });

  router.post('/technicians/:id/admin', async (req, res) => {
    const { isAdmin } = parse(adminFlagSchema, req.body);
    res.json({ technician: await admin.setAdmin(actorOf(res), target(req), isAdmin) });
  });

  router.get('/settings', async (_req, res) => {
    const c = ctx.config;
    const facts: StartupFacts = {
      publicUrl: ctx.publicUrl,
      turnConfigured: c.turnUrls.length > 0,
      forceRelay: c.forceRelay,
      codeTtlSeconds: c.codeTtlSeconds,
      reconnectGraceSeconds: c.reconnectGraceSeconds,
      loginLockoutAfter: c.loginLockoutAfter,
      loginLockoutSeconds: c.loginLockoutSeconds,
    };
    res.json({ settings: await admin.settings(), facts });
  });

  router.patch('/settings', async (req, res) => {
    res.json({ settings: await admin.updateSettings(actorOf(res), parse(settingsPatchSchema, req.body)) });
  });

  router.get('/sessions', async (req, res) => {
    res.json(await admin.sessions(parse(sessionQuerySchema, req.query)));
  });

  router.get('/sessions.csv', async (req, res) => {
    const { cursor: _cursor, limit: _limit, ...query } = parse(sessionQuerySchema, req.query);
    const chunks = admin.exportCsv(actorOf(res), query);
    const day = new Date(ctx.clock.now()).toISOString().slice(0, 10);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="relay-rescue-sessions-${day}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await once(res, 'drain');
      // On SQLite each batch is a synchronous read: let signaling run between them.
      await nextTick();
    }
    res.end();
  });

  router.get('/sessions/:id', async (req, res) => {
    const id = sessionIdSchema.safeParse(req.params['id']);
    if (!id.success) throw new RescueError('SESSION_NOT_FOUND');
    res.json(await admin.session(id.data));
  });

  router.get('/actions', async (req, res) => {
    const { cursor, limit } = parse(actionQuerySchema, req.query);
    res.json(await admin.actions(cursor, limit));
  });

  return router;
}
