import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { generatePassword, type PasswordStrength } from '../../../protocol/adhoc.ts';
import { emailSchema } from '../../../protocol/common.ts';
import { confirmAction } from '../../shared/rr-confirm-dialog.ts';
import { baseStyles } from '../../shared/styles.ts';
import { StoreController } from '../../shared/store.ts';
import { STEP_LABELS, type AdhocModel } from './adhoc-model.ts';

const STEPS = ['prepared', 'downloaded', 'code_entered', 'paired'] as const;
const STRENGTH_WORDS: Record<PasswordStrength['score'], string> = { 0: 'Very weak', 1: 'Weak', 2: 'Fair', 3: 'Good', 4: 'Strong' };

/** "Ad Hoc Support": the user's email, a strong password, send, then the one-time secrets and the live steps. */
@customElement('rr-adhoc-support')
export class RrAdhocSupport extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      form { display: grid; gap: 0.6rem; max-width: 32rem; }
      form label { display: grid; gap: 0.25rem; }
      form input { width: 100%; }
      .row { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
      .strength { display: grid; grid-template-columns: auto minmax(6rem, 12rem) auto; gap: 0.5rem; align-items: center; }
      meter { width: 100%; }
      .why { margin: 0; font-size: 0.9rem; }
      .once { border: 2px solid #e0b400; background: #fffbea; border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 1rem; max-width: 40rem; }
      .once p { margin: 0 0 0.6rem; line-height: 1.5; }
      .secret { display: inline-block; max-width: 100%; overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 1.2rem;
        line-height: 1.4; background: #fff3bf; padding: 0.1rem 0.5rem; border-radius: 0.3rem; user-select: all; vertical-align: middle; }
      .secret.link { display: block; font-size: 0.95rem; margin-top: 0.3rem; }
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
    const missing = this.missing(strength);
    const error = m.errorFor('support');
    return html`
      <h2>Ad Hoc Support</h2>
      ${error ? html`<p class="error" role="alert" data-testid="adhoc-error">${error}</p>` : nothing}
      ${live
        ? this.renderLive(live.adhocId, live.state)
        : html`<form @submit=${(e: Event) => this.submit(e)}>
            <label>User's email address <input type="email" required .value=${this.email} @input=${(e: InputEvent) => (this.email = (e.target as HTMLInputElement).value)} /></label>
            <label>Password for the computer (only you will know it)
              <input type="text" autocomplete="off" spellcheck="false" required aria-describedby="strength-text" .value=${this.password}
                @input=${(e: InputEvent) => (this.password = (e.target as HTMLInputElement).value)} /></label>
            <div class="strength">
              <label for="strength-meter">Password strength</label>
              <meter id="strength-meter" min="0" max="4" low="2" high="3" optimum="4" .value=${this.password ? strength.score : 0}></meter>
              <span id="strength-text" aria-live="polite" data-testid="strength-text">${this.password ? (strength.ok ? 'Strong enough' : STRENGTH_WORDS[strength.score]) : 'No password yet'}</span>
            </div>
            <div class="row">
              <button type="button" @click=${() => (this.password = generatePassword((b) => crypto.getRandomValues(b)))}>Generate a strong password</button>
            </div>
            <button class="primary" type="submit" ?disabled=${m.busy || missing !== ''} aria-describedby="prepare-why">Send email and prepare session</button>
            <p id="prepare-why" class="why muted" data-testid="prepare-why">${missing}</p>
          </form>`}
    `;
  }

  /** What still stops "Send email and prepare session", in words ('' when nothing does). */
  private missing(strength: PasswordStrength): string {
    const noEmail = !emailSchema.safeParse(this.email.trim()).success;
    if (!this.password) {
      return noEmail
        ? "To send, enter the user's email address and a password for the computer (or generate one)."
        : 'To send, enter a password for the computer (or generate one).';
    }
    if (!strength.ok) return `To send, make the password stronger: ${strength.problems.join(' ')}${noEmail ? " Also enter the user's email address." : ''}`;
    return noEmail ? "To send, enter the user's email address." : '';
  }

  private renderLive(adhocId: string, current: (typeof STEPS)[number] | 'ended' | 'expired') {
    const m = this.model;
    const secret = m.oneTime?.adhocId === adhocId ? m.oneTime : null;
    const at = STEPS.indexOf(current as (typeof STEPS)[number]);
    return html`
      ${secret
        ? html`<section class="once" aria-labelledby="once-title" data-testid="shown-once">
            <p id="once-title"><strong>Write these down now; they are shown only once.</strong></p>
            ${secret.password ? html`<p>Password: <span class="secret">${secret.password}</span></p>` : nothing}
            <p>Security code (tell the user): <span class="secret" data-testid="security-code">${secret.securityCode}</span></p>
            ${secret.delivery === 'smtp'
              ? html`<p>The email with the link was sent.</p>`
              : html`<p>No email server is configured: pass this link on by hand:
                  <span class="secret link" data-testid="deployment-url">${secret.deploymentUrl}</span></p>`}
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
        <button class="danger" ?disabled=${m.busy} @click=${() => void this.confirmEnd(adhocId)}>End ad hoc session</button>
      </div>
    `;
  }

  private async confirmEnd(adhocId: string): Promise<void> {
    const ok = await confirmAction({
      title: 'End this ad hoc session?',
      body: "The link and the security code stop working, and a computer that already paired is removed from Computers: you can no longer connect to it, and its support program deletes its files and stops. To help this user again, prepare a new ad hoc session.",
      confirmLabel: 'End ad hoc session',
      cancelLabel: 'Keep it',
    });
    if (ok) await this.model.end(adhocId, 'support');
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
