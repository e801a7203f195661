import type { ServerMessage } from '../../protocol/index.ts';
import type { Connection } from '../session.ts';
import { ReplyGate } from '../store/reply-gate.ts';
import type { NodeBus } from './node-bus.ts';

/** A socket on some node, as other nodes name it. */
export interface ConnRef {
  node: string;
  id: string;
}

/** A socket on another node: what the home node's registry sends it goes through that node's inbox, in order. */
class RemoteConnection implements Connection {
  /** What this node tells the other node's socket waits for this node's audit rows, as a local socket's replies do. */
  private readonly gate: ReplyGate<ServerMessage>;

  constructor(
    readonly ref: ConnRef,
    private readonly bus: NodeBus,
    private readonly gone: () => void,
  ) {
    this.gate = new ReplyGate((message) => this.bus.cast(this.ref.node, 'deliver', { conn: this.ref.id, message }));
  }

  send(message: ServerMessage): void {
    this.gate.send(message);
  }

  close(code: number, reason: string): void {
    this.gate.close(() => this.bus.cast(this.ref.node, 'close', { conn: this.ref.id, code, reason }));
    this.gone();
  }
}

let sequence = 0;

/**
 * This node's sockets that other nodes reach (by id), and the remote
 * connections this node's registry holds (one object per remote socket, so
 * the registry's identity checks hold).
 */
export class ConnectionTable {
  private readonly byId = new Map<string, Connection>();
  private readonly ids = new WeakMap<Connection, string>();
  private readonly remotes = new Map<string, RemoteConnection>();

  constructor(private readonly bus: NodeBus) {}

  /** The id other nodes use for a socket of this node. */
  local(conn: Connection): string {
    let id = this.ids.get(conn);
    if (id === undefined) {
      id = `c${++sequence}`;
      this.ids.set(conn, id);
      this.byId.set(id, conn);
    }
    return id;
  }

  /** Forgets a closed local socket; its id, or null if no other node knew it. */
  drop(conn: Connection): string | null {
    const id = this.ids.get(conn);
    if (id === undefined) return null;
    this.ids.delete(conn);
    this.byId.delete(id);
    return id;
  }

  remote(ref: ConnRef): Connection {
    const key = `${ref.node}/${ref.id}`;
    let conn = this.remotes.get(key);
    if (!conn) {
      conn = new RemoteConnection(ref, this.bus, () => this.remotes.delete(key));
      this.remotes.set(key, conn);
    }
    return conn;
  }

  known(ref: ConnRef): Connection | null {
    return this.remotes.get(`${ref.node}/${ref.id}`) ?? null;
  }

  forget(ref: ConnRef): void {
    this.remotes.delete(`${ref.node}/${ref.id}`);
  }

  refOf(conn: Connection): ConnRef | null {
    return conn instanceof RemoteConnection ? conn.ref : null;
  }

  isOn(conn: Connection, node: string): boolean {
    return conn instanceof RemoteConnection && conn.ref.node === node;
  }

  /** A message for one of this node's sockets from a session's home. */
  arrived(op: 'deliver' | 'close', args: Record<string, unknown>): void {
    const conn = this.byId.get(String(args.conn));
    if (!conn) return;
    if (op === 'deliver') conn.send(args.message as ServerMessage);
    else conn.close(Number(args.code), String(args.reason));
  }
}
