import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Core pinning for the signaling benches: with 2+ cores and `taskset`
 * (util-linux), the load client runs on core 0 and the server under test on
 * core 1, for PeerJS and the product alike, so a server's pairs/s measures the
 * server rather than how the scheduler shares the cores with the client (the
 * product's client does more per pair: docs/performance-signaling.md).
 * BENCH_PIN=0 turns it off.
 */
function tasksetWorks(): boolean {
  if (process.env.BENCH_PIN === '0' || availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const PINNED = tasksetWorks();
export const CLIENT_CORE = '0';
export const SERVER_CORE = '1';

/** Pins this process (every thread) to the client's core; returns the undo (the mask it had). A no-op when not PINNED. */
export function pinLoadClient(): () => void {
  if (!PINNED) return () => {};
  const pid = String(process.pid);
  const mask = /affinity mask:\s*([0-9a-f]+)/i.exec(execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }))?.[1];
  execFileSync('taskset', ['-a', '-p', '-c', CLIENT_CORE, pid], { stdio: 'ignore' });
  return () => {
    if (mask) execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' });
  };
}

/** The command and arguments that start `command args` on the server's core (unchanged when not PINNED). */
export function onServerCore(command: string, args: string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', SERVER_CORE, command, ...args]] : [command, args];
}

/** Words for a row's label: where the client and the server ran. */
export function pinningNote(): string {
  return PINNED ? `load client pinned to core ${CLIENT_CORE}, server to core ${SERVER_CORE} (taskset)` : 'not pinned (cores shared)';
}
