import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { RescueError } from '../../protocol/index.ts';
import type { ServerContext } from '../context.ts';
import { SESSION_COOKIE, parseCookies } from '../http-util.ts';
import type { TechnicianIdentity } from '../session.ts';

/**
 * The account behind a request's login cookie, whether or not it may use the
 * console yet. Only the routes an account needs to finish setting up
 * two-factor login use this; everything else goes through
 * `technicianFromRequest`, which also refuses accounts that must enrol first.
 */
export function loginFromRequest(ctx: ServerContext, req: IncomingMessage): TechnicianIdentity | null {
  const account = ctx.logins.lookup(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
  return account ? { id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin } : null;
}

/** The console's gate: a login, and two-factor login set up when an administrator requires it. */
export function consoleIdentity(ctx: ServerContext, req: IncomingMessage): { technician: TechnicianIdentity | null; mustEnrol: boolean } {
  const technician = loginFromRequest(ctx, req);
  if (technician && ctx.twoFactor.consoleBlocked(technician.id)) return { technician: null, mustEnrol: true };
  return { technician, mustEnrol: false };
}

/** Middleware: any live login (used by /api/me, /api/2fa/*); 401 UNAUTHENTICATED otherwise. */
export function requireLogin(ctx: ServerContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const technician = loginFromRequest(ctx, req);
    if (!technician) {
      next(new RescueError('UNAUTHENTICATED'));
      return;
    }
    res.locals.technician = technician;
    next();
  };
}
