import { LitElement, html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import { ConsoleModel } from './console-model.ts';
import './rr-login.ts';
import './rr-session-queue.ts';
import './rr-session-tabs.ts';
import './adhoc/rr-adhoc-page.ts';
import { twoFactorGate } from './two-factor/two-factor-gate.ts';

/** The technician console (`/console`): login, new codes, the queue and the session tabs. */
@customElement('rr-console-app')
export class RrConsoleApp extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      header { background: #14253a; color: #fff; padding: 0.5rem 1rem; display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; }
      header h1 { font-size: 1.2rem; margin: 0; }
      header button { background: transparent; color: #fff; border-color: #9fb3c8; }
      .who { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
      .status { font-size: 0.85rem; opacity: 0.9; }
      main { display: grid; grid-template-columns: 20rem minmax(0, 1fr); gap: 1rem; padding: 1rem; align-items: start; }
      @media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); padding: 0.6rem; } }
      .notice { margin: 0.5rem 1rem 0; }
      .adhoc { margin: 0 1rem 1rem; }
      header a { color: #fff; }
      .security { margin: 1rem 1rem 0; }
    `,
  ];

  private readonly model = new ConsoleModel();
  private readonly store = new StoreController(this, () => this.model);
  /** The technician opened their two-factor settings. */
  @state() private security = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.model.init();
  }

  override render() {
    void this.store;
    const m = this.model;
    return html`
      <header>
        <h1>Relay Rescue console</h1>
        ${m.auth === 'in' && m.me
          ? html`<div class="who">
              <span class="status" role="status" data-testid="connection">${m.connection === 'online' ? 'Online' : m.connection === 'connecting' ? 'Connecting…' : 'Offline'}</span>
              <span data-testid="me">${m.me.name}</span>
              ${m.me.isAdmin ? html`<a href="/admin">Administration</a>` : nothing}
              <button aria-expanded=${this.security ? 'true' : 'false'} @click=${() => (this.security = !this.security)}>Two-factor login</button>
              <button @click=${() => void m.logout()}>Log out</button>
            </div>`
          : nothing}
      </header>
      ${m.notice ? html`<p class="notice error" role="alert">${m.notice}</p>` : nothing}
      ${this.security && m.auth === 'in' ? html`<section class="card security" aria-label="Two-factor login"><rr-two-factor-setup></rr-two-factor-setup></section>` : nothing}
      ${m.auth === 'unknown'
        ? html`<p role="status" class="notice muted">Loading…</p>`
        : m.auth === 'second-factor' || m.auth === 'enrol'
          ? twoFactorGate(m)
          : m.auth === 'out'
          ? html`<rr-login .error=${m.loginError} ?busy=${m.busy}
              @login=${(e: CustomEvent<{ email: string; password: string }>) => void m.login(e.detail.email, e.detail.password)}></rr-login>`
          : html`<main>
              <aside class="card">
                <rr-session-queue
                  .sessions=${m.waiting}
                  .highlight=${m.lastCreated}
                  ?disabled=${m.connection !== 'online'}
                  @create-session=${(e: CustomEvent<{ forceRelay: boolean }>) => void m.createSession(e.detail.forceRelay)}
                  @start-session=${(e: CustomEvent<{ sessionId: string }>) => void m.start(e.detail.sessionId)}
                  @cancel-session=${(e: CustomEvent<{ sessionId: string }>) => void m.cancel(e.detail.sessionId)}
                ></rr-session-queue>
              </aside>
              <section aria-label="Sessions">
                <rr-session-tabs
                  .tabs=${[...m.tabs]}
                  .selected=${m.selected}
                  @select-tab=${(e: CustomEvent<{ sessionId: string }>) => m.select(e.detail.sessionId)}
                  @close-tab=${(e: CustomEvent<{ sessionId: string }>) => m.closeTab(e.detail.sessionId)}
                ></rr-session-tabs>
              </section>
            </main>
            <section class="card adhoc" aria-label="Ad hoc support"><rr-adhoc-page></rr-adhoc-page></section>`}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-console-app': RrConsoleApp;
  }
}
