/** The agent's time source, injected so tests can move 24 hours with a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Runs `fn` once `clock.now() >= at`, re-checking at least hourly (a suspended laptop must not stretch 24 hours). */
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
    handle = clock.setTimeout(step, Math.min(left, 60 * 60 * 1000));
  };
  step();
  return () => {
    cancelled = true;
    if (handle !== null) clock.clearTimeout(handle);
  };
}
