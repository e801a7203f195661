import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { MAX_LOGIN_SESSION_HOURS, type RuntimeSettingsValues } from '../../protocol/admin.ts';
import { StoreController } from '../shared/store.ts';
import { baseStyles } from '../shared/styles.ts';
import { formStyles } from './admin-styles.ts';
import { SettingsModel } from './settings-model.ts';

/** The settings tab: seats, requiring two-factor login, login lifetime; and the environment's values, read-only. */
@customElement('rr-admin-settings')
export class RrAdminSettings extends LitElement {
  static override styles = [
    baseStyles,
    formStyles,
    css`
      :host { display: block; }
      form { display: flex; flex-direction: column; gap: 0.8rem; max-width: 32rem; }
      .hint { font-size: 0.85rem; }
      dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 1rem; margin: 0.5rem 0 0; }
      dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
      section + section { margin-top: 1.4rem; }
    `,
  ];

  @property({ attribute: false }) model = new SettingsModel();
  private readonly store = new StoreController(this, () => this.model);
  @state() private draft: RuntimeSettingsValues | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.model.load().then(() => (this.draft = this.model.settings && { ...this.model.settings }));
  }

  override render() {
    void this.store;
    const m = this.model;
    const d = this.draft;
    const f = m.facts;
    return html`
      <section aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <p class="muted">These apply at once, on every server that uses this database.</p>
        ${d
          ? html`<form @submit=${(e: Event) => this.onSave(e)}>
              <div class="field">
                <label for="s-seats">Seats (technicians with a console open at once)</label>
                <div class="row">
                  <input id="s-seats" type="number" min="0" step="1" .value=${d.seats === null ? '' : String(d.seats)} ?disabled=${d.seats === null}
                    @input=${(e: Event) => this.set({ seats: Number((e.target as HTMLInputElement).value) })} />
                  <label class="check"><input type="checkbox" .checked=${d.seats === null}
                    @change=${(e: Event) => this.set({ seats: (e.target as HTMLInputElement).checked ? null : (m.settings?.seats ?? 5) })} /> Unlimited</label>
                </div>
              </div>
              <label class="check"><input type="checkbox" .checked=${d.require2fa} @change=${(e: Event) => this.set({ require2fa: (e.target as HTMLInputElement).checked })} />
                Require two-factor login for every account</label>
              <span class="muted hint">Accounts without it must set it up at their next login before the console opens.</span>
              <div class="field">
                <label for="s-hours">Login lifetime (hours, for new logins)</label>
                <input id="s-hours" type="number" min="1" max=${MAX_LOGIN_SESSION_HOURS} step="1" .value=${String(d.loginSessionHours)}
                  @input=${(e: Event) => this.set({ loginSessionHours: Number((e.target as HTMLInputElement).value) })} />
              </div>
              <div class="row"><button type="submit" class="primary" ?disabled=${m.busy}>Save settings</button>
                <span role="status">${m.saved ? 'Saved.' : ''}</span></div>
            </form>`
          : html`<p class="muted" role="status">Loading…</p>`}
        <div role="alert">${m.error ? html`<p class="error">${m.error}</p>` : nothing}</div>
      </section>
      ${f
        ? html`<section aria-labelledby="facts-title">
            <h2 id="facts-title">Set at start (environment)</h2>
            <p class="muted">Change these in the server's environment and restart (docs/configuration.md).</p>
            <dl>
              <dt>Public URL</dt><dd>${f.publicUrl}</dd>
              <dt>TURN relay</dt><dd>${f.turnConfigured ? 'configured' : 'not configured'}${f.forceRelay ? ', relay forced' : ''}</dd>
              <dt>Code lifetime</dt><dd>${f.codeTtlSeconds} s</dd>
              <dt>Reconnect grace</dt><dd>${f.reconnectGraceSeconds} s</dd>
              <dt>Login lockout</dt><dd>after ${f.loginLockoutAfter} failures, for ${f.loginLockoutSeconds} s</dd>
            </dl>
          </section>`
        : nothing}
    `;
  }

  private set(patch: Partial<RuntimeSettingsValues>): void {
    if (this.draft) this.draft = { ...this.draft, ...patch };
    this.model.saved = false;
  }

  private onSave(e: Event): void {
    e.preventDefault();
    if (this.draft) void this.model.save(this.draft);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-admin-settings': RrAdminSettings;
  }
}
