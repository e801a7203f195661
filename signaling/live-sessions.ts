import { createHash } from 'node:crypto';
import type { LiveSessionRows } from './store/types.ts';
import type { Session, TechnicianIdentity } from './session.ts';

/** SHA-256 of a customer token: the registry and the database keep only this. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

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

/**
 * The live PIN sessions in the server's store (not for an in-memory SQLite,
 * which a restart cannot read). Writes are ordered commands (store/types.ts).
 */
export class LiveSessions {
  constructor(private readonly rows: LiveSessionRows) {}

  save(session: Session): void {
    if (session.tokenDigest === null || session.customer === null) return;
    const state = session.lifecycle.state;
    const record: LiveSessionRecord = {
      id: session.id,
      technician: session.technician,
      tokenDigest: session.tokenDigest,
      customer: session.customer,
      forceRelay: session.forceRelay,
      createdAt: session.createdAt,
      activated: state === 'active' || state === 'suspended',
    };
    this.rows.save(session.id, JSON.stringify(record));
  }

  forget(sessionId: string): void {
    this.rows.forget(sessionId);
  }

  /** Every record left by the last run (a record that does not parse is dropped). */
  async all(): Promise<LiveSessionRecord[]> {
    const records: LiveSessionRecord[] = [];
    for (const row of await this.rows.all()) {
      try {
        records.push(JSON.parse(row.record) as LiveSessionRecord);
      } catch {
        this.forget(row.id);
      }
    }
    return records;
  }
}
