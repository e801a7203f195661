/**
 * A lossy, delayed path between a customer and a technician, built from
 * network namespaces this process creates and deletes:
 *
 *   customer ns  ──veth──  router ns  ──veth──  technician ns
 *   10.77.1.2              10.77.1.1 | 10.77.2.1             10.77.2.2
 *                              │
 *                     TUN nem0 + testkit/netem/netem-tun.py
 *
 * The router forwards every packet between the two sides through a TUN
 * device (policy routing: what arrives on either veth is routed to nem0),
 * where a small userspace program drops it with probability `loss` and
 * writes it back after `delayMs` (the kernel here has no sch_netem:
 * docs/decisions.md). Loss and delay apply to each direction. The router's
 * own addresses are reached directly, not through the shim: the signaling
 * server runs there, so only the peer-to-peer path is impaired. IPv6 is off
 * in all three namespaces, which testkit/netns.ts makes and removes.
 */
import { execFile, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { createNetns, vethPair, type Netns } from './netns.ts';

const run = promisify(execFile);
const SHIM = fileURLToPath(new URL('./netem/netem-tun.py', import.meta.url));

export interface ShimStats {
  received: number;
  dropped: number;
  overflow: number;
  sent: number;
  queued: number;
}

export interface PingResult {
  sent: number;
  received: number;
  lossPct: number;
  rttMinMs: number;
  rttAvgMs: number;
  rttMaxMs: number;
}

export interface LossyPath {
  namespaces: { customer: string; technician: string; router: string };
  addresses: { customer: string; technician: string; routerCustomerSide: string; routerTechnicianSide: string };
  /** Loss (0..1) and delay (ms), each direction, from now on. */
  set(loss: number, delayMs: number): Promise<void>;
  stats(): Promise<ShimStats>;
  /** `count` pings from the customer to the technician, `intervalS` apart (through the shim both ways). */
  ping(count: number, intervalS?: number): Promise<PingResult>;
  /** Stops the shim and deletes the namespaces (and with them the veths and the TUN). */
  close(): Promise<void>;
}

/** Whether this machine can build the path: root, `ip`, python3 and /dev/net/tun. Returns the reason when not. */
export function lossyPathUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (bash scripts/install-system.sh)`;
    }
  }
  try {
    execFileSync('test', ['-c', '/dev/net/tun']);
  } catch {
    return '/dev/net/tun is missing';
  }
  return null;
}

/** Builds the three namespaces and starts the shim with `loss` and `delayMs`. */
export async function createLossyPath(loss: number, delayMs: number): Promise<LossyPath> {
  const made: Netns[] = [];
  let shim: ChildProcessWithoutNullStreams | null = null;
  try {
    for (const label of ['lcust', 'ltech', 'lrtr']) made.push(await createNetns(label));
    const [customer, technician, router] = made as [Netns, Netns, Netns];
    for (const ns of made) await ns.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    // The router is the .1 end of each pair, the peer the .2 end (testkit/netns.ts).
    const toCustomer = await vethPair(router, customer, 1);
    const toTechnician = await vethPair(router, technician, 2);
    await customer.exec('ip', ['route', 'add', 'default', 'via', toCustomer.a.address]);
    await technician.exec('ip', ['route', 'add', 'default', 'via', toTechnician.a.address]);
    await router.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.all.send_redirects=0']);
    await router.exec('ip', ['tuntap', 'add', 'dev', 'nem0', 'mode', 'tun']);
    await router.exec('ip', ['link', 'set', 'nem0', 'up']);
    await router.exec('sysctl', ['-q', '-w', 'net.ipv4.conf.nem0.rp_filter=0']);
    await router.exec('ip', ['route', 'add', 'default', 'dev', 'nem0', 'table', '100']);
    // Forwarded traffic from either side goes through the shim; the router's own addresses stay direct (the local table is looked up first).
    await router.exec('ip', ['rule', 'add', 'iif', toCustomer.a.dev, 'lookup', '100', 'pref', '100']);
    await router.exec('ip', ['rule', 'add', 'iif', toTechnician.a.dev, 'lookup', '100', 'pref', '101']);
    const ns = { customer: customer.name, technician: technician.name, router: router.name };
    const addresses = { customer: toCustomer.b.address, technician: toTechnician.b.address, routerCustomerSide: toCustomer.a.address, routerTechnicianSide: toTechnician.a.address };
    const deleteAll = async (): Promise<void> => {
      for (const n of made.splice(0)) await n.destroy();
    };

    const child = router.spawn('python3', [SHIM, '--dev', 'nem0', '--loss', String(loss), '--delay', String(delayMs)], { stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
    shim = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    const replies: Array<(line: string) => void> = [];
    const firstLine = new Promise<string>((resolve, reject) => {
      replies.push(resolve);
      child.once('exit', (code) => reject(new Error(`netem shim exited with ${code}: ${stderr}`)));
    });
    lines.on('line', (line) => replies.shift()?.(line));
    const ready = JSON.parse(await firstLine) as { ready?: unknown };
    if (!ready.ready) throw new Error(`netem shim: unexpected first line ${JSON.stringify(ready)}`);
    const ask = (command: string): Promise<string> =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`netem shim is gone: ${stderr}`));
        replies.push(resolve);
        child.stdin.write(`${command}\n`);
      });

    return {
      namespaces: ns,
      addresses,
      set: async (nextLoss, nextDelay) => {
        const answer = JSON.parse(await ask(`set loss=${nextLoss} delay=${nextDelay}`)) as { ok: boolean };
        if (!answer.ok) throw new Error('netem shim refused the setting');
      },
      stats: async () => JSON.parse(await ask('stats')) as ShimStats,
      ping: async (count, intervalS = 0.02) => {
        const out = await run('ip', ['netns', 'exec', ns.customer, 'ping', '-n', '-q', '-c', String(count), '-i', String(intervalS), '-W', '2', addresses.technician]).then(
          (r) => r.stdout,
          (err: { stdout?: string }) => err.stdout ?? '',
        );
        return parsePing(out);
      },
      close: async () => {
        if (child.exitCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.stdin.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await deleteAll();
      },
    };
  } catch (error) {
    shim?.kill('SIGKILL');
    for (const n of made) await n.destroy();
    throw error;
  }
}

/** Reads ping's summary lines ("N packets transmitted, M received", "rtt min/avg/max/mdev = a/b/c/d ms"). */
export function parsePing(out: string): PingResult {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(out);
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(out);
  const sent = Number(counts?.[1] ?? 0);
  const received = Number(counts?.[2] ?? 0);
  return {
    sent,
    received,
    lossPct: sent > 0 ? (100 * (sent - received)) / sent : 100,
    rttMinMs: Number(rtt?.[1] ?? NaN),
    rttAvgMs: Number(rtt?.[2] ?? NaN),
    rttMaxMs: Number(rtt?.[3] ?? NaN),
  };
}

/** The command line that runs `argv` in namespace `ns` (ip netns exec keeps the IPC channel's file descriptor). */
export function inNamespace(ns: string, argv: string[]): { command: string; args: string[] } {
  return { command: 'ip', args: ['netns', 'exec', ns, ...argv] };
}
