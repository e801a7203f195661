import type { Db } from '../../signaling/db.ts';

/**
 * Fills a database with `sessions` finished support sessions and their events
 * (8 each: code entered, activated, permissions, a file, the path, the end), as
 * a year of a busy help-desk would leave them. Deterministic, so a bench and a
 * test see the same rows. Used by bench/admin-audit.ts and the audit paging test.
 */
export function seedAuditTrail(db: Db, input: { sessions: number; technicians?: number; start?: number; spanMs?: number }): { start: number; end: number; emails: string[] } {
  const technicians = input.technicians ?? 20;
  const start = input.start ?? Date.UTC(2026, 0, 1);
  const span = input.spanMs ?? 365 * 86_400_000;
  const emails = Array.from({ length: technicians }, (_, i) => `tech${i}@helpdesk.test`);
  const insertSession = db.prepare(
    `INSERT INTO sessions (id, kind, technician_id, technician_email, created_at, started_at, ended_at, end_reason, force_relay, customer_address)
     VALUES (?, 'pin', ?, ?, ?, ?, ?, ?, 0, ?)`,
  );
  const insertEvent = db.prepare(
    'INSERT INTO audit_events (session_id, at, event, actor_kind, actor_id, actor_label, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  db.transaction(() => {
    for (let i = 0; i < input.sessions; i++) {
      const id = `seed${String(i).padStart(8, '0')}`;
      const tech = Math.floor(random() * technicians);
      const email = emails[tech] ?? 'tech0@helpdesk.test';
      const techId = `tech-id-${tech}`;
      const created = start + Math.floor((i / input.sessions) * span);
      const started = created + 30_000 + Math.floor(random() * 60_000);
      const ended = started + 60_000 + Math.floor(random() * 3_600_000);
      const address = `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
      const reason = random() < 0.9 ? 'technician_ended' : 'customer_lost';
      insertSession.run(id, techId, email, created, started, ended, reason, address);
      const events: [number, string, string, string | null, string, string][] = [
        [created + 1, 'session.created', 'technician', techId, email, ''],
        [created + 20_000, 'code.entered', 'customer', null, 'customer', `client=browser address=${address}`],
        [started, 'session.activated', 'technician', techId, email, ''],
        [started + 5_000, 'permission.requested', 'technician', techId, email, 'view'],
        [started + 8_000, 'permission.granted', 'customer', null, 'customer', 'view'],
        [started + 60_000, 'file.sent', 'technician', techId, email, `name=report-${i}.pdf size=${Math.floor(random() * 1e7)}`],
        [started + 1_000, 'connection.path', 'technician', techId, email, random() < 0.2 ? 'relay' : 'direct'],
        [ended, 'session.ended', 'technician', techId, email, reason],
      ];
      for (const [at, event, kind, actorId, label, detail] of events) insertEvent.run(id, at, event, kind, actorId, label, detail);
    }
  })();
  return { start, end: start + span, emails };
}
