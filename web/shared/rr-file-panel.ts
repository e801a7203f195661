import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { baseStyles, formatBytes } from './styles.ts';
import type { TransferView } from './view-models.ts';

/**
 * File transfers: a labelled file picker to send (or drop files on the panel),
 * and one row per transfer with a progress bar, the SHA-256 and, for received
 * files, a download link.
 *   source `browser`: the page's file input; fires `file-send` with `{ files: File[] }`.
 *   source `agent` (the support app's window): the agent picks and reads the
 *   file from disk; "Choose a file…" fires `file-pick`, files dropped from the
 *   file manager fire `file-paths` with `{ paths: string[] }`, and "Show in
 *   folder" on a received file fires `file-show` with `{ id }`.
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
      .drop { border: 2px dashed transparent; border-radius: 0.5rem; padding: 0.2rem; }
      .drop.over { border-color: #1a5fb4; background: #eef4fc; }
    `,
  ];

  @property({ type: Boolean }) disabled = false;
  /** Why sending is off (e.g. no files permission yet). */
  @property() disabledReason = '';
  @property() peerName = 'the other side';
  @property({ attribute: false }) transfers: readonly TransferView[] = [];
  @property() source: 'browser' | 'agent' = 'browser';
  /** Where received files go (source `agent`). */
  @property() downloadDir = '';
  @state() private over = false;

  override render() {
    return html`
      <div
        class=${this.over ? 'drop over' : 'drop'}
        @dragover=${(e: DragEvent) => this.onDragOver(e)}
        @dragleave=${() => (this.over = false)}
        @drop=${(e: DragEvent) => this.onDrop(e)}
      >
      <h3 id="files-title">Files</h3>
      ${this.source === 'agent' ? this.renderAgentPicker() : this.renderInput()}
      ${this.disabled && this.disabledReason ? html`<p id="files-why" class="muted">${this.disabledReason}</p>` : nothing}
      <ul aria-labelledby="files-title" aria-live="polite" data-testid="transfers">
        ${this.transfers.map((t) => this.renderTransfer(t))}
      </ul>
      </div>
    `;
  }

  private renderAgentPicker() {
    return html`<div class="row">
        <button type="button" data-testid="file-pick" ?disabled=${this.disabled} aria-describedby="files-why" @click=${() => this.fire('file-pick', {})}>
          Choose a file to send to ${this.peerName}…
        </button>
      </div>
      <p class="muted">Or drag files here from your file manager.${this.downloadDir ? html` Files you receive go to <code>${this.downloadDir}</code>.` : nothing}</p>`;
  }

  private renderInput() {
    return html`
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
      </div>`;
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
      ${t.savedAs && t.phase === 'done' && this.source === 'agent'
        ? html`<button type="button" data-testid="show-in-folder" aria-label=${`Show ${t.name} in folder`} @click=${() => this.fire('file-show', { id: t.id })}>
            Show in folder
          </button>`
        : nothing}
    </li>`;
  }

  private onDragOver(e: DragEvent): void {
    if (this.disabled || !e.dataTransfer) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.over = true;
  }

  private onDrop(e: DragEvent): void {
    this.over = false;
    if (this.disabled || !e.dataTransfer) return;
    e.preventDefault();
    if (this.source === 'browser') {
      const files = Array.from(e.dataTransfer.files);
      if (files.length > 0) this.fire('file-send', { files });
      return;
    }
    // A file manager's drag carries file:// URIs: the agent reads the files from disk by path.
    const paths = fileUriPaths(e.dataTransfer.getData('text/uri-list'));
    this.fire(paths.length > 0 ? 'file-paths' : 'file-pick', paths.length > 0 ? { paths } : {});
  }

  private fire(type: string, detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private onPick(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length === 0) return;
    this.fire('file-send', { files });
  }
}

/** The local paths in a `text/uri-list` (file:// URIs only; comments and other schemes are skipped). */
export function fileUriPaths(list: string): string[] {
  const paths: string[] = [];
  for (const line of list.split(/\r?\n/)) {
    const uri = line.trim();
    if (!uri.startsWith('file://') || uri.startsWith('#')) continue;
    try {
      const url = new URL(uri);
      if (url.host === '' || url.host === 'localhost') paths.push(decodeURIComponent(url.pathname));
    } catch {
      // Not a URI: skipped.
    }
  }
  return paths;
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-file-panel': RrFilePanel;
  }
}
