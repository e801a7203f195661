/**
 * Replies wait for the audit trail. A store whose writes are queued (the
 * PostgreSQL audit queue, signaling/store/pg-link.ts) registers here; a
 * message that tells a client something happened (a session's state, an ack,
 * a reply) is held while writes queued before it are not stored yet, so a
 * crash after the client heard of a step cannot lose the step's audit row
 * (docs/decisions.md). SQLite registers nothing: its writes are stored before
 * the step returns, and nothing is held. Relayed signaling (`signal`,
 * `adhoc.signal`) tells of no step: it passes, unless something is held
 * ahead of it on the same socket (order is kept).
 */
export interface WriteBarrier {
  /** Whether writes are queued that are not stored yet. */
  pending(): boolean;
  /** Resolves once every write queued before the call is stored. */
  flush(): Promise<void>;
}

const barriers = new Set<WriteBarrier>();

/** Registers a store's queue; returns the unregistration (at close). */
export function registerWriteBarrier(barrier: WriteBarrier): () => void {
  barriers.add(barrier);
  return () => barriers.delete(barrier);
}

/** A promise that resolves once every write queued so far is stored, or null when none is waiting. */
export function writesPending(): Promise<void> | null {
  if (barriers.size === 0) return null;
  const waits: Promise<void>[] = [];
  for (const barrier of barriers) if (barrier.pending()) waits.push(barrier.flush());
  if (waits.length === 0) return null;
  return waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => undefined);
}

/** Message types that relay a peer's signaling and tell of no step of their own. */
const RELAYS: ReadonlySet<string> = new Set(['signal', 'adhoc.signal']);

type Held<M> = { message: M } | { close: () => void };

/**
 * One outgoing channel's order-keeping hold (a socket, or the bus to another
 * node): `send` writes at once unless an audited write is still queued (or
 * something is held already), then it holds until the writes queued before
 * the latest held message are stored, and writes everything in order.
 */
export class ReplyGate<M extends { type: string }> {
  private held: Held<M>[] | null = null;
  private awaiting: Promise<void> | null = null;

  constructor(private readonly write: (message: M) => void) {}

  send(message: M): void {
    const wait = this.held === null && RELAYS.has(message.type) ? null : writesPending();
    if (this.held === null && wait === null) return this.write(message);
    (this.held ??= []).push({ message });
    if (wait) this.waitFor(wait);
  }

  /** Runs `close` after what is held (a socket closed after its last message). */
  close(close: () => void): void {
    if (this.held === null) return close();
    this.held.push({ close });
  }

  private waitFor(wait: Promise<void>): void {
    this.awaiting = wait;
    void wait.then(() => {
      if (this.awaiting !== wait) return;
      this.awaiting = null;
      const held = this.held ?? [];
      this.held = null;
      for (const item of held) {
        if ('close' in item) item.close();
        else this.write(item.message);
      }
    });
  }
}
