import express, { type Router } from 'express';
import { RescueError, codeSubmitHttpSchema, sessionIdSchema } from '../protocol/index.ts';
import { requireTechnician, technicianOf } from './auth-http.ts';
import type { ServerContext } from './context.ts';

/**
 * POST /api/code (a customer enters a code over HTTP, then resumes over the
 * WebSocket with the token), GET /api/sessions (the caller's past and present
 * sessions; all for an admin) and GET /api/sessions/:id/audit.
 */
export function apiRoutes(ctx: ServerContext): Router {
  const router = express.Router();

  router.post('/code', async (req, res) => {
    const parsed = codeSubmitHttpSchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {code: "123456", client: "browser" | "agent", name?: "Your Name"}.');
    const address = ctx.clientAddress(req);
    const joined = await ctx.sessions.submitCode(parsed.data.code, parsed.data.client, address, null, parsed.data.name, () => !req.socket.destroyed);
    res.json({ sessionId: joined.id, token: joined.token, technicianName: joined.technician.name, technicianEmail: joined.technician.email, state: joined.state });
  });

  router.get('/sessions', requireTechnician(ctx), async (_req, res) => {
    const reader = technicianOf(res);
    res.json({ sessions: await ctx.audit.sessionsFor(reader) });
  });

  router.get('/sessions/:id/audit', requireTechnician(ctx), async (req, res) => {
    const reader = technicianOf(res);
    const id = sessionIdSchema.safeParse(req.params.id);
    const session = id.success ? await ctx.audit.getSession(id.data) : undefined;
    // Someone else's session answers exactly like a missing one.
    if (!session || !ctx.audit.canRead(session, reader)) throw new RescueError('SESSION_NOT_FOUND');
    res.json({ session, events: await ctx.audit.events(session.id) });
  });

  return router;
}
