/**
 * The support app's window: the browser support page's own Lit customer
 * components (web/customer/), fed by the agent over the local WebSocket of
 * protocol/window.ts instead of an in-page engine (web/customer/window-model.ts).
 * Built by scripts/build-applet.ts into dist/agent-window/ and carried inside
 * the single executable; nothing is fetched from the network.
 */
import { LitElement, html, css, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { baseStyles } from '../../../web/shared/styles.ts';
import { StoreController } from '../../../web/shared/store.ts';
import { WindowModel } from '../../../web/customer/window-model.ts';
import '../../../web/customer/rr-customer-header.ts';
import '../../../web/customer/rr-customer-session.ts';

@customElement('rr-support-window')
export class RrSupportWindow extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
      @media (max-width: 760px) { main { padding: 0.6rem; } }
      .narrow { max-width: 34rem; margin: 2rem auto; }
      .notice { margin: 0 0 1rem; }
    `,
  ];

  private readonly model = new WindowModel(new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws')));
  private readonly store = new StoreController(this, () => this.model);

  override render() {
    void this.store;
    const m = this.model;
    return html`<rr-customer-header heading="Relay Rescue support app"></rr-customer-header>
      <main>${this.renderBody(m)}</main>`;
  }

  private renderBody(m: WindowModel) {
    if (m.ended !== null) {
      return html`<section class="card narrow" role="status" data-testid="ended">
        <h2>The session has ended</h2>
        <p>${endedText(m.ended)}</p>
        <p>The support app has closed and removed its files. You can close this window.</p>
      </section>`;
    }
    if (m.lost) {
      return html`<section class="card narrow" role="alert" data-testid="lost">
        <h2>The support app is not running</h2>
        <p>This window lost its connection to the support app. If the session should go on, start the support app again.</p>
      </section>`;
    }
    if (!m.ready) return html`<p class="card narrow" role="status">Connecting to the support app…</p>`;
    return html`${m.notice ? html`<p class="error notice" role="alert" data-testid="notice">${m.notice}</p>` : nothing}
      ${m.technicianAccount === null && m.technicianName === 'your technician'
        ? html`<p class="card" role="status">Joining the support session…</p>`
        : html`<rr-customer-session .model=${m}></rr-customer-session>`}`;
  }
}

function endedText(reason: string): string {
  if (/customer/i.test(reason)) return 'You ended the session.';
  if (/technician/i.test(reason)) return 'Your technician ended the session.';
  return `The session has ended (${reason}).`;
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-support-window': RrSupportWindow;
  }
}
