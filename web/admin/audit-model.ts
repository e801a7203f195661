import type { AdminSession, SessionPage } from '../../protocol/admin.ts';
import { adminApi, auditQuery, type AuditEventView, type AuditFilters } from './admin-api.ts';
import { PagedStore } from './keyset-pager.ts';

/** The filters as the form holds them: dates as YYYY-MM-DD in the admin's own time zone, both inclusive. */
export interface AuditForm {
  technician: string;
  from: string;
  to: string;
  q: string;
}

const localDay = (text: string, plusDays = 0): number | undefined => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays).getTime();
};

/** The form as API filters: the `to` day is included, so the range ends at the next local midnight. */
export function filtersOf(form: AuditForm): AuditFilters {
  const from = localDay(form.from);
  const to = localDay(form.to, 1);
  return {
    ...(form.technician ? { technician: form.technician } : {}),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(form.q.trim() ? { q: form.q.trim() } : {}),
  };
}

/** The audit trail tab: search, keyset pages, one session's events. UI-free. */
export class AuditModel extends PagedStore<SessionPage> {
  form: AuditForm = { technician: '', from: '', to: '', q: '' };
  selected: { session: AdminSession; events: AuditEventView[] } | null = null;
  private filters: AuditFilters = {};

  /** The CSV of everything the current search matches (all pages). */
  get csvHref(): string {
    return `/api/admin/sessions.csv${auditQuery(this.filters)}`;
  }

  async search(form: AuditForm = this.form): Promise<void> {
    this.form = form;
    this.filters = filtersOf(form);
    this.selected = null;
    await this.reload();
  }

  async open(sessionId: string): Promise<void> {
    await this.run(async () => {
      this.selected = await adminApi.session(sessionId);
    });
  }

  close(): void {
    this.selected = null;
    this.changed();
  }

  protected fetchPage(cursor: string | undefined): Promise<SessionPage> {
    return adminApi.sessions(this.filters, cursor);
  }

}
