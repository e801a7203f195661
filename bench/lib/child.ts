import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process that prints one JSON line `{"ready":...}` when it is up. */
export interface ReadyChild<T> {
  child: ChildProcess;
  info: T;
  /** Sends SIGUSR2 and waits for the child's {"gc":true} line (see bench/servers/gc-on-signal.ts). */
  /** A full GC in the child (bench/servers/gc-on-signal.ts); resolves with its live heap and external bytes, or NaN. */
  collectGarbage(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function spawnReady<T>(command: string, args: string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<ReadyChild<T>> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')}: not ready after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready`));
    });
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { ready?: T };
        if (parsed.ready !== undefined) {
          clearTimeout(timer);
          resolve(parsed.ready);
        }
      } catch {
        // Not our line; the child may log other things.
      }
    });
  });
  return {
    child,
    info,
    collectGarbage: (gcTimeoutMs = 10_000) =>
      new Promise<number>((resolve) => {
        const timer = setTimeout(() => done(Number.NaN), gcTimeoutMs);
        function done(heap: number): void {
          clearTimeout(timer);
          lines.off('line', onLine);
          resolve(heap);
        }
        function onLine(line: string): void {
          if (!line.includes('"gc":true')) return;
          try {
            done(Number((JSON.parse(line) as { heap?: unknown }).heap ?? Number.NaN));
          } catch {
            done(Number.NaN);
          }
        }
        lines.on('line', onLine);
        child.kill('SIGUSR2');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
