import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { baseStyles } from '../../shared/styles.ts';

/**
 * The second step of the technician login: the 6-digit code from the
 * authenticator app, or one recovery code. Fires `second-factor` with
 * `{ totp }` or `{ recoveryCode }`, and `cancel-login`.
 */
@customElement('rr-second-factor')
export class RrSecondFactor extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 26rem; margin: 3rem auto; padding: 0 1rem; }
      form { display: flex; flex-direction: column; gap: 0.4rem; }
      label { font-weight: 600; margin-top: 0.5rem; }
      .code-input { font-size: 1.4rem; letter-spacing: 0.25em; font-variant-numeric: tabular-nums; }
      .link { background: none; border: none; color: var(--rr-accent, #0b5cad); text-decoration: underline; padding: 0.2rem 0; min-height: 2rem; align-self: flex-start; }
    `,
  ];

  @property() error = '';
  @property({ type: Boolean }) busy = false;
  @property() email = '';
  @state() private recovery = false;
  @state() private value = '';

  override render() {
    return html`<section class="card" aria-labelledby="sf-title">
      <h2 id="sf-title">Two-factor login</h2>
      <p class="muted">${this.email}</p>
      <form @submit=${(e: Event) => this.onSubmit(e)}>
        ${this.recovery
          ? html`<label for="sf-recovery">Recovery code</label>
              <input id="sf-recovery" type="text" autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="xxxx-xxxx-xxxx-xxxx"
                .value=${this.value} @input=${(e: Event) => (this.value = (e.target as HTMLInputElement).value)} />`
          : html`<label for="sf-code">Code from your authenticator app</label>
              <input id="sf-code" class="code-input" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="7"
                .value=${this.value} @input=${(e: Event) => (this.value = (e.target as HTMLInputElement).value)} />`}
        <div role="alert" data-testid="second-factor-error">${this.error ? html`<p class="error">${this.error}</p>` : nothing}</div>
        <button type="submit" class="primary" ?disabled=${this.busy || !this.value.trim()}>${this.busy ? 'Checking…' : 'Verify'}</button>
        <button type="button" class="link" @click=${() => this.toggle()}>${this.recovery ? 'Use the code from the app' : 'Use a recovery code instead'}</button>
        <button type="button" class="link" @click=${() => this.dispatchEvent(new CustomEvent('cancel-login', { bubbles: true, composed: true }))}>Back to the password</button>
      </form>
    </section>`;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // A refused code is cleared so the next one can be typed at once.
    if (changed.has('error') && this.error) this.value = '';
  }

  private toggle(): void {
    this.recovery = !this.recovery;
    this.value = '';
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    const value = this.value.trim();
    if (!value) return;
    const detail = this.recovery ? { recoveryCode: value } : { totp: value };
    this.dispatchEvent(new CustomEvent('second-factor', { detail, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-second-factor': RrSecondFactor;
  }
}
