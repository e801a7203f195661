import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { RescueError, loginHttpSchema } from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import { SESSION_COOKIE, clientAddress, parseCookies } from './http-util.ts';
import { FailureLimiter } from './rate-limit.ts';
import type { TechnicianIdentity } from './session.ts';
import { consoleIdentity, requireLogin } from './two-factor/console-gate.ts';

/** The logged-in technician of a request, set by `requireTechnician`. */
export function technicianOf(res: Response): TechnicianIdentity {
  const technician = res.locals.technician as TechnicianIdentity | undefined;
  if (!technician) throw new RescueError('UNAUTHENTICATED');
  return technician;
}

/** Middleware: 401 UNAUTHENTICATED unless the `rr_session` cookie belongs to an enabled account (403 SECOND_FACTOR_ENROLMENT_REQUIRED while it must enrol). */
export function requireTechnician(ctx: ServerContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { technician, mustEnrol } = consoleIdentity(ctx, req);
    if (!technician) {
      next(new RescueError(mustEnrol ? 'SECOND_FACTOR_ENROLMENT_REQUIRED' : 'UNAUTHENTICATED'));
      return;
    }
    res.locals.technician = technician;
    next();
  };
}

/** Middleware: a browser's cross-site POST (Origin present and not ours) is refused. */
export function checkOrigin(ctx: ServerContext) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && !ctx.origins.allowsIfPresent(req.headers.origin)) {
      next(new RescueError('ORIGIN_NOT_ALLOWED'));
      return;
    }
    next();
  };
}

/** POST /api/login, POST /api/logout, GET /api/me. Login failures are limited per account and per address. */
export function authRoutes(ctx: ServerContext): Router {
  const router = express.Router();
  const now = () => ctx.clock.now();
  const lockMs = ctx.config.loginLockoutSeconds * 1000;
  const perAccount = new FailureLimiter({ windowMs: lockMs, lockAfter: ctx.config.loginLockoutAfter, lockMs }, now);
  const perAddress = new FailureLimiter({ windowMs: lockMs, lockAfter: ctx.config.loginIpLockoutAfter, lockMs }, now);
  // Read per request: the public URL is known only once the server listens.
  const isSecure = (): boolean => ctx.config.tls !== null || ctx.publicUrl.startsWith('https:');

  router.post('/login', async (req, res) => {
    const parsed = loginHttpSchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {email, password}.');
    const email = parsed.data.email.trim().toLowerCase();
    const address = clientAddress(req, ctx.config.trustProxy);
    if (!perAccount.check(email).ok || !perAddress.check(address).ok) throw new RescueError('LOGIN_LOCKED');
    const account = await ctx.accounts.verifyPassword(email, parsed.data.password);
    if (!account) {
      perAccount.fail(email);
      perAddress.fail(address);
      ctx.logger.info({ address }, 'login failed');
      throw new RescueError('INVALID_CREDENTIALS');
    }
    if (account.disabled) throw new RescueError('ACCOUNT_DISABLED');
    const factor = ctx.twoFactor.verifyLogin(account, parsed.data);
    // The right password without the code the account needs is not a failure; it is not a success either.
    if (factor === 'missing') throw new RescueError('SECOND_FACTOR_REQUIRED');
    if (factor === 'invalid') {
      perAccount.fail(email);
      perAddress.fail(address);
      ctx.logger.info({ address, technicianId: account.id }, 'second factor failed');
      throw new RescueError('SECOND_FACTOR_INVALID');
    }
    perAccount.succeed(email);
    perAddress.succeed(address);
    const login = ctx.logins.create(account.id);
    res.cookie(SESSION_COOKIE, login.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: isSecure(),
      path: '/',
      maxAge: login.expiresAt - ctx.clock.now(),
    });
    ctx.logger.info({ technicianId: account.id }, 'login');
    res.json({ id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin, twoFactor: ctx.twoFactor.status(account.id) });
  });

  router.post('/logout', (req, res) => {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (token) ctx.logins.revoke(token);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: isSecure(), path: '/' });
    res.json({ ok: true });
  });

  router.get('/me', requireLogin(ctx), (_req, res) => {
    const technician = technicianOf(res);
    res.json({ id: technician.id, email: technician.email, name: technician.name, isAdmin: technician.isAdmin, twoFactor: ctx.twoFactor.status(technician.id) });
  });

  return router;
}
