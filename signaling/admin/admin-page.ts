import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { ServerContext } from '../context.ts';
import { consoleIdentity } from '../two-factor/console-gate.ts';

/**
 * `GET /admin`: the administration page (admin.html of the Vite build), for a
 * logged-in administrator only. Everyone else, logged in or not, gets a
 * plain 404 (a technician learns nothing from it about who administers);
 * its API (`/api/admin`) answers 401/403. `/admin.html` is held back the same way.
 */
export function adminPage(ctx: ServerContext, webRoot: string): Router {
  const router = express.Router();
  const serve = async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Cookie');
    const { technician } = await consoleIdentity(ctx, req);
    if (!technician?.isAdmin) {
      res.status(404).type('text/plain').send('Not found\n');
      return;
    }
    const file = path.join(webRoot, 'admin.html');
    if (!fs.existsSync(file)) {
      res.status(503).type('text/plain').send('The web UI is not built yet: run `npm run build`, then reload.\n');
      return;
    }
    res.sendFile(file);
  };
  router.get(['/admin', '/admin/', '/admin.html'], serve);
  return router;
}
