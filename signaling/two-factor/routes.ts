import express, { type Router } from 'express';
import { RescueError, confirmBodySchema, secondFactorBodySchema } from '../../protocol/index.ts';
import { technicianOf } from '../auth-http.ts';
import type { ServerContext } from '../context.ts';
import { FailureLimiter } from '../rate-limit.ts';
import { requireLogin } from './console-gate.ts';

/**
 * `/api/2fa`: one's own two-factor login. These answer any live login, also
 * one that must enrol before it may use the console.
 *   GET  /api/2fa                  status
 *   POST /api/2fa/enrol            a new secret (QR code + text), inactive until confirmed
 *   POST /api/2fa/confirm {totp}   turns it on; answers the ten recovery codes, once
 *   POST /api/2fa/recovery-codes {totp}         ten new codes (the old ones stop working)
 *   POST /api/2fa/disable {totp | recoveryCode} turns it off
 * Wrong codes here are limited per account like logins.
 */
export function twoFactorRoutes(ctx: ServerContext): Router {
  const router = express.Router();
  const lockMs = ctx.config.loginLockoutSeconds * 1000;
  const failures = new FailureLimiter({ windowMs: lockMs, lockAfter: ctx.config.loginLockoutAfter, lockMs }, () => ctx.clock.now());
  router.use(requireLogin(ctx));

  /** The code checks in progress per account: they run one after another. */
  const inFlight = new Map<string, Promise<unknown>>();

  /**
   * Runs a step that checks a code, counting a wrong one against the account.
   * An account's checks run one at a time, so parallel requests cannot overtake the count.
   */
  const counted = <T>(accountId: string, step: () => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      if (!failures.check(accountId).ok) throw new RescueError('LOGIN_LOCKED');
      try {
        const result = await step();
        failures.reset(accountId);
        return result;
      } catch (error) {
        if (error instanceof RescueError && error.code === 'SECOND_FACTOR_INVALID') failures.fail(accountId);
        throw error;
      }
    };
    const previous = inFlight.get(accountId) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    inFlight.set(accountId, settled);
    void settled.then(() => {
      if (inFlight.get(accountId) === settled) inFlight.delete(accountId);
    });
    return result;
  };

  router.get('/', async (_req, res) => {
    res.json(await ctx.twoFactor.status(technicianOf(res).id));
  });

  router.post('/enrol', async (_req, res) => {
    res.json(await ctx.twoFactor.begin(technicianOf(res)));
  });

  router.post('/confirm', async (req, res) => {
    const parsed = confirmBodySchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {totp: "123456"}.');
    const who = technicianOf(res);
    res.json({ recoveryCodes: await counted(who.id, () => ctx.twoFactor.confirm(who, parsed.data.totp)) });
  });

  router.post('/recovery-codes', async (req, res) => {
    const parsed = confirmBodySchema.safeParse(req.body);
    if (!parsed.success) throw new RescueError('INVALID_MESSAGE', 'Send {totp: "123456"}.');
    const who = technicianOf(res);
    res.json({ recoveryCodes: await counted(who.id, () => ctx.twoFactor.renewRecoveryCodes(who, parsed.data.totp)) });
  });

  router.post('/disable', async (req, res) => {
    const parsed = secondFactorBodySchema.safeParse(req.body);
    if (!parsed.success || (parsed.data.totp === undefined && parsed.data.recoveryCode === undefined)) {
      throw new RescueError('INVALID_MESSAGE', 'Send {totp} or {recoveryCode}.');
    }
    const who = technicianOf(res);
    await counted(who.id, () => ctx.twoFactor.disable(who, parsed.data));
    res.json(await ctx.twoFactor.status(who.id));
  });

  return router;
}
