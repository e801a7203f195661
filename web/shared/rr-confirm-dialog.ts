import { LitElement, html, css } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { baseStyles } from './styles.ts';

export interface ConfirmOptions {
  title: string;
  /** What will happen, in plain words. */
  body: string;
  /** The button that does it, e.g. "End session". */
  confirmLabel: string;
  cancelLabel?: string;
}

/**
 * A modal "are you sure" (a native `<dialog>`: focus stays inside, Escape
 * cancels). Use `confirmAction()`, which mounts one on the page and resolves
 * to true only when the person pressed the confirm button.
 */
@customElement('rr-confirm-dialog')
export class RrConfirmDialog extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog { max-width: min(30rem, calc(100vw - 2rem)); border: 1px solid #8a94a0; border-radius: 0.6rem; padding: 1.2rem; }
      dialog::backdrop { background: rgb(20 37 58 / 45%); }
      p { margin: 0 0 1rem; line-height: 1.45; }
      .buttons { display: flex; gap: 0.6rem; justify-content: flex-end; flex-wrap: wrap; }
    `,
  ];

  @property({ attribute: false }) options: ConfirmOptions = { title: '', body: '', confirmLabel: 'OK' };
  @query('dialog') private dialog?: HTMLDialogElement;
  private resolve: ((ok: boolean) => void) | null = null;

  override render() {
    const o = this.options;
    return html`<dialog aria-labelledby="confirm-title" aria-describedby="confirm-body" data-testid="confirm-dialog" @close=${() => this.finish(false)}>
      <h2 id="confirm-title">${o.title}</h2>
      <p id="confirm-body">${o.body}</p>
      <div class="buttons">
        <button data-testid="confirm-cancel" autofocus @click=${() => this.finish(false)}>${o.cancelLabel ?? 'Cancel'}</button>
        <button class="danger" data-testid="confirm-ok" @click=${() => this.finish(true)}>${o.confirmLabel}</button>
      </div>
    </dialog>`;
  }

  /** Shows the dialog; resolves with the answer. */
  async ask(): Promise<boolean> {
    await this.updateComplete;
    this.dialog?.showModal();
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private finish(ok: boolean): void {
    const resolve = this.resolve;
    this.resolve = null;
    if (this.dialog?.open) this.dialog.close();
    resolve?.(ok);
  }
}

/** Asks once, in a modal dialog, before something that cannot be undone. */
export async function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const el = document.createElement('rr-confirm-dialog');
  el.options = options;
  document.body.append(el);
  try {
    return await el.ask();
  } finally {
    el.remove();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-confirm-dialog': RrConfirmDialog;
  }
}
