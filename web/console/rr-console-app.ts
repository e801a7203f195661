import { LitElement, html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import { ConsoleModel } from './console-model.ts';
import { navFor, viewFromHash, type ConsoleView } from './console-nav.ts';
import './rr-login.ts';
import './rr-first-run.ts';
import './rr-session-queue.ts';
import './rr-session-tabs.ts';
import './adhoc/rr-adhoc-page.ts';
import { twoFactorGate } from './two-factor/two-factor-gate.ts';

/**
 * The technician console (`/console`): first-run setup or login, then a
 * navigation between Sessions (new codes, the queue, the session tabs), Ad hoc
 * support and Computers. Every page stays mounted while hidden, so open
 * sessions and connections go on when the technician looks elsewhere.
 */
@customElement('rr-console-app')
export class RrConsoleApp extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      [hidden] { display: none !important; }
      header { background: #14253a; color: #fff; padding: 0.35rem 1rem; display: flex; align-items: center; gap: 0.5rem 1rem; flex-wrap: wrap; }
      header h1 { font-size: 1.1rem; margin: 0; white-space: nowrap; }
      header button { background: transparent; color: #fff; border-color: #9fb3c8; min-height: 2.2rem; padding: 0.2rem 0.8rem; }
      nav ul { display: flex; gap: 0.25rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
      nav a { display: inline-flex; align-items: center; gap: 0.35rem; color: #dce6f0; text-decoration: none; padding: 0.4rem 0.7rem; border-radius: 0.4rem; min-height: 2.2rem; }
      nav a:hover { background: #223a56; }
      nav a[aria-current='page'] { background: #fff; color: #14253a; font-weight: 700; }
      .badge { background: #f2a900; color: #14253a; border-radius: 1rem; padding: 0 0.45rem; font-size: 0.8rem; font-weight: 700; }
      .who { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; margin-left: auto; }
      .status { font-size: 0.85rem; opacity: 0.9; }
      .sessions { display: grid; grid-template-columns: 16rem minmax(0, 1fr); gap: 0.75rem; padding: 0.75rem; align-items: start; }
      @media (max-width: 900px) {
        .sessions { grid-template-columns: minmax(0, 1fr); padding: 0.5rem; }
        /* With a session open, its tab comes first on a phone; the queue follows. */
        .sessions.open aside { order: 2; }
      }
      aside.card { padding: 0.75rem; }
      .page { padding: 0.75rem; }
      .page > .card { max-width: 64rem; }
      .notice { margin: 0.5rem 1rem 0; }
      .security { margin: 0.75rem 0.75rem 0; }
    `,
  ];

  private readonly model = new ConsoleModel();
  private readonly store = new StoreController(this, () => this.model);
  @state() private view: ConsoleView = viewFromHash(window.location.hash);
  private readonly onHash = (): void => {
    this.view = viewFromHash(window.location.hash);
  };
  /** The technician opened their two-factor settings. */
  @state() private security = false;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    void this.model.init();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
  }

  override render() {
    void this.store;
    const m = this.model;
    return html`
      <header>
        <h1>Relay Rescue console</h1>
        ${m.auth === 'in' && m.me ? this.renderNav() : nothing}
        ${m.auth === 'in' && m.me
          ? html`<div class="who">
              <span class="status" role="status" data-testid="connection">${m.connection === 'online' ? 'Online' : m.connection === 'connecting' ? 'Connecting…' : 'Offline'}</span>
              <span data-testid="me">${m.me.name}</span>
              <button aria-expanded=${this.security ? 'true' : 'false'} @click=${() => (this.security = !this.security)}>Two-factor login</button>
              <button @click=${() => void m.logout()}>Log out</button>
            </div>`
          : nothing}
      </header>
      ${m.notice ? html`<p class="notice error" role="alert">${m.notice}</p>` : nothing}
      ${this.security && m.auth === 'in' ? html`<section class="card security" aria-label="Two-factor login"><rr-two-factor-setup></rr-two-factor-setup></section>` : nothing}
      ${this.renderBody()}
    `;
  }

  private renderNav() {
    const waiting = this.model.waiting.filter((s) => s.state === 'queued').length;
    return html`<nav aria-label="Console">
      <ul>
        ${navFor(this.model.me?.isAdmin ?? false).map(
          (entry) => html`<li>
            <a href=${entry.href} aria-current=${entry.view === this.view ? 'page' : 'false'} data-testid=${`nav-${entry.view ?? entry.href.slice(1)}`}
              >${entry.label}${entry.view === 'sessions' && waiting > 0
                ? html`<span class="badge" aria-label=${`${waiting} waiting`}>${waiting}</span>`
                : nothing}</a
            >
          </li>`,
        )}
      </ul>
    </nav>`;
  }

  private renderBody() {
    const m = this.model;
    switch (m.auth) {
      case 'unknown':
        return html`<p role="status" class="notice muted">Loading…</p>`;
      case 'setup':
        return html`<rr-first-run ?allowed=${m.setupAllowed} ?busy=${m.busy} .error=${m.setupError}
          @first-run=${(e: CustomEvent<{ email: string; name: string; password: string }>) => void m.createFirstAdmin(e.detail)}></rr-first-run>`;
      case 'second-factor':
      case 'enrol':
        return twoFactorGate(m);
      case 'out':
        return html`<rr-login .error=${m.loginError} ?busy=${m.busy}
          @login=${(e: CustomEvent<{ email: string; password: string }>) => void m.login(e.detail.email, e.detail.password)}></rr-login>`;
      case 'in':
        return html`<main>
          <div class=${`sessions ${m.tabs.length > 0 ? 'open' : ''}`} ?hidden=${this.view !== 'sessions'} data-testid="page-sessions">
            <aside class="card" aria-label="New sessions and waiting customers">
              <rr-session-queue
                .sessions=${m.waiting}
                .highlight=${m.lastCreated}
                .starting=${new Set(m.starting)}
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
          </div>
          <section class="page" ?hidden=${this.view === 'sessions'} aria-label=${this.view === 'computers' ? 'Computers' : 'Ad hoc support'} data-testid="page-adhoc">
            <div class="card"><rr-adhoc-page .view=${this.view === 'computers' ? 'computers' : 'support'}></rr-adhoc-page></div>
          </section>
        </main>`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-console-app': RrConsoleApp;
  }
}
