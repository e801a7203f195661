import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { PERMISSION_LABELS } from '../../protocol/permissions.ts';
import type { Permission } from '../../protocol/permissions.ts';
import { baseStyles } from '../shared/styles.ts';

/** One pending permission request with Yes and No. Fires `permission-answer` with `{ permission, granted }`. */
@customElement('rr-permission-prompt')
export class RrPermissionPrompt extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .prompt { border: 2px solid #f2a900; background: #fff8e1; border-radius: 0.6rem; padding: 0.8rem 1rem; }
      p { margin: 0 0 0.6rem; font-size: 1.05rem; }
    `,
  ];

  @property() permission: Permission = 'view';
  @property() technicianName = 'Your technician';

  override render() {
    const what = PERMISSION_LABELS[this.permission];
    const id = `prompt-${this.permission}`;
    return html`
      <div class="prompt" role="group" aria-labelledby=${id} data-testid=${`prompt-${this.permission}`}>
        <p id=${id}><strong>${this.technicianName}</strong> asks: ${what}?</p>
        <div class="row">
          <button class="primary" aria-label=${`Yes, allow: ${what}`} @click=${() => this.answer(true)}>Yes</button>
          <button aria-label=${`No, refuse: ${what}`} @click=${() => this.answer(false)}>No</button>
        </div>
      </div>
    `;
  }

  override firstUpdated(): void {
    // Take focus so keyboard users land on the question.
    this.renderRoot.querySelector<HTMLButtonElement>('button')?.focus();
  }

  private answer(granted: boolean): void {
    this.dispatchEvent(
      new CustomEvent('permission-answer', { detail: { permission: this.permission, granted }, bubbles: true, composed: true }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-permission-prompt': RrPermissionPrompt;
  }
}
