import type { CodeGuard, CodeGuardState } from './code-guard.ts';
import type { FailureSnapshot } from './rate-limit.ts';
import type { CodeFailureRows } from './store/types.ts';

/** At most this many addresses are kept (the guard's own maps hold 50,000 and 100,000). */
export const CODE_FAILURE_ROWS = 100_000;
/** Expired and surplus rows are dropped at start and after this many writes. */
const PRUNE_EVERY = 1000;

/**
 * Keeps the code guard's per-address state (wrong codes in the window, a
 * running lockout, the day's first tries) in the store, so that a restart,
 * forced or not, does not lift an attacker's lockout. One row per address key,
 * written after each wrong code (a right code writes nothing), expiring with
 * what it holds. Restores what the last run left, then follows the guard.
 */
export async function keepCodeFailures(guard: CodeGuard, rows: CodeFailureRows, now: () => number): Promise<number> {
  rows.prune(now(), CODE_FAILURE_ROWS);
  let restored = 0;
  for (const row of await rows.live(now())) {
    const state = parseState(row.state);
    if (!state) continue;
    guard.adopt(row.key, state);
    restored++;
  }
  let writes = 0;
  guard.persistTo((key, state) => {
    rows.save(key, JSON.stringify({ limiter: state.limiter, firstTries: state.firstTries }), state.expiresAt);
    if (++writes % PRUNE_EVERY === 0) rows.prune(now(), CODE_FAILURE_ROWS);
  });
  return restored;
}

const times = (value: unknown): value is number[] => Array.isArray(value) && value.length <= 10_000 && value.every((at) => Number.isFinite(at));

/** A stored state, or null when it is not one (a row another version or a hand wrote). */
function parseState(text: string): Pick<CodeGuardState, 'limiter' | 'firstTries'> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { limiter, firstTries } = raw as { limiter?: unknown; firstTries?: unknown };
  if (!times(firstTries)) return null;
  if (limiter === null) return { limiter: null, firstTries };
  if (typeof limiter !== 'object' || limiter === undefined) return null;
  const l = limiter as Partial<Record<keyof FailureSnapshot, unknown>>;
  if (!times(l.failures) || !Number.isFinite(l.lockedUntil) || !Number.isFinite(l.lastTryAt)) return null;
  return { limiter: { failures: l.failures, lockedUntil: l.lockedUntil as number, lastTryAt: l.lastTryAt as number }, firstTries };
}
