import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { baseStyles, formatBytes } from './styles.ts';
import type { TransferView } from './view-models.ts';

/**
 * File transfers: a labelled file picker to send, and one row per transfer with
 * a progress bar, the SHA-256 and, for received files, a download link.
 * Fires `file-send` with `{ files: File[] }`.
 */
@customElement('rr-file-panel')
export class RrFilePanel extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      ul { list-style: none; margin: 0.5rem 0 0; padding: 0; }
      li { border-top: 1px solid #e2e6ea; padding: 0.4rem 0; overflow-wrap: anywhere; }
      progress { width: 100%; height: 0.8rem; }
      code { font-size: 0.75rem; word-break: break-all; }
      .ok { color: #1b6e2a; font-weight: 600; }
      .bad { color: #b3261e; font-weight: 600; }
    `,
  ];

  @property({ type: Boolean }) disabled = false;
  /** Why sending is off (e.g. no files permission yet). */
  @property() disabledReason = '';
  @property() peerName = 'the other side';
  @property({ attribute: false }) transfers: readonly TransferView[] = [];

  override render() {
    return html`
      <h3 id="files-title">Files</h3>
      <div class="row">
        <label for="file-input">Send files to ${this.peerName}</label>
        <input
          id="file-input"
          type="file"
          multiple
          data-testid="file-input"
          ?disabled=${this.disabled}
          aria-describedby="files-why"
          @change=${(e: Event) => this.onPick(e)}
        />
      </div>
      ${this.disabled && this.disabledReason ? html`<p id="files-why" class="muted">${this.disabledReason}</p>` : nothing}
      <ul aria-labelledby="files-title" aria-live="polite" data-testid="transfers">
        ${this.transfers.map((t) => this.renderTransfer(t))}
      </ul>
    `;
  }

  private renderTransfer(t: TransferView) {
    const verb = t.direction === 'send' ? 'Sending' : 'Receiving';
    const percent = t.size > 0 ? Math.floor((t.bytes / t.size) * 100) : t.phase === 'done' ? 100 : 0;
    const status =
      t.phase === 'done'
        ? t.verified === false
          ? html`<span class="bad">SHA-256 mismatch</span>`
          : html`<span class="ok">Done, SHA-256 verified</span>`
        : t.phase === 'failed'
          ? html`<span class="bad">Failed${t.error ? `: ${t.error}` : ''}</span>`
          : t.phase === 'cancelled'
            ? html`<span class="bad">Cancelled</span>`
            : html`<span>${t.phase === 'waiting' ? 'Waiting' : `${percent}%`}</span>`;
    return html`<li data-testid="transfer" data-direction=${t.direction} data-phase=${t.phase} data-sha256=${t.sha256 ?? ''}>
      <div><strong>${verb}</strong> ${t.name} (${formatBytes(t.size)}) — ${status}</div>
      <progress max="100" .value=${percent} aria-label=${`${verb} ${t.name}`}></progress>
      ${t.sha256 ? html`<div class="muted">SHA-256 <code>${t.sha256}</code></div>` : nothing}
      ${t.url && t.phase === 'done'
        ? html`<a href=${t.url} download=${t.name} data-testid="download-link">Save ${t.name}</a>`
        : nothing}
    </li>`;
  }

  private onPick(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length === 0) return;
    this.dispatchEvent(new CustomEvent('file-send', { detail: { files }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-file-panel': RrFilePanel;
  }
}
