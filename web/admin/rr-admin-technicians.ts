import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AdminTechnician } from '../../protocol/admin.ts';
import { printable } from '../shared/printable.ts';
import { confirmAction } from '../shared/rr-confirm-dialog.ts';
import { StoreController } from '../shared/store.ts';
import { baseStyles, formatTime } from '../shared/styles.ts';
import { formStyles, tableStyles } from './admin-styles.ts';
import { TechniciansModel } from './technicians-model.ts';

/** The account whose new password the dialog asks for. */
type Pending = { technician: AdminTechnician } | null;

/** The technicians tab: add an account, and per account disable/enable, reset password or two-factor login, change the role, delete. */
@customElement('rr-admin-technicians')
export class RrAdminTechnicians extends LitElement {
  static override styles = [
    baseStyles,
    tableStyles,
    formStyles,
    css`
      :host { display: block; }
      section + section { margin-top: 1.2rem; }
      dialog { border: 1px solid #d5dbe1; border-radius: 0.6rem; max-width: min(28rem, 92vw); }
      dialog form { display: flex; flex-direction: column; gap: 0.5rem; }
    `,
  ];

  @property({ attribute: false }) model = new TechniciansModel();
  /** The logged-in administrator (their own row cannot disable, delete or demote itself). */
  @property() selfId = '';
  private readonly store = new StoreController(this, () => this.model);
  @state() private pending: Pending = null;
  @state() private draft = { email: '', name: '', password: '', isAdmin: false };
  @state() private newPassword = '';
  @query('dialog') private dialog!: HTMLDialogElement;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.model.loaded) void this.model.load();
  }

  override render() {
    void this.store;
    const m = this.model;
    return html`
      <section aria-labelledby="add-title">
        <h2 id="add-title">Add a technician</h2>
        <form class="inline" @submit=${(e: Event) => void this.onCreate(e)}>
          ${this.field('new-name', 'Name', 'text', 'name', 'off')}
          ${this.field('new-email', 'Email', 'email', 'email', 'off')}
          ${this.field('new-password', 'First password (10+ characters)', 'password', 'password', 'new-password')}
          <label class="check"><input type="checkbox" .checked=${this.draft.isAdmin}
            @change=${(e: Event) => (this.draft = { ...this.draft, isAdmin: (e.target as HTMLInputElement).checked })} /> Administrator</label>
          <button type="submit" class="primary" ?disabled=${m.busy}>Add technician</button>
        </form>
      </section>
      <div role="status" data-testid="technicians-notice">${m.notice ? html`<p>${m.notice}</p>` : nothing}</div>
      <div role="alert" data-testid="technicians-error">${m.error ? html`<p class="error">${m.error}</p>` : nothing}</div>
      <section aria-labelledby="list-title">
        <h2 id="list-title">Technicians (${m.technicians.length})</h2>
        <table data-testid="technicians">
          <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Two-factor</th><th>Status</th><th>Added</th><th>Actions</th></tr></thead>
          <tbody>${m.technicians.map((t) => this.renderRow(t))}</tbody>
        </table>
      </section>
      <dialog aria-labelledby="dialog-title" @close=${() => (this.pending = null)}>${this.renderDialog()}</dialog>
    `;
  }

  private field(id: string, label: string, type: string, key: 'email' | 'name' | 'password', autocomplete: string) {
    return html`<div class="field"><label for=${id}>${label}</label>
      <input id=${id} type=${type} required autocomplete=${autocomplete} .value=${this.draft[key]}
        @input=${(e: Event) => (this.draft = { ...this.draft, [key]: (e.target as HTMLInputElement).value })} /></div>`;
  }

  private renderRow(t: AdminTechnician) {
    const m = this.model;
    const name = printable(t.name);
    const self = t.id === this.selfId;
    return html`<tr data-testid="technician-row" data-email=${t.email}>
      <td data-label="Name">${name}${self ? html` <span class="muted">(you)</span>` : nothing}</td>
      <td data-label="Email" class="mono">${printable(t.email)}</td>
      <td data-label="Role">${t.isAdmin ? 'Administrator' : 'Technician'}</td>
      <td data-label="Two-factor"><span class="badge ${t.twoFactor ? 'on' : ''}">${t.twoFactor ? 'On' : 'Off'}</span></td>
      <td data-label="Status"><span class="badge ${t.disabled ? 'off' : 'on'}" data-testid="technician-status">${t.disabled ? 'Disabled' : 'Enabled'}</span></td>
      <td data-label="Added">${new Date(t.createdAt).toLocaleDateString()} ${formatTime(t.createdAt)}</td>
      <td class="actions">
        <button ?disabled=${m.busy || self} aria-label=${`${t.disabled ? 'Enable' : 'Disable'} ${name}`}
          @click=${() => void m.setDisabled(t, !t.disabled)}>${t.disabled ? 'Enable' : 'Disable'}</button>
        <button ?disabled=${m.busy} aria-label=${`Reset password of ${name}`} @click=${() => this.open({ technician: t })}>Reset password</button>
        <button ?disabled=${m.busy || !t.twoFactor} aria-label=${`Reset two-factor login of ${name}`} @click=${() => void m.resetTwoFactor(t)}>Reset 2FA</button>
        <button ?disabled=${m.busy || (self && t.isAdmin)} aria-label=${t.isAdmin ? `Make ${name} a technician` : `Make ${name} an administrator`}
          @click=${() => void m.setAdmin(t, !t.isAdmin)}>${t.isAdmin ? 'Make technician' : 'Make admin'}</button>
        <button class="danger" ?disabled=${m.busy || self} aria-label=${`Delete ${name}`} @click=${() => void this.confirmDelete(t)}>Delete</button>
      </td>
    </tr>`;
  }

  private renderDialog() {
    const p = this.pending;
    if (!p) return nothing;
    const name = printable(p.technician.name);
    return html`<form method="dialog" @submit=${(e: SubmitEvent) => void this.onDialog(e)}>
      <h2 id="dialog-title">New password for ${name}</h2>
      <div class="field"><label for="reset-password">New password (10+ characters)</label>
        <input id="reset-password" type="password" autocomplete="new-password" required minlength="10" .value=${this.newPassword}
          @input=${(e: Event) => (this.newPassword = (e.target as HTMLInputElement).value)} /></div>
      <p class="muted">Their logins end; tell them the new password another way.</p>
      <div class="row"><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="ok">Set password</button></div>
    </form>`;
  }

  private open(pending: Pending): void {
    this.pending = pending;
    this.newPassword = '';
    void this.updateComplete.then(() => this.dialog.showModal());
  }

  private async onDialog(e: SubmitEvent): Promise<void> {
    const p = this.pending;
    const confirmed = (e.submitter as HTMLButtonElement | null)?.value === 'ok';
    if (!p || !confirmed) return;
    await this.model.resetPassword(p.technician, this.newPassword);
  }

  private async confirmDelete(t: AdminTechnician): Promise<void> {
    const name = printable(t.name);
    const ok = await confirmAction({
      title: `Delete ${name}?`,
      body: `${printable(t.email)} can no longer log in. Their sessions stay in the audit trail.`,
      confirmLabel: `Delete ${name}`,
    });
    if (ok) await this.model.remove(t);
  }

  private async onCreate(e: Event): Promise<void> {
    e.preventDefault();
    if (await this.model.create({ ...this.draft, email: this.draft.email.trim(), name: this.draft.name.trim() })) {
      this.draft = { email: '', name: '', password: '', isAdmin: false };
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-admin-technicians': RrAdminTechnicians;
  }
}
