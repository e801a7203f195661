import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { RescueError, loginHttpSchema } from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import { addressKey } from './client-address.ts';
import { SESSION_COOKIE, parseCookies } from './http-util.ts';
import { LoginAddresses } from './login-addresses.ts';
import { LoginGuard, type LoginTry } from './login-guard.ts';
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
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { technician, mustEnrol } = await consoleIdentity(ctx, req);
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

/** A login try counted on this node and across the cluster, settled together. */
function bothTries(local: LoginTry, across: LoginTry): LoginTry {
  return {
    failed: () => {
      local.failed();
      across.failed();
    },
    succeeded: () => {
      local.succeeded();
      across.succeeded();
    },
    released: () => {
      local.released();
      across.released();
    },
  };
}

/**
 * POST /api/login, POST /api/logout, GET /api/me. Login tries are limited per
 * (account, address), per address, and slowed per account for addresses the
 * account has not logged in from lately (signaling/login-guard.ts).
 */
export function authRoutes(ctx: ServerContext): Router {
  const router = express.Router();
  const now = () => ctx.clock.now();
  const { config } = ctx;
  const guard = new LoginGuard(
    {
      lockMs: config.loginLockoutSeconds * 1000,
      pairLockAfter: config.loginLockoutAfter,
      addressLockAfter: config.loginIpLockoutAfter,
      accountSlowAfter: config.loginSlowdownAfter,
      accountSlowMaxMs: config.loginSlowdownMaxSeconds * 1000,
    },
    now,
  );
  const usual = new LoginAddresses(ctx.store.addresses, now);
  // Read per request: the public URL is known only once the server listens.
  const isSecure = (): boolean => ctx.config.tls !== null || ctx.publicUrl.startsWith('https:');

  router.post('/login', async (req, res) => {
    const parsed = loginHttpSchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {email, password}.');
    const email = parsed.data.email.trim().toLowerCase();
    const address = ctx.clientAddress(req);
    // Reserved before the (slow) password check, so parallel guesses cannot overtake the limits.
    const local = guard.begin(email, address, await usual.isKnown(email, addressKey(address)));
    let across;
    try {
      across = ctx.clusterLimits ? await ctx.clusterLimits.beginLogin(email, address) : null;
    } catch (error) {
      local.released();
      throw error;
    }
    const attempt = across ? bothTries(local, across) : local;
    let account;
    try {
      account = await ctx.accounts.verifyPassword(email, parsed.data.password);
    } catch (error) {
      attempt.released();
      throw error;
    }
    if (!account) {
      attempt.failed();
      ctx.logger.info({ address }, 'login failed');
      throw new RescueError('INVALID_CREDENTIALS');
    }
    if (account.disabled) {
      attempt.released();
      throw new RescueError('ACCOUNT_DISABLED');
    }
    let factor;
    try {
      factor = await ctx.twoFactor.verifyLogin(account, parsed.data);
    } catch (error) {
      attempt.released();
      throw error;
    }
    // The right password without the code the account needs counts nothing: neither a failure nor a success.
    if (factor === 'missing') {
      attempt.released();
      throw new RescueError('SECOND_FACTOR_REQUIRED');
    }
    // A wrong or replayed code is a failure in the same limits as a wrong password.
    if (factor === 'invalid') {
      attempt.failed();
      ctx.logger.info({ address, technicianId: account.id }, 'second factor failed');
      throw new RescueError('SECOND_FACTOR_INVALID');
    }
    attempt.succeeded();
    await usual.remember(account.id, addressKey(address));
    const login = await ctx.logins.create(account.id);
    res.cookie(SESSION_COOKIE, login.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: isSecure(),
      path: '/',
      maxAge: login.expiresAt - ctx.clock.now(),
    });
    ctx.logger.info({ technicianId: account.id, address }, 'login');
    res.json({ id: account.id, email: account.email, name: account.name, isAdmin: account.isAdmin, twoFactor: await ctx.twoFactor.status(account.id) });
  });

  router.post('/logout', async (req, res) => {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (token) {
      await ctx.logins.revoke(token);
      ctx.consoles.revoke(token);
    }
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: isSecure(), path: '/' });
    res.json({ ok: true });
  });

  router.get('/me', requireLogin(ctx), async (_req, res) => {
    const technician = technicianOf(res);
    res.json({ id: technician.id, email: technician.email, name: technician.name, isAdmin: technician.isAdmin, twoFactor: await ctx.twoFactor.status(technician.id) });
  });

  return router;
}
