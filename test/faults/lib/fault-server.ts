/**
 * Runs test/faults/lib/server-child.ts (the real server in its own process)
 * and logs its technicians in. Every child is stopped by `stop()` or killed by
 * `kill()`; `stopAll()` in an `after` hook ends any a failed test left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnReady, type ReadyChild } from '../../../bench/lib/child.ts';
import { rssBytes } from '../../../bench/lib/proc.ts';

/** The password of every account server-child.ts creates. */
export const FAULT_PASSWORD = 'fault-suite-password-long-enough';

export const technicianEmail = (index: number): string => `fault${index}@example.test`;

export interface FaultServer {
  port: number;
  pid: number;
  origin: string;
  url: string;
  wsUrl: string;
  /** The server's resident set size now, in bytes (after a garbage collection when `gc` is set). */
  rss(gc?: boolean): Promise<number>;
  /** SIGTERM, as a service manager stops it; resolves when it has exited. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown code runs. Resolves when it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ReadyChild<unknown>>();

/** A fresh temporary data folder (removed by `removeDataDir`). */
export function makeDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'rr-faults-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the server child with `env` (PORT defaults to 0, logs to warn); in
 * network namespace `netns` when given (it listens on all of that namespace's
 * addresses then).
 */
export async function startFaultServer(env: Record<string, string>, netns?: string): Promise<FaultServer> {
  const argv = [process.execPath, '--expose-gc', '--import', 'tsx', 'test/faults/lib/server-child.ts'];
  const [command, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const nsEnv = netns ? { HOST: '0.0.0.0', ALLOW_INSECURE_HTTP: '1' } : {};
  const child = await spawnReady<{ port: number; pid: number; origin: string }>(
    command as string,
    args,
    120_000,
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json', ...nsEnv, ...env },
  );
  running.add(child);
  // FAULT_SERVER_LOGS=1 shows the server's own log lines (set TEST_LOG_LEVEL=info or debug too).
  if (process.env.FAULT_SERVER_LOGS) child.child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const { port, pid, origin } = child.info;
  const exited = new Promise<void>((resolve) => {
    if (child.child.exitCode !== null || child.child.signalCode !== null) resolve();
    child.child.once('exit', () => resolve());
  });
  void exited.then(() => running.delete(child));
  return {
    port,
    pid,
    origin,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    rss: async (gc = true) => {
      if (gc) await child.collectGarbage();
      return rssBytes(pid);
    },
    stop: () => child.stop(),
    kill: async () => {
      child.child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills every server child still running (an `after` hook's safety net). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Logs technician `index` in over HTTP; returns the Cookie header value. */
export async function loginFault(server: Pick<FaultServer, 'url'>, index: number): Promise<string> {
  const res = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: technicianEmail(index), password: FAULT_PASSWORD }),
  });
  const cookie = res.headers.getSetCookie().find((line) => line.startsWith('rr_session='));
  if (!res.ok || !cookie) throw new Error(`login of ${technicianEmail(index)} failed: ${res.status}`);
  return cookie.split(';')[0] ?? '';
}

/** Logs in technicians 0..count-1, `parallel` at a time (each login is an argon2 check). */
export async function loginMany(server: Pick<FaultServer, 'url'>, count: number, parallel = 4): Promise<string[]> {
  const cookies: string[] = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      cookies[index] = await loginFault(server, index);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return cookies;
}
