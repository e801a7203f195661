import express, { type Request, type Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { adhocCreateHttpSchema, adhocIdSchema } from '../../protocol/adhoc.ts';
import { tokenSchema } from '../../protocol/common.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { AdhocService, Technician } from './adhoc-service.ts';
import { deploymentPage } from './deploy-page.ts';

export interface RouteDeps {
  service: AdhocService;
  publicUrl(): string;
  /** The technician behind the `rr_session` cookie, or null. */
  authenticate(req: IncomingMessage): Promise<Technician | null>;
}

/**
 * `/api/adhoc/...` for the console (the server's router has already parsed
 * JSON, checked the Origin, and turns a thrown RescueError into
 * `{error:{code,message}}`), and `/adhoc/:token`, the page the email links to.
 */
export function adhocRoutes(router: express.Router, deps: RouteDeps): void {
  const tech = async (req: Request): Promise<Technician> => {
    const technician = await deps.authenticate(req);
    if (!technician) throw new RescueError('UNAUTHENTICATED');
    return technician;
  };
  const idParam = (req: Request): string => {
    const parsed = adhocIdSchema.safeParse(req.params.id);
    if (!parsed.success) throw new RescueError('ADHOC_NOT_FOUND');
    return parsed.data;
  };

  router.get('/api/adhoc/sessions', async (req: Request, res: Response) => {
    res.json({ sessions: await deps.service.list((await tech(req)).id) });
  });

  router.post('/api/adhoc/sessions', async (req: Request, res: Response) => {
    const technician = await tech(req);
    if (!req.is('application/json')) throw new RescueError('INVALID_MESSAGE', 'Send JSON.');
    const body = adhocCreateHttpSchema.safeParse(req.body);
    if (!body.success) throw new RescueError('INVALID_MESSAGE', "Send {email} with the user's email address, and nothing else.");
    res.status(201).json(await deps.service.create(technician, body.data.email));
  });

  router.post('/api/adhoc/sessions/:id/code', async (req: Request, res: Response) => {
    res.json(await deps.service.newCode((await tech(req)).id, idParam(req)));
  });

  router.post('/api/adhoc/sessions/:id/end', async (req: Request, res: Response) => {
    res.json({ session: await deps.service.end((await tech(req)).id, idParam(req)) });
  });

  router.get('/adhoc/:token', (req: Request, res: Response) => {
    const token = tokenSchema.safeParse(req.params.token);
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(deploymentPage(deps.publicUrl(), token.success ? token.data : null, req.get('user-agent') ?? ''));
  });
}
