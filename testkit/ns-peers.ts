/**
 * Drives testkit/ns-peer-child.ts: one engine per child process, each in the
 * network namespace it is given, over Node's IPC channel (which
 * `ip netns exec` passes on). Commands resolve with the child's answer;
 * events are kept and can be waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./ns-peer-child.ts', import.meta.url));

export type PeerEvent = { event: string; [key: string]: unknown };

export interface NsPeer {
  readonly events: PeerEvent[];
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** The next (or an already received) event matching `match`. */
  waitEvent(match: (e: PeerEvent) => boolean, what: string, timeoutMs?: number): Promise<PeerEvent>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Starts an engine child in namespace `ns` (or here, when null). */
export async function spawnNsPeer(ns: string | null, label: string): Promise<NsPeer> {
  const argv = [process.execPath, '--import', 'tsx', CHILD];
  const [command, ...args] = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const child = spawn(command as string, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const events: PeerEvent[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const watchers = new Set<() => void>();
  let nextId = 1;
  child.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: string; event?: string }) => {
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${label}: ${m.error}`));
      return;
    }
    events.push(m as PeerEvent);
    for (const w of [...watchers]) w();
  });
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${label} exited (${code ?? signal})`));
    }
    pending.clear();
  });
  const peer: NsPeer = {
    events,
    call: <T>(cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 60_000) =>
      new Promise<T>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${label} is not running`));
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${label}: ${cmd} not answered within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        child.send({ id, cmd, ...extra });
      }),
    waitEvent: (match, what, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(match);
          if (!found) return false;
          watchers.delete(onEvent);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const onEvent = (): void => void check();
        const timer = setTimeout(() => {
          watchers.delete(onEvent);
          reject(new Error(`${label}: no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) watchers.add(onEvent);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  await peer.waitEvent((e) => e.event === 'up', 'start-up', 60_000);
  return peer;
}

/** Kills every engine child still running (an `after` hook's safety net). */
export function killAllNsPeers(): void {
  for (const child of live) child.kill('SIGKILL');
}
