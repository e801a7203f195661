/**
 * Bench servers run with --expose-gc: on SIGUSR2 they collect garbage and print
 * {"gc":true,"heap":N} (N: the V8 heap in use plus memory held outside it by JS objects, such as buffers,
 * after the collection), so an RSS reading counts live memory, not garbage not yet collected.
 */
export function gcOnSignal(): void {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const { heapUsed, external } = process.memoryUsage();
    console.log(JSON.stringify({ gc: true, heap: heapUsed + external }));
  });
}
