import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { LIMITS } from '../../protocol/limits.ts';
import { baseStyles } from '../shared/styles.ts';

/** The 6-digit code form and the customer's name (optional). Fires `code-submit` with `{ code, name }` once the field holds six digits. */
@customElement('rr-code-entry')
export class RrCodeEntry extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      form { display: flex; flex-direction: column; gap: 0.75rem; }
      label { font-weight: 600; font-size: 1.1rem; }
      .name-label { font-size: 1rem; margin-top: 0.25rem; }
      .name-label .muted { font-weight: normal; }
      #customer-name { max-width: 22rem; width: 100%; }
      #code { font-size: 1.6rem; letter-spacing: 0.35em; text-align: center; width: 100%; max-width: 16rem; font-variant-numeric: tabular-nums; }
      button { align-self: flex-start; font-size: 1.1rem; }
    `,
  ];

  /** Prefill (from a /c/123456 link). */
  @property() code = '';
  @property() error = '';
  @property({ type: Boolean }) busy = false;
  @state() private localError = '';
  @state() private name = '';

  override render() {
    const message = this.localError || this.error;
    return html`
      <form @submit=${(e: Event) => this.onSubmit(e)} novalidate>
        <label for="code">Enter your 6-digit code</label>
        <input
          id="code"
          name="code"
          type="text"
          inputmode="numeric"
          autocomplete="one-time-code"
          maxlength="6"
          pattern="[0-9]{6}"
          aria-invalid=${message ? 'true' : 'false'}
          aria-describedby="code-help code-error"
          .value=${this.code}
          @input=${(e: Event) => this.onInput(e)}
          ?disabled=${this.busy}
        />
        <span id="code-help" class="muted">Your technician gave you this code.</span>
        <div id="code-error" role="alert" data-testid="code-error">${message ? html`<span class="error">${message}</span>` : nothing}</div>
        <label for="customer-name" class="name-label">Your name <span class="muted">(optional, so your technician knows who is waiting)</span></label>
        <input
          id="customer-name"
          name="name"
          type="text"
          autocomplete="name"
          maxlength=${LIMITS.nameChars}
          .value=${this.name}
          @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
          ?disabled=${this.busy}
        />
        <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Start'}</button>
      </form>
    `;
  }

  private onInput(e: Event): void {
    const input = e.target as HTMLInputElement;
    const digits = input.value.replace(/\D/g, '').slice(0, 6);
    if (digits !== input.value) input.value = digits;
    this.code = digits;
    this.localError = '';
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    if (!/^\d{6}$/.test(this.code)) {
      this.localError = 'The code is 6 digits, for example 123456.';
      return;
    }
    this.dispatchEvent(new CustomEvent('code-submit', { detail: { code: this.code, name: this.name.trim() }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-code-entry': RrCodeEntry;
  }
}
