import { LitElement, html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { apiCall, ApiError } from '../shared/api.ts';
import { StoreController } from '../shared/store.ts';
import { baseStyles } from '../shared/styles.ts';
import { AuditModel } from './audit-model.ts';
import { TechniciansModel } from './technicians-model.ts';
import './rr-admin-audit.ts';
import './rr-admin-log.ts';
import './rr-admin-settings.ts';
import './rr-admin-technicians.ts';

const TABS = [
  { id: 'technicians', label: 'Technicians' },
  { id: 'sessions', label: 'Audit trail' },
  { id: 'settings', label: 'Settings' },
  { id: 'log', label: 'Administration log' },
] as const;
type Tab = (typeof TABS)[number]['id'];

const tabOf = (hash: string): Tab => TABS.find((t) => `#${t.id}` === hash)?.id ?? 'technicians';

/** The administration page (`/admin`, administrators only): technicians, the audit trail, settings, the administration log. */
@customElement('rr-admin-app')
export class RrAdminApp extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      header { background: #14253a; color: #fff; padding: 0.5rem 1rem; display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; }
      header h1 { font-size: 1.2rem; margin: 0; }
      header a { color: #fff; }
      header button { background: transparent; color: #fff; border-color: #9fb3c8; }
      .who { display: flex; gap: 0.8rem; align-items: center; flex-wrap: wrap; }
      nav { display: flex; gap: 0.3rem; flex-wrap: wrap; padding: 0.8rem 1rem 0; }
      nav button { border-radius: 0.4rem 0.4rem 0 0; border-bottom: none; background: #dde4eb; }
      nav button[aria-current='page'] { background: #fff; font-weight: 600; }
      main { padding: 0 1rem 1rem; }
      main > .card { border-top-left-radius: 0; }
      @media (max-width: 760px) { nav, main { padding-left: 0.5rem; padding-right: 0.5rem; } nav button { flex: 1 1 auto; padding: 0.4rem 0.5rem; } }
    `,
  ];

  @state() private tab: Tab = tabOf(window.location.hash);
  @state() private me: { id: string; name: string } | null = null;
  @state() private problem = '';
  private readonly technicians = new TechniciansModel();
  private readonly audit = new AuditModel();
  private readonly store = new StoreController(this, () => this.technicians);
  private readonly onHash = (): void => {
    this.tab = tabOf(window.location.hash);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    apiCall<{ id: string; name: string; isAdmin: boolean }>('GET', '/api/me').then(
      (me) => (me.isAdmin ? (this.me = me) : (this.problem = 'This account is not an administrator.')),
      (error: unknown) =>
        (this.problem = error instanceof ApiError && error.status === 401 ? 'Your login has ended. Log in again in the console.' : String((error as Error).message)),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
  }

  override render() {
    void this.store;
    return html`
      <header>
        <h1>Relay Rescue administration</h1>
        <div class="who">
          <a href="/console">Back to the console</a>
          ${this.me ? html`<span data-testid="me">${this.me.name}</span><button @click=${() => void this.logout()}>Log out</button>` : nothing}
        </div>
      </header>
      ${this.problem ? html`<p class="error" role="alert" style="margin: 1rem;">${this.problem} <a href="/console">Open the console</a></p>` : nothing}
      <nav aria-label="Administration sections">
        ${TABS.map(
          (t) => html`<button aria-current=${this.tab === t.id ? 'page' : 'false'} @click=${() => this.show(t.id)}>${t.label}</button>`,
        )}
      </nav>
      <main>
        <div class="card">${this.renderTab()}</div>
      </main>
    `;
  }

  private renderTab() {
    switch (this.tab) {
      case 'technicians':
        return html`<rr-admin-technicians .model=${this.technicians} .selfId=${this.me?.id ?? ''}></rr-admin-technicians>`;
      case 'sessions':
        return html`<rr-admin-audit .model=${this.audit} .technicians=${this.technicians.technicians.map((t) => t.email)}></rr-admin-audit>`;
      case 'settings':
        return html`<rr-admin-settings></rr-admin-settings>`;
      case 'log':
        return html`<rr-admin-log></rr-admin-log>`;
    }
  }

  private show(tab: Tab): void {
    this.tab = tab;
    history.replaceState(null, '', `#${tab}`);
    if (tab === 'sessions' && !this.technicians.loaded) void this.technicians.load();
  }

  private async logout(): Promise<void> {
    await apiCall('POST', '/api/logout', {}).catch(() => undefined);
    window.location.assign('/console');
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-admin-app': RrAdminApp;
  }
}
