import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AdhocSummary } from '../../../protocol/adhoc.ts';
import { baseStyles } from '../../shared/styles.ts';
import { StoreController } from '../../shared/store.ts';
import type { AdhocModel } from './adhoc-model.ts';
import { confirmAction } from '../../shared/rr-confirm-dialog.ts';

const computerName = (s: AdhocSummary): string => s.computerName ?? `${s.email}'s computer`;

/** "Computers": the "Ad Hoc Support Sessions" group, with Connect (asks for the password) and End. */
@customElement('rr-adhoc-computers')
export class RrAdhocComputers extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
      td.actions { display: flex; gap: 0.4rem; flex-wrap: wrap; align-items: flex-end; }
      td.actions form { display: flex; gap: 0.4rem; flex-wrap: wrap; align-items: flex-end; }
      td.actions label { display: grid; gap: 0.2rem; }
      td.actions input { width: 12rem; max-width: 100%; }
      /* A phone: each computer is a card, the column names before the values. */
      @media (max-width: 640px) {
        thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        table, tbody, tr, td { display: block; width: 100%; }
        tr { border: 1px solid #d0d7de; border-radius: 0.5rem; padding: 0.5rem; margin-bottom: 0.6rem; }
        td { border: none; padding: 0.2rem 0; }
        td[data-label]::before { content: attr(data-label) ': '; font-weight: 600; }
        td.actions { display: flex; }
      }
      .online { color: #2e7d32; } .offline { color: #6b7280; }
      video { width: 100%; max-height: 70vh; background: #000; margin-top: 0.6rem; }
      .error { color: #b3261e; }
    `,
  ];

  @property({ attribute: false }) model!: AdhocModel;
  @state() private asking: string | null = null;
  @state() private password = '';
  private readonly store = new StoreController(this, () => this.model);

  override render() {
    void this.store;
    const m = this.model;
    const paired = m.sessions.filter((s) => s.state === 'paired');
    return html`
      <h2>Computers</h2>
      ${m.errorFor('computers') ? html`<p class="error" role="alert" data-testid="adhoc-error">${m.errorFor('computers')}</p>` : nothing}
      <section aria-label="Ad Hoc Support Sessions">
        <h3>Ad Hoc Support Sessions</h3>
        ${paired.length === 0
          ? html`<p>No computer is paired.</p>`
          : html`<table>
              <thead><tr><th>Computer</th><th>Status</th><th>Access until</th><th></th></tr></thead>
              <tbody>${paired.map((s) => this.row(s))}</tbody>
            </table>`}
      </section>
      ${m.connection
        ? html`<section aria-label="Connection">
            <button @click=${() => m.disconnect()}>Disconnect</button>
            ${m.remoteStream ? html`<video data-testid="adhoc-video" autoplay playsinline muted .srcObject=${m.remoteStream}></video>` : html`<p>Connected; waiting for the screen…</p>`}
          </section>`
        : nothing}
    `;
  }

  private row(s: AdhocSummary) {
    const m = this.model;
    return html`<tr>
      <td>${computerName(s)}<br /><small>${s.email}</small></td>
      <td data-label="Status" class=${s.online ? 'online' : 'offline'}>${s.online ? 'Online' : 'Offline'}</td>
      <td data-label="Access until">${new Date(s.expiresAt).toLocaleString()}</td>
      <td class="actions">
        ${this.asking === s.adhocId
          ? html`<form @submit=${(e: Event) => this.connect(e, s.adhocId)}>
              <label>Password <input type="password" autocomplete="off" required .value=${this.password}
                @input=${(e: InputEvent) => (this.password = (e.target as HTMLInputElement).value)} /></label>
              <button class="primary" type="submit" ?disabled=${m.busy}>Connect</button>
              <button type="button" @click=${() => (this.asking = null)}>Cancel</button>
            </form>`
          : html`<button class="primary" ?disabled=${!s.online || m.busy} @click=${() => (this.asking = s.adhocId)}>Connect</button>`}
        <button class="danger" ?disabled=${m.busy} @click=${() => void this.confirmEnd(s)} aria-label=${`End ad hoc support for ${computerName(s)}`}>End</button>
      </td>
    </tr>`;
  }

  /** End removes the pairing for good: ask once, saying so. */
  private async confirmEnd(s: AdhocSummary): Promise<void> {
    const name = computerName(s);
    const ok = await confirmAction({
      title: `End ad hoc support for ${name}?`,
      body: `${name} (user ${s.email}) is removed from Computers: its pairing ends, nobody can connect to it any more, and its support program deletes its files and stops. To help this user again, prepare a new ad hoc session and pair the computer again.`,
      confirmLabel: 'End and remove the pairing',
      cancelLabel: 'Keep it',
    });
    if (ok) await this.model.end(s.adhocId, 'computers');
  }

  private connect(e: Event, adhocId: string): void {
    e.preventDefault();
    const password = this.password;
    this.password = '';
    this.asking = null;
    void this.model.connect(adhocId, password);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-adhoc-computers': RrAdhocComputers;
  }
}
