import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';

/** Technician login form. Fires `login` with `{ email, password }`. */
@customElement('rr-login')
export class RrLogin extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 26rem; margin: 3rem auto; padding: 0 1rem; }
      form { display: flex; flex-direction: column; gap: 0.4rem; }
      label { font-weight: 600; margin-top: 0.5rem; }
      button { margin-top: 1rem; }
    `,
  ];

  @property() error = '';
  @property({ type: Boolean }) busy = false;
  @state() private email = '';
  @state() private password = '';

  override render() {
    return html`<section class="card" aria-labelledby="login-title">
      <h2 id="login-title">Technician login</h2>
      <form @submit=${(e: Event) => this.onSubmit(e)}>
        <label for="email">Email</label>
        <input id="email" type="email" autocomplete="username" required .value=${this.email}
          @input=${(e: Event) => (this.email = (e.target as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="current-password" required .value=${this.password}
          @input=${(e: Event) => (this.password = (e.target as HTMLInputElement).value)} />
        <div role="alert" data-testid="login-error">${this.error ? html`<p class="error">${this.error}</p>` : nothing}</div>
        <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </section>`;
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    if (!this.email || !this.password) return;
    this.dispatchEvent(
      new CustomEvent('login', { detail: { email: this.email, password: this.password }, bubbles: true, composed: true }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-login': RrLogin;
  }
}
