import fs from 'node:fs';
import path from 'node:path';
import { AGENT_SH_SERVER_PLACEHOLDER } from '../scripts/agent-sh-placeholder.ts';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ServerContext } from './context.ts';

/**
 * Security headers on every response: a CSP with no inline script that allows
 * WebSockets back to this server only, no framing, no MIME sniffing.
 */
export function securityHeaders(ctx: ServerContext) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const sockets = ctx.origins.origins.map((origin) => origin.replace(/^http/, 'ws')).join(' ');
    res.setHeader(
      'Content-Security-Policy',
      [
        "default-src 'self'",
        // WebAssembly (not JS eval) for the console's argon2id in ad hoc support (docs/adhoc.md).
        "script-src 'self' 'wasm-unsafe-eval'",
        // Lit falls back to <style> elements where adoptedStyleSheets is missing.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        `connect-src 'self' ${sockets}`,
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (ctx.config.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}

/**
 * The web UI from `webRoot` (Vite output: index.html is the support page for
 * `/` and `/c/:code`, console.html the technician console at `/console`) and
 * the agent bundle from `agentRoot` under `/download/`.
 */
export function staticRoutes(webRoot: string, agentRoot: string, publicUrl: () => string = () => ''): Router {
  const router = express.Router();
  // agent.sh names the server it came from, so `curl -fsSL …/download/agent.sh | bash` needs no arguments.
  router.get('/download/agent.sh', (_req, res, next) => {
    let script: string;
    try {
      script = fs.readFileSync(path.join(agentRoot, 'agent.sh'), 'utf8');
    } catch {
      return next();
    }
    const server = publicUrl();
    // Only a plain URL goes into the shell script (it sits inside double quotes there).
    if (/^https?:\/\/[A-Za-z0-9.:[\]_-]+(\/[A-Za-z0-9._~/-]*)?$/.test(server)) script = script.replace(AGENT_SH_SERVER_PLACEHOLDER, server.replace(/\/$/, ''));
    res.type('text/x-shellscript').setHeader('Cache-Control', 'no-cache');
    res.send(script);
  });
  router.use('/download', express.static(agentRoot, { index: false, dotfiles: 'ignore', fallthrough: true }));
  // Not built: a clear line for curl and people, never an HTML error page (agent.sh is piped to a shell).
  router.get(['/download/agent.sh', '/download/agent.tar.gz'], (_req, res) => {
    res.status(503).type('text/plain').send('The support app is not built on this server yet: its administrator runs `npm run build` (or `npm start`, which builds it).\n');
  });

  const page = (file: string) => (_req: Request, res: Response): void => {
    const full = path.join(webRoot, file);
    if (!fs.existsSync(full)) {
      res.status(503).type('text/plain').send('The web UI is not built yet: run `npm run build` (or `npm start`, which builds it), then reload.\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(full);
  };
  router.get('/', page('index.html'));
  router.get('/c/:code', page('index.html'));
  router.get('/console', page('console.html'));
  router.use(express.static(webRoot, { index: false, dotfiles: 'ignore' }));
  router.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found.\n');
  });
  return router;
}

/** The files `staticRoutes` serves that do not exist (the server names them in a warning at start). */
export function missingBuildOutputs(webRoot: string, agentRoot: string): string[] {
  const wanted = [
    ...['index.html', 'console.html'].map((file) => path.join(webRoot, file)),
    ...['agent.sh', 'agent.tar.gz'].map((file) => path.join(agentRoot, file)),
  ];
  return wanted.filter((file) => !fs.existsSync(file));
}
