import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AdminSession } from '../../protocol/admin.ts';
import { printable } from '../shared/printable.ts';
import { StoreController } from '../shared/store.ts';
import { baseStyles } from '../shared/styles.ts';
import { formStyles, tableStyles } from './admin-styles.ts';
import { AuditModel, type AuditForm } from './audit-model.ts';

const when = (at: number | null): string => (at === null ? '—' : new Date(at).toLocaleString());

/** A duration as people read it: 45 s, 12 min 5 s, 2 h 3 min. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'running';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The audit trail tab: every session with technician, customer, start, end, duration and events; search, pages, CSV. */
@customElement('rr-admin-audit')
export class RrAdminAudit extends LitElement {
  static override styles = [
    baseStyles,
    tableStyles,
    formStyles,
    css`
      :host { display: block; }
      .results { margin-top: 1rem; }
      .events { margin-top: 1rem; }
      .events ol { list-style: none; padding: 0; margin: 0.5rem 0 0; }
      .events li { border-top: 1px solid #e2e6ea; padding: 0.35rem 0; display: grid; grid-template-columns: 13rem 11rem minmax(0, 1fr); gap: 0.5rem; }
      @media (max-width: 760px) { .events li { grid-template-columns: minmax(0, 1fr); gap: 0.1rem; } }
      .search { flex: 1 1 14rem; }
    `,
  ];

  @property({ attribute: false }) model = new AuditModel();
  /** Emails for the technician filter. */
  @property({ attribute: false }) technicians: readonly string[] = [];
  private readonly store = new StoreController(this, () => this.model);
  @state() private form: AuditForm = { technician: '', from: '', to: '', q: '' };

  override connectedCallback(): void {
    super.connectedCallback();
    this.form = { ...this.model.form };
    if (!this.model.page) void this.model.search(this.form);
  }

  override render() {
    void this.store;
    const m = this.model;
    const page = m.page;
    return html`
      <form class="inline" role="search" aria-label="Search sessions" @submit=${(e: Event) => this.onSearch(e)}>
        <div class="field"><label for="f-tech">Technician</label>
          <select id="f-tech" .value=${this.form.technician} @change=${(e: Event) => this.set('technician', (e.target as HTMLSelectElement).value)}>
            <option value="">All technicians</option>
            ${this.technicians.map((email) => html`<option value=${email} ?selected=${email === this.form.technician}>${printable(email)}</option>`)}
          </select></div>
        <div class="field"><label for="f-from">From</label>
          <input id="f-from" type="date" .value=${this.form.from} @input=${(e: Event) => this.set('from', (e.target as HTMLInputElement).value)} /></div>
        <div class="field"><label for="f-to">To</label>
          <input id="f-to" type="date" .value=${this.form.to} @input=${(e: Event) => this.set('to', (e.target as HTMLInputElement).value)} /></div>
        <div class="field search"><label for="f-q">Text (address, file, reason, session id…)</label>
          <input id="f-q" type="search" .value=${this.form.q} @input=${(e: Event) => this.set('q', (e.target as HTMLInputElement).value)} /></div>
        <button type="submit" class="primary" ?disabled=${m.busy}>Search</button>
        <a href=${m.csvHref} download data-testid="csv-link">Export CSV</a>
      </form>
      <div role="alert">${m.error ? html`<p class="error">${m.error}</p>` : nothing}</div>
      <section class="results" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions ${page ? html`<span class="muted">(page ${m.pager.number})</span>` : nothing}</h2>
        ${page && page.sessions.length === 0 ? html`<p class="muted" role="status">No sessions match.</p>` : nothing}
        ${page && page.sessions.length > 0
          ? html`<table data-testid="sessions">
              <thead><tr><th>Started</th><th>Technician</th><th>Customer</th><th>Ended</th><th>Duration</th><th>Reason</th><th>Events</th></tr></thead>
              <tbody>${page.sessions.map((s) => this.renderRow(s))}</tbody>
            </table>`
          : nothing}
        ${page?.searchedBackTo != null
          ? html`<p class="muted" role="status">Searched sessions back to ${when(page.searchedBackTo)}; "Older" searches further back.</p>`
          : nothing}
        <div class="pager">
          <button ?disabled=${m.busy || !m.pager.hasNewer} @click=${() => void m.newer()}>Newer</button>
          <button ?disabled=${m.busy || !page?.next} @click=${() => void m.older()}>Older</button>
        </div>
      </section>
      ${m.selected ? this.renderEvents() : nothing}
    `;
  }

  private renderRow(s: AdminSession) {
    return html`<tr data-testid="session-row" data-session=${s.id}>
      <td data-label="Started">${when(s.startedAt ?? s.createdAt)}${s.startedAt === null ? html` <span class="muted">(never started)</span>` : nothing}</td>
      <td data-label="Technician" class="mono">${printable(s.technicianEmail)}</td>
      <td data-label="Customer" class="mono">${s.kind === 'adhoc' ? 'ad hoc computer' : printable(s.customerAddress ?? '—')}</td>
      <td data-label="Ended">${when(s.endedAt)}</td>
      <td data-label="Duration">${formatDuration(s.durationMs)}</td>
      <td data-label="Reason">${printable(s.endReason ?? '—')}</td>
      <td data-label="Events"><button aria-label=${`Show the ${s.eventCount} events of session ${s.id}`} @click=${() => void this.show(s.id)}>${s.eventCount} events</button></td>
    </tr>`;
  }

  private renderEvents() {
    const selected = this.model.selected;
    if (!selected) return nothing;
    return html`<section class="card events" aria-labelledby="events-title">
      <div class="row" style="justify-content: space-between;">
        <h2 id="events-title">Session <span class="mono">${selected.session.id}</span></h2>
        <button @click=${() => this.model.close()}>Close events</button>
      </div>
      <ol data-testid="session-events">
        ${selected.events.map(
          (e) => html`<li><span>${when(e.at)}</span><strong>${e.event}</strong><span>${printable(e.actor.label)}${e.detail ? html` · ${printable(e.detail)}` : nothing}</span></li>`,
        )}
      </ol>
    </section>`;
  }

  /** Opens a session's events and brings them into view (they sit below the page of sessions). */
  private async show(sessionId: string): Promise<void> {
    await this.model.open(sessionId);
    await this.updateComplete;
    this.renderRoot.querySelector('.events')?.scrollIntoView({ block: 'nearest' });
  }

  private set(key: keyof AuditForm, value: string): void {
    this.form = { ...this.form, [key]: value };
  }

  private onSearch(e: Event): void {
    e.preventDefault();
    void this.model.search({ ...this.form });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-admin-audit': RrAdminAudit;
  }
}
