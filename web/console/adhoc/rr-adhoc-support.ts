import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { generatePassword } from '../../../protocol/adhoc.ts';
import { baseStyles } from '../../shared/styles.ts';
import { StoreController } from '../../shared/store.ts';
import { STEP_LABELS, type AdhocModel } from './adhoc-model.ts';

const STEPS = ['prepared', 'downloaded', 'code_entered', 'paired'] as const;

/** "Ad Hoc Support": the user's email, a strong password, send, then the one-time secrets and the live steps. */
@customElement('rr-adhoc-support')
export class RrAdhocSupport extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      form { display: grid; gap: 0.6rem; max-width: 32rem; }
      .row { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
      meter { width: 12rem; }
      .secret { font-family: ui-monospace, monospace; font-size: 1.3rem; background: #fff7d6; padding: 0.3rem 0.6rem; border-radius: 0.3rem; user-select: all; }
      ol.steps li[aria-current='step'] { font-weight: 700; }
      ol.steps li.done { color: #2e7d32; }
      .error { color: #b3261e; }
    `,
  ];

  @property({ attribute: false }) model!: AdhocModel;
  @state() private password = '';
  @state() private email = '';
  private readonly store = new StoreController(this, () => this.model);

  override render() {
    void this.store;
    const m = this.model;
    const live = m.live;
    const strength = m.strength(this.password);
    return html`
      <h2>Ad Hoc Support</h2>
      ${m.error ? html`<p class="error" role="alert">${m.error}</p>` : nothing}
      ${live
        ? this.renderLive(live.adhocId, live.state)
        : html`<form @submit=${(e: Event) => this.submit(e)}>
            <label>User's email address <input type="email" required .value=${this.email} @input=${(e: InputEvent) => (this.email = (e.target as HTMLInputElement).value)} /></label>
            <label>Password for the computer (only you will know it)
              <input type="text" autocomplete="off" spellcheck="false" required .value=${this.password}
                @input=${(e: InputEvent) => (this.password = (e.target as HTMLInputElement).value)} /></label>
            <div class="row">
              <meter min="0" max="4" low="2" high="3" optimum="4" .value=${this.password ? strength.score : 0} aria-label="Password strength"></meter>
              <span aria-live="polite">${this.password ? (strength.ok ? 'Strong enough' : strength.problems.join(' ')) : ''}</span>
              <button type="button" @click=${() => (this.password = generatePassword((b) => crypto.getRandomValues(b)))}>Generate</button>
            </div>
            <button class="primary" type="submit" ?disabled=${m.busy || !strength.ok || !this.email}>Send email and prepare session</button>
          </form>`}
    `;
  }

  private renderLive(adhocId: string, current: (typeof STEPS)[number] | 'ended' | 'expired') {
    const m = this.model;
    const secret = m.oneTime?.adhocId === adhocId ? m.oneTime : null;
    const at = STEPS.indexOf(current as (typeof STEPS)[number]);
    return html`
      ${secret
        ? html`<section aria-label="Shown once">
            <p><strong>Write these down now; they are shown only once.</strong></p>
            ${secret.password ? html`<p>Password: <span class="secret">${secret.password}</span></p>` : nothing}
            <p>Security code (tell the user): <span class="secret" data-testid="security-code">${secret.securityCode}</span></p>
            ${secret.delivery === 'smtp'
              ? html`<p>The email with the link was sent.</p>`
              : html`<p>No email server is configured: pass this link on by hand: <span class="secret">${secret.deploymentUrl}</span></p>`}
            <button @click=${() => m.dismissSecrets()}>I have noted them</button>
          </section>`
        : nothing}
      ${m.pairingSas?.adhocId === adhocId && (current === 'code_entered' || current === 'paired')
        ? html`<p data-testid="pairing-sas">
            Security check: ask the user to read the number in their terminal. It must be
            <span class="secret">${m.pairingSas.sas}</span>. If it differs, press <em>End ad hoc session</em> now: someone is in the middle of the connection.
          </p>`
        : nothing}
      <ol class="steps" aria-label="Progress">
        ${STEPS.map((s, i) => html`<li class=${i < at ? 'done' : ''} aria-current=${i === at ? 'step' : 'false'}>${STEP_LABELS[s]}</li>`)}
      </ol>
      <div class="row">
        ${current === 'prepared' || current === 'downloaded'
          ? html`<button ?disabled=${m.busy} @click=${() => void m.newCode(adhocId)}>New security code</button>`
          : nothing}
        <button class="danger" ?disabled=${m.busy} @click=${() => void m.end(adhocId)}>End ad hoc session</button>
      </div>
    `;
  }

  private submit(e: Event): void {
    e.preventDefault();
    void this.model.prepare(this.email.trim(), this.password);
    this.password = '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-adhoc-support': RrAdhocSupport;
  }
}
