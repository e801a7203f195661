import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { printable } from '../shared/printable.ts';
import { StoreController } from '../shared/store.ts';
import { baseStyles } from '../shared/styles.ts';
import { tableStyles } from './admin-styles.ts';
import { ActionsModel } from './settings-model.ts';

/** The administration log: every administrative and account-security action, who did it and when. */
@customElement('rr-admin-log')
export class RrAdminLog extends LitElement {
  static override styles = [baseStyles, tableStyles, css`:host { display: block; }`];

  @property({ attribute: false }) model = new ActionsModel();
  private readonly store = new StoreController(this, () => this.model);

  override connectedCallback(): void {
    super.connectedCallback();
    void this.model.reload();
  }

  override render() {
    void this.store;
    const m = this.model;
    const actions = m.page?.actions ?? [];
    return html`
      <h2 id="log-title">Administration log ${m.page ? html`<span class="muted">(page ${m.pager.number})</span>` : nothing}</h2>
      <div role="alert">${m.error ? html`<p class="error">${m.error}</p>` : nothing}</div>
      ${m.page && actions.length === 0 ? html`<p class="muted">Nothing yet.</p>` : nothing}
      ${actions.length > 0
        ? html`<table aria-labelledby="log-title" data-testid="admin-log">
            <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Account or setting</th><th>Detail</th></tr></thead>
            <tbody>${actions.map(
              (a) => html`<tr data-testid="log-row">
                <td data-label="When">${new Date(a.at).toLocaleString()}</td>
                <td data-label="Who" class="mono">${printable(a.actorLabel)}</td>
                <td data-label="Action"><strong>${a.action}</strong></td>
                <td data-label="Account or setting" class="mono">${printable(a.target)}</td>
                <td data-label="Detail">${printable(a.detail)}</td>
              </tr>`,
            )}</tbody>
          </table>`
        : nothing}
      <div class="pager">
        <button @click=${() => void m.reload()} ?disabled=${m.busy}>Refresh</button>
        <button ?disabled=${m.busy || !m.pager.hasNewer} @click=${() => void m.newer()}>Newer</button>
        <button ?disabled=${m.busy || !m.page?.next} @click=${() => void m.older()}>Older</button>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-admin-log': RrAdminLog;
  }
}
