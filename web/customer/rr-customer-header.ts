import { LitElement, html, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import { applyFontSize, loadFontSize, stepFontSize, FONT_SIZES } from './font-size.ts';

/**
 * The customer's title bar with the text-size control, the same on the support
 * page and in the support app's window. The size is this page's own setting
 * (localStorage); it never crosses a socket.
 */
@customElement('rr-customer-header')
export class RrCustomerHeader extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      header { background: #0b3d6e; color: #fff; padding: 0.6rem 1rem; display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; }
      h1 { font-size: 1.25rem; margin: 0; }
      button { background: transparent; color: #fff; border-color: #9fc2e6; min-width: 2.75rem; }
      .font { display: flex; gap: 0.3rem; align-items: center; }
    `,
  ];

  @property() heading = 'Relay Rescue support';
  @state() private fontSize = loadFontSize();

  override connectedCallback(): void {
    super.connectedCallback();
    applyFontSize(this.fontSize);
  }

  override render() {
    return html`<header>
      <h1>${this.heading}</h1>
      <div class="font" role="group" aria-label="Text size">
        <button @click=${() => this.setFont(-1)} aria-label="Smaller text" ?disabled=${this.fontSize === FONT_SIZES[0]}>A−</button>
        <span aria-live="polite" data-testid="font-size">${this.fontSize}%</span>
        <button @click=${() => this.setFont(1)} aria-label="Larger text" ?disabled=${this.fontSize === FONT_SIZES[FONT_SIZES.length - 1]}>A+</button>
      </div>
    </header>`;
  }

  private setFont(direction: 1 | -1): void {
    this.fontSize = stepFontSize(this.fontSize, direction);
    applyFontSize(this.fontSize);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-customer-header': RrCustomerHeader;
  }
}
