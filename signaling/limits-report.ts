import { RescueError } from '../protocol/index.ts';
import { CodeGuard } from './code-guard.ts';
import type { Config } from './config.ts';
import { LoginGuard } from './login-guard.ts';

/** Codes are 6 decimal digits (signaling/pin-codes.ts). */
const CODE_SPACE = 1_000_000;
const HOUR_S = 3600;

type Limits = Pick<
  Readonly<Config>,
  | 'loginLockoutAfter'
  | 'loginIpLockoutAfter'
  | 'loginLockoutSeconds'
  | 'loginSlowdownAfter'
  | 'loginSlowdownMaxSeconds'
  | 'codeSlowdownAfter'
  | 'codeLockoutAfter'
  | 'codeLockoutSeconds'
  | 'codeGlobalFailuresPerMinute'
  | 'codeTtlSeconds'
>;

export interface LimitFigures {
  login: {
    /** Guesses one address gets at one account in an hour (the (account, address) lock). */
    perAddressOneAccount: number;
    /** Guesses one address gets over many accounts in an hour (the address lock). */
    perAddressManyAccounts: number;
    /** Guesses at one account in an hour from any number of new addresses (the account slowdown). */
    perAccountAnyAddresses: number;
  };
  code: {
    perAddressPerHour: number;
    /** Guesses one address gets within one code's lifetime. */
    perAddressPerLifetime: number;
    /** Over all addresses, for a few botnet sizes: per hour and within one code's lifetime. */
    overall: { addresses: number; perHour: number; perLifetime: number }[];
  };
}

/**
 * Runs an attacker against the real guards on a simulated clock: every
 * address tries once a second (each limit's delay is whole seconds, so this is
 * as fast as the guards let it) and every try that passes is a wrong guess.
 * Refused tries change nothing, so the count is what the limits allow.
 */
function simulate(seconds: number, addresses: number, attempt: (address: number, at: number) => boolean): number {
  let allowed = 0;
  // Refusals are thrown RescueErrors; without stack traces they cost next to nothing.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let second = 0; second < seconds; second++) {
      for (let address = 0; address < addresses; address++) if (attempt(address, second * 1000)) allowed++;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return allowed;
}

function refusedBy(error: unknown): boolean {
  if (error instanceof RescueError) return true;
  throw error;
}

function loginFigures(limits: Limits): LimitFigures['login'] {
  const guard = (clock: { now: number }): LoginGuard =>
    new LoginGuard(
      {
        lockMs: limits.loginLockoutSeconds * 1000,
        pairLockAfter: limits.loginLockoutAfter,
        addressLockAfter: limits.loginIpLockoutAfter,
        accountSlowAfter: limits.loginSlowdownAfter,
        accountSlowMaxMs: limits.loginSlowdownMaxSeconds * 1000,
      },
      () => clock.now,
    );
  const run = (accountOf: (second: number) => string, addressOf: (second: number) => string): number => {
    const clock = { now: 0 };
    const logins = guard(clock);
    return simulate(HOUR_S, 1, (_address, at) => {
      clock.now = at;
      try {
        logins.begin(accountOf(at / 1000), addressOf(at / 1000), false).failed();
        return true;
      } catch (error) {
        return !refusedBy(error);
      }
    });
  };
  return {
    perAddressOneAccount: run(() => 'ann@example.test', () => '198.51.100.1'),
    perAddressManyAccounts: run((second) => `user${second}@example.test`, () => '198.51.100.1'),
    perAccountAnyAddresses: run(() => 'ann@example.test', (second) => `10.${second >> 16}.${(second >> 8) & 255}.${second & 255}`),
  };
}

function codeGuesses(limits: Limits, seconds: number, addresses: number): number {
  let now = 0;
  const guard = new CodeGuard(
    {
      slowdownAfter: limits.codeSlowdownAfter,
      lockoutAfter: limits.codeLockoutAfter,
      lockoutMs: limits.codeLockoutSeconds * 1000,
      globalFailuresPerMinute: limits.codeGlobalFailuresPerMinute,
    },
    () => now,
  );
  // An address that was refused comes back when the answer said (every code refusal names its wait in seconds).
  const nextTry = new Array<number>(addresses).fill(0);
  return simulate(seconds, addresses, (address, at) => {
    if ((nextTry[address] ?? 0) > at) return false;
    now = at;
    try {
      // A try held back by the global cap is answered later, but it is a guess all the same.
      guard.begin(`10.${address >> 16}.${(address >> 8) & 255}.${address & 255}`).failed();
      return true;
    } catch (error) {
      if (!refusedBy(error)) return false;
      const wait = /(\d+) s\b/.exec((error as Error).message)?.[1];
      nextTry[address] = at + Math.max(1, Number(wait ?? 1)) * 1000;
      return false;
    }
  });
}

/** Measures what the configured limits let an attacker do (see docs/security.md). */
export function measureLimits(limits: Limits, botnets: readonly number[] = [100, 1000]): LimitFigures {
  return {
    login: loginFigures(limits),
    code: {
      perAddressPerHour: codeGuesses(limits, HOUR_S, 1),
      perAddressPerLifetime: codeGuesses(limits, limits.codeTtlSeconds, 1),
      overall: botnets.map((addresses) => ({
        addresses,
        perHour: codeGuesses(limits, HOUR_S, addresses),
        perLifetime: codeGuesses(limits, limits.codeTtlSeconds, addresses),
      })),
    },
  };
}

/**
 * The chance that `guesses` distinct wrong-or-right codes hit one of `live`
 * live codes: 1 - prod(1 - live / (space - i)) (an attacker never repeats a
 * guess; live codes are uniform over the space).
 */
export function hitChance(guesses: number, live: number, space = CODE_SPACE): number {
  let miss = 1;
  for (let i = 0; i < guesses && i < space; i++) miss *= Math.max(0, 1 - live / (space - i));
  return 1 - miss;
}

const percent = (p: number): string => (p >= 0.01 ? `${(p * 100).toFixed(1)} %` : p >= 1e-6 ? `${(p * 100).toPrecision(2)} %` : `${p.toExponential(1)}`);

/** The figures as the text `npm run admin -- limits` prints. */
export function formatLimits(limits: Limits, figures: LimitFigures = measureLimits(limits)): string {
  const { login, code } = figures;
  const ttl = limits.codeTtlSeconds;
  const lines = [
    'Login guesses per hour (an attacker trying once a second, simulated against the real guards):',
    `  one address, one account:            ${login.perAddressOneAccount}`,
    `  one address, many accounts:          ${login.perAddressManyAccounts}`,
    `  one account, any number of addresses: ${login.perAccountAnyAddresses} (addresses the account logged in from lately are not slowed)`,
    '',
    `Code guesses (code lifetime CODE_TTL_SECONDS = ${ttl} s):`,
    `  one address: ${code.perAddressPerHour} per hour, ${code.perAddressPerLifetime} within a code's lifetime`,
    `    chance to hit a live code within its lifetime: ${percent(hitChance(code.perAddressPerLifetime, 1))} with 1 live code, ${percent(hitChance(code.perAddressPerLifetime, 100))} with 100`,
  ];
  for (const botnet of code.overall) {
    lines.push(
      `  ${botnet.addresses} addresses together: ${botnet.perHour} per hour, ${botnet.perLifetime} within a code's lifetime`,
      `    chance to hit a live code within its lifetime: ${percent(hitChance(botnet.perLifetime, 1))} with 1 live code, ${percent(hitChance(botnet.perLifetime, 100))} with 100`,
    );
  }
  return lines.join('\n');
}
