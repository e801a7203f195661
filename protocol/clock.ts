/**
 * Time as every process sees it (server, agent, engines), injected so that
 * expiry, grace periods, rate limits, heartbeats and 24-hour deadlines can be
 * driven by `@sinonjs/fake-timers`' `createClock()` in tests without faking
 * the process's global timers. Pure TypeScript: each process supplies its
 * real clock (signaling/clock.ts unrefs its timers; the agent's is this one).
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The real clock; its timers keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** Resolves after `ms` of the clock's time (fake time in tests). */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/** Longest single wait; the deadline is re-checked against `now()` after each, so a suspended host or a wall-clock jump cannot stretch it. */
const MAX_STEP_MS = 60 * 60 * 1000;

/** Runs `fn` once `clock.now() >= at` (a 24-hour deadline survives a suspended laptop). Returns a cancel function. */
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
