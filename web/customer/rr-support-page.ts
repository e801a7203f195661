import { LitElement, html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import { CustomerModel } from './customer-model.ts';
import { SUPPORT_APP_DOWNLOADS, detectDownload, downloadUrl, type SupportAppDownload } from './support-app-downloads.ts';
import { forgetSession } from './saved-session.ts';
import './rr-code-entry.ts';
import './rr-customer-header.ts';
import './rr-customer-session.ts';

/** The customer support page (`/` and `/c/:code`). */
@customElement('rr-support-page')
export class RrSupportPage extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
      .narrow { max-width: 34rem; margin: 2rem auto; }
      .choices { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top: 1rem; }
      @media (max-width: 760px) { .choices { grid-template-columns: minmax(0, 1fr); } main { padding: 0.6rem; } }
      .choice h3 { margin-bottom: 0.3rem; }
      pre { white-space: pre-wrap; word-break: break-all; background: #1b1f24; color: #e6edf3; padding: 0.6rem; border-radius: 0.4rem; font-size: 0.85rem; }
      .tech { font-size: 1.15rem; }
      a.button { display: inline-block; padding: 0.55rem 1rem; border-radius: 0.4rem; text-decoration: none; font-weight: 600; }
      a.primary { background: #0b5cad; color: #fff; }
      .running { background: #e7f4ea; border: 1px solid #8cc79a; border-radius: 0.5rem; padding: 0.6rem 0.8rem; }
      details { margin: 0.8rem 0; }
      li { margin-bottom: 0.4rem; }
    `,
  ];

  private readonly model = new CustomerModel(window.location.origin);
  private readonly store = new StoreController(this, () => this.model);

  override connectedCallback(): void {
    super.connectedCallback();
    // A reload mid-session resumes it (the token is in this tab's sessionStorage).
    // Only a reload resumes: opening the page anew (a new code, a link) starts over.
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (navigation?.type !== 'reload') forgetSession();
    else if (this.model.resumeSaved()) return void window.addEventListener('beforeunload', this.onUnload);
    const match = /^\/c\/(\d{6})\/?$/.exec(window.location.pathname);
    if (match?.[1]) {
      // A code link fills the field and submits at once.
      this.model.prefill = match[1];
      void this.model.submitCode(match[1]);
    }
    window.addEventListener('beforeunload', this.onUnload);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('beforeunload', this.onUnload);
  }

  private readonly onUnload = (): void => this.model.dispose();

  override render() {
    void this.store;
    return html`
      <rr-customer-header></rr-customer-header>
      <main>${this.renderPhase()}</main>
    `;
  }

  private renderPhase() {
    const m = this.model;
    switch (m.phase) {
      case 'code':
      case 'checking':
        return html`<section class="card narrow" aria-labelledby="start-title">
          <h2 id="start-title">Get help from your technician</h2>
          <rr-code-entry
            .code=${m.prefill}
            .error=${m.codeError}
            ?busy=${m.phase === 'checking'}
            @code-submit=${(e: CustomEvent<{ code: string; name: string }>) => void m.submitCode(e.detail.code, e.detail.name)}
          ></rr-code-entry>
        </section>`;
      case 'choose':
        return this.renderChoice();
      case 'agent':
        return this.renderAgent();
      case 'connecting':
        return html`<section class="card narrow" role="status">
          <p class="tech">Connecting you to <strong data-testid="technician-name">${m.technicianName}</strong>…</p>
          <p class="muted">${m.statusText}</p>
          <button @click=${() => m.end()}>Cancel</button>
        </section>`;
      case 'session':
        return html`${m.wasSharing
            ? html`<p class="card reshare" role="status" data-testid="reshare">
                The page was reloaded, so your screen is no longer shared. Your browser asks again which screen to share.
                <button class="primary" @click=${() => void m.reshare()}>Share my screen again</button>
              </p>`
            : nothing}
          <rr-customer-session .model=${m}></rr-customer-session>`;
      case 'ended':
        return html`<section class="card narrow" role="status" data-testid="ended">
          <h2>The session has ended</h2>
          <p>${m.endedText}</p>
          <a href="/">Start again with a new code</a>
        </section>`;
    }
  }

  private renderChoice() {
    const m = this.model;
    return html`<section class="card" aria-labelledby="choice-title">
      <h2 id="choice-title">Your technician is <span data-testid="technician-name">${m.technicianName}</span></h2>
      <p>Nothing is shared until you choose and agree. How would you like to be helped?</p>
      <div class="choices">
        <div class="card choice">
          <h3>Run the support app</h3>
          <p class="muted">Lets ${m.technicianName} see and, if you allow it, control this computer.</p>
          <button class="primary" @click=${() => m.chooseAgent()}>Run the support app</button>
        </div>
        <div class="card choice">
          <h3>Share my screen from this browser</h3>
          <p class="muted">View only: ${m.technicianName} can watch, chat and exchange files, but cannot control anything.</p>
          <button class="primary" @click=${() => m.chooseBrowser()}>Share my screen from this browser</button>
        </div>
      </div>
    </section>`;
  }

  private renderAgent() {
    const m = this.model;
    const detected = detectDownload(`${navigator.userAgent} ${navigator.platform}`);
    const others = SUPPORT_APP_DOWNLOADS.filter((row) => row !== detected);
    return html`<section class="card" aria-labelledby="agent-title">
      <h2 id="agent-title">Run the support app</h2>
      <p>Your technician is <strong data-testid="technician-name">${m.technicianName}</strong>. The app asks you before ${m.technicianName} can see or do anything, and removes itself at the end.</p>
      ${m.agentConnected
        ? html`<p role="status" class="running" data-testid="agent-connected"><strong>The support app is running: continue in its window.</strong></p>`
        : nothing}
      ${detected ? this.renderDownload(detected, true) : html`<p data-testid="no-app">There is no support app for this computer yet. Go back and share your screen from this browser instead, or download it for another system below.</p>`}
      <details>
        <summary>Download for another system</summary>
        ${others.map((row) => this.renderDownload(row, false))}
      </details>
      <div class="row">
        <button @click=${() => m.backToChoice()}>Back</button>
        <button class="danger" @click=${() => m.end()}>End session</button>
      </div>
    </section>`;
  }

  private renderDownload(row: SupportAppDownload, main: boolean) {
    const m = this.model;
    const url = downloadUrl(window.location.origin, row, m.token);
    const command = row.command?.(url, row.file) ?? null;
    return html`<div class="download" data-testid=${main ? 'download' : `download-${row.os}`} data-os=${row.os}>
      <ol>
        <li>
          <a class=${main ? 'button primary' : ''} href=${url} download=${row.file} data-testid=${main ? 'download-link' : nothing}>Download the support app for ${row.label}</a>
          <span class="muted">(${row.file}; it carries your session key, so keep it to yourself)</span>
        </li>
        ${row.steps.map((step) => html`<li>${step}</li>`)}
      </ol>
      ${command
        ? html`<p>If you prefer a terminal, paste this one command instead:</p>
            <pre data-testid=${main ? 'agent-command' : nothing} aria-label=${`Command to run on ${row.label}`}>${command}</pre>
            <button @click=${() => void this.copy(command)}>Copy the command</button>
            <span role="status" class="muted">${this.copied ? 'Copied.' : ''}</span>`
        : nothing}
    </div>`;
  }

  @state() private copied = false;

  private async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.copied = true;
    } catch {
      this.copied = false;
    }
  }

}

declare global {
  interface HTMLElementTagNameMap {
    'rr-support-page': RrSupportPage;
  }
}
