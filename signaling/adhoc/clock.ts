/**
 * The time source of the ad hoc module, injected so tests can move 24 hours
 * with a fake clock (the server's Clock, signaling/clock.ts, fits this shape).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Longest single wait; the deadline is re-checked against `now()` after each, so a suspended host or a wall-clock jump cannot stretch it. */
const MAX_STEP_MS = 60 * 60 * 1000;

/** Runs `fn` once `clock.now() >= at`. Returns a cancel function. */
export function runAt(clock: Clock, at: number, fn: () => void): () => void {
  let handle: unknown = null;
  let cancelled = false;
  const step = (): void => {
    if (cancelled) return;
    const left = at - clock.now();
    if (left <= 0) {
      handle = null;
      fn();
      return;
    }
    handle = clock.setTimeout(step, Math.min(left, MAX_STEP_MS));
  };
  step();
  return () => {
    cancelled = true;
    if (handle !== null) clock.clearTimeout(handle);
  };
}
