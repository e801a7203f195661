import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { RescueError } from '../../protocol/index.ts';
import type { ServerContext } from '../context.ts';
import { SESSION_COOKIE, parseCookies } from '../http-util.ts';
import type { TechnicianIdentity } from '../session.ts';

/** Who a request's login cookie belongs to, and whether they may use the console yet. */
export interface ConsoleIdentity {
  /** The account, or null (no live login, or it must enrol first). */
  technician: TechnicianIdentity | null;
  /** A live login whose account must set up two-factor login first. */
  mustEnrol: boolean;
  /** The request carried a live login (whether or not it may use the console). */
  loggedIn: boolean;
}

/**
 * The account behind a request's login cookie, whether or not it may use the
 * console yet. Only the routes an account needs to finish setting up
 * two-factor login use this; everything else goes through
 * `consoleIdentity`, which also refuses accounts that must enrol first.
 */
export async function loginFromRequest(ctx: ServerContext, req: IncomingMessage): Promise<TechnicianIdentity | null> {
  const account = await ctx.logins.lookup(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
  return account ? { id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin } : null;
}

/** The console's gate: a login, and two-factor login set up when an administrator requires it. */
export async function consoleIdentity(ctx: ServerContext, req: IncomingMessage): Promise<ConsoleIdentity> {
  const technician = await loginFromRequest(ctx, req);
  if (technician && (await ctx.twoFactor.consoleBlocked(technician.id))) return { technician: null, mustEnrol: true, loggedIn: true };
  return { technician, mustEnrol: false, loggedIn: technician !== null };
}

/**
 * The identity of an upgrade request, read from the store before the
 * WebSocket handshake completes (signaling/server.ts), so that socket
 * handlers, which run synchronously from the first message on, need no await.
 */
const upgraded = new WeakMap<IncomingMessage, ConsoleIdentity>();

export function rememberUpgradeIdentity(req: IncomingMessage, identity: ConsoleIdentity): void {
  upgraded.set(req, identity);
}

/** The identity `rememberUpgradeIdentity` stored for a console socket's request (none: not logged in). */
export function upgradeIdentity(req: IncomingMessage): ConsoleIdentity {
  return upgraded.get(req) ?? { technician: null, mustEnrol: false, loggedIn: false };
}

/** Middleware: any live login (used by /api/me, /api/2fa/*); 401 UNAUTHENTICATED otherwise. */
export function requireLogin(ctx: ServerContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const technician = await loginFromRequest(ctx, req);
    if (!technician) {
      next(new RescueError('UNAUTHENTICATED'));
      return;
    }
    res.locals.technician = technician;
    next();
  };
}
