/**
 * A support session across two network namespaces: the technician's end and
 * the signaling server in one, the customer's end (the agent's engine) in the
 * other, joined by one veth pair the test can take down. Each end is
 * test/faults/lib/netns-peer.ts in its own process, driven over IPC.
 */
import type { ChildProcess } from 'node:child_process';
import { createNetns, vethPair, type VethLink } from '../../../testkit/netns.ts';
import type { Permission } from '../../../protocol/permissions.ts';

type Reply = { id: number; ok: boolean; value?: unknown; error?: string };
type Event = { event: string; data: unknown };

/** One end's process: `call` a command, listen to its events. */
export class PeerChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(e: Event) => void>();

  constructor(
    readonly role: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw) => {
      const msg = raw as Reply | Event;
      if ('event' in msg) {
        for (const listener of this.listeners) listener(msg);
        return;
      }
      const waiter = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) waiter?.resolve(msg.value);
      else waiter?.reject(new Error(`${role}: ${msg.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${role} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  call<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.role} ${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args });
    });
  }

  /** The next event `name` whose data passes `match`. */
  next<T = unknown>(name: string, match: (data: T) => boolean = () => true, timeoutMs = 60_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.role}: no ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: Event): void => {
        if (e.event !== name || !match(e.data as T)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(e.data as T);
      };
      this.listeners.add(listener);
    });
  }
}

export interface LinkedSession {
  link: VethLink;
  tech: PeerChild;
  cust: PeerChild;
}

/** Server timings: a short grace and heartbeat keep the scenarios short. */
export type LinkedOptions = { graceSeconds: number; heartbeatMs: number; grant: readonly Permission[] };

async function startChild(ns: Awaited<ReturnType<typeof createNetns>>, role: string): Promise<PeerChild> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', 'test/faults/lib/netns-peer.ts', role], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env },
  });
  const peer = new PeerChild(role, child);
  await peer.next('ready', () => true, 60_000);
  return peer;
}

/** Namespaces, the link, both ends up, the session active and `grant`ed (asked by the technician, answered yes). */
export async function linkedSession(options: LinkedOptions): Promise<LinkedSession> {
  const [custNs, techNs] = await Promise.all([createNetns('cust'), createNetns('tech')]);
  const link = await vethPair(custNs, techNs, 1);
  const [tech, cust] = await Promise.all([startChild(techNs, 'technician'), startChild(custNs, 'customer')]);
  const init = await tech.call<{ code: string; wsUrl: string }>('init', { host: link.b.address, graceSeconds: options.graceSeconds, heartbeatMs: options.heartbeatMs });
  await cust.call('init', { wsUrl: init.wsUrl, code: init.code });
  await tech.call('activate');
  await tech.call('ask', { permissions: options.grant });
  return { link, tech, cust };
}
