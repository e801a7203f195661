/**
 * Network namespaces a test creates for itself (Linux, as root, with `ip`):
 * make a namespace, join two with a veth pair, take a link down and up, and
 * run a child process inside one. Everything made here is removed by
 * `destroy()`, by `destroyAllNetns()` (an `after` hook's safety net), and at
 * the latest when the test process exits, so a failed test leaves no
 * namespace or interface behind. Deleting a namespace deletes its veth end,
 * and with it the pair.
 *
 *   const [a, b] = await Promise.all([createNetns('cust'), createNetns('tech')]);
 *   const link = await vethPair(a, b, 1);      // 10.77.1.1 in a, 10.77.1.2 in b
 *   const child = a.spawn(process.execPath, ['--import', 'tsx', 'child.ts']);
 *   await link.down(); ... await link.up();
 *   await destroyAllNetns();
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why namespaces cannot be used here (not root, no `ip`), or null when they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    await run('ip', ['netns', 'list']);
    return null;
  } catch (err) {
    return `ip netns does not work here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export interface Netns {
  /** The namespace's name (unique per test process). */
  readonly name: string;
  /** Runs a command inside the namespace and resolves with its stdout; rejects with its stderr. */
  exec(command: string, args: readonly string[]): Promise<string>;
  /** Starts a child process inside the namespace (stdio, env and an IPC channel pass through `ip netns exec`). */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Kills the children started here and deletes the namespace (its interfaces go with it). Idempotent. */
  destroy(): Promise<void>;
}

export interface VethLink {
  /** The interface in each namespace. */
  readonly a: { ns: Netns; dev: string; address: string };
  readonly b: { ns: Netns; dev: string; address: string };
  /** Takes both ends down: nothing crosses until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
}

const live = new Map<string, { children: Set<ChildProcess> }>();
let counter = 0;
let exitHookInstalled = false;

/** Creates a namespace named `rr-<label>-<pid>-<n>` with its loopback up. */
export async function createNetns(label: string): Promise<Netns> {
  installExitHook();
  const name = `rr-${label.replace(/[^a-z0-9]/gi, '').slice(0, 10)}-${process.pid}-${++counter}`;
  await run('ip', ['netns', 'add', name]);
  const state = { children: new Set<ChildProcess>() };
  live.set(name, state);
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
  return {
    name,
    exec: async (command, args) => {
      try {
        const { stdout } = await run('ip', ['netns', 'exec', name, command, ...args]);
        return stdout;
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        throw new Error(`in ${name}: ${command} ${args.join(' ')} failed: ${stderr.trim() || String(err)}`);
      }
    },
    spawn: (command, args, options = {}) => {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], options);
      state.children.add(child);
      child.once('exit', () => state.children.delete(child));
      return child;
    },
    destroy: () => deleteNetns(name),
  };
}

/**
 * Joins `a` and `b` with a veth pair on 10.77.<subnet>.0/24 (a is .1, b is .2),
 * both ends up. `subnet` (1-254) keeps several links in one test apart.
 */
export async function vethPair(a: Netns, b: Netns, subnet: number): Promise<VethLink> {
  if (!Number.isInteger(subnet) || subnet < 1 || subnet > 254) throw new Error(`subnet must be 1-254, not ${subnet}`);
  // Interface names have at most 15 characters.
  const base = `rv${process.pid % 100_000}${counter++ % 100}`;
  const devA = `${base}a`;
  const devB = `${base}b`;
  await run('ip', ['link', 'add', devA, 'netns', a.name, 'type', 'veth', 'peer', 'name', devB, 'netns', b.name]);
  const end = (ns: Netns, dev: string, host: number) => ({ ns, dev, address: `10.77.${subnet}.${host}` });
  const link = { a: end(a, devA, 1), b: end(b, devB, 2) };
  for (const side of [link.a, link.b]) await run('ip', ['-n', side.ns.name, 'addr', 'add', `${side.address}/24`, 'dev', side.dev]);
  const set = async (state: 'up' | 'down'): Promise<void> => {
    await Promise.all([link.a, link.b].map((side) => run('ip', ['-n', side.ns.name, 'link', 'set', side.dev, state])));
  };
  await set('up');
  return { ...link, down: () => set('down'), up: () => set('up') };
}

/** Deletes every namespace this process made and still has (an `after` hook). */
export async function destroyAllNetns(): Promise<void> {
  await Promise.all([...live.keys()].map((name) => deleteNetns(name)));
}

async function deleteNetns(name: string): Promise<void> {
  const state = live.get(name);
  if (!state) return;
  live.delete(name);
  await Promise.all([...state.children].map((child) => killChild(child)));
  await run('ip', ['netns', 'delete', name]).catch(() => undefined);
}

function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** On exit (even after a failure mocha reports), delete what is left, synchronously. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [name, state] of live) {
      for (const child of state.children) child.kill('SIGKILL');
      try {
        execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
      } catch {
        // Gone already.
      }
    }
    live.clear();
  });
}
