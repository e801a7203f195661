/**
 * Bench servers run with --expose-gc: on SIGUSR2 they collect garbage and print
 * {"gc":true}, so an RSS reading counts live memory, not garbage not yet collected.
 */
export function gcOnSignal(): void {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    console.log(JSON.stringify({ gc: true }));
  });
}
