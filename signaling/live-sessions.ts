import { hash } from 'node:crypto';
import type { LiveSessionRows } from './store/types.ts';
import type { Session, TechnicianIdentity } from './session.ts';
import type { SecretBox } from './two-factor/secret-box.ts';

/** SHA-256 of a customer token: the registry and the database keep only this. */
export const tokenDigest = (token: string): string => hash('sha256', token, 'hex');

/**
 * What a restarted server needs to bring back a session a customer has joined:
 * who runs it, the customer's token digest (never the token), whether it was
 * activated. Written when a code is entered and when a session is activated,
 * removed when it closes, so a SIGKILL leaves exactly the live ones behind.
 */
export interface LiveSessionRecord {
  id: string;
  technician: TechnicianIdentity;
  tokenDigest: string;
  customer: NonNullable<Session['customer']>;
  forceRelay: boolean;
  createdAt: number;
  activated: boolean;
}

/** A code nobody has entered yet, as a restarted server gets it back (`code` null: its seal did not open). */
export interface PendingCodeRecord {
  id: string;
  technician: TechnicianIdentity;
  forceRelay: boolean;
  createdAt: number;
  code: string | null;
  codeExpiresAt: number;
}

/**
 * The rows as stored. A code is never stored in plain: a pending code as
 * `codeSealed`, the code a joined customer used as `customerCodeSealed`
 * (AES-256-GCM under CODE_KEY_FILE, the session id as associated data, so a
 * sealed code copied into another session's row does not open).
 */
type StoredRecord =
  | ({ kind?: 'joined'; customerCodeSealed?: string } & LiveSessionRecord)
  | ({ kind: 'pending'; codeSealed: string } & Omit<PendingCodeRecord, 'code'>);

/**
 * The live PIN sessions in the server's store (not for an in-memory SQLite,
 * which a restart cannot read): sessions a customer joined, and pending codes.
 * Writes are ordered commands (store/types.ts).
 */
export class LiveSessions {
  /**
   * Each session's code as sealed last: a session's pending code and the code its customer used are the
   * same code under the same session id, so it is sealed once per session, not at each of its three
   * saves (the AES-GCM seals were 2.5% of the server's time under the signaling bench).
   */
  private readonly sealed = new WeakMap<Session, { code: string; sealed: string }>();

  constructor(
    private readonly rows: LiveSessionRows,
    private readonly box: SecretBox,
  ) {}

  /** Stores the session as it is now: a pending code, or a joined session (anything else has nothing to keep). */
  save(session: Session): void {
    const state = session.lifecycle.state;
    if (state === 'pending' && session.code !== null && session.codeExpiresAt !== null) {
      const record: StoredRecord = {
        kind: 'pending',
        id: session.id,
        technician: session.technician,
        forceRelay: session.forceRelay,
        createdAt: session.createdAt,
        codeSealed: this.seal(session, session.code),
        codeExpiresAt: session.codeExpiresAt,
      };
      this.rows.save(session.id, JSON.stringify(record));
      return;
    }
    if (session.tokenDigest === null || session.customer === null) return;
    const record: StoredRecord = {
      id: session.id,
      technician: session.technician,
      tokenDigest: session.tokenDigest,
      customer: { ...session.customer, code: '' },
      customerCodeSealed: this.seal(session, session.customer.code),
      forceRelay: session.forceRelay,
      createdAt: session.createdAt,
      activated: state === 'active' || state === 'suspended',
    };
    this.rows.save(session.id, JSON.stringify(record));
  }

  private seal(session: Session, code: string): string {
    const last = this.sealed.get(session);
    if (last?.code === code) return last.sealed;
    const sealed = this.box.seal(code, session.id);
    this.sealed.set(session, { code, sealed });
    return sealed;
  }

  forget(sessionId: string): void {
    this.rows.forget(sessionId);
  }

  /** Every record left by the last run (a record that does not parse is dropped). */
  async all(): Promise<{ joined: LiveSessionRecord[]; pending: PendingCodeRecord[] }> {
    const joined: LiveSessionRecord[] = [];
    const pending: PendingCodeRecord[] = [];
    for (const row of await this.rows.all()) {
      let stored: StoredRecord;
      try {
        stored = JSON.parse(row.record) as StoredRecord;
      } catch {
        this.forget(row.id);
        continue;
      }
      if (stored.kind === 'pending') {
        const { kind: _kind, codeSealed, ...rest } = stored;
        pending.push({ ...rest, code: this.open(codeSealed, stored.id) });
        continue;
      }
      const { kind: _kind, customerCodeSealed, ...record } = stored;
      // Rows of an older run hold the used code in plain; they are rewritten sealed at the next save.
      const code = customerCodeSealed === undefined ? record.customer.code : (this.open(customerCodeSealed, record.id) ?? '');
      joined.push({ ...record, customer: { ...record.customer, code } });
    }
    return { joined, pending };
  }

  private open(sealed: string, sessionId: string): string | null {
    try {
      return this.box.open(sealed, sessionId);
    } catch {
      return null;
    }
  }
}
