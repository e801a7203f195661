import { LitElement, html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import { CustomerModel } from './customer-model.ts';
import { applyFontSize, loadFontSize, stepFontSize, FONT_SIZES } from './font-size.ts';
import './rr-code-entry.ts';
import './rr-customer-session.ts';

/** The customer support page (`/` and `/c/:code`). */
@customElement('rr-support-page')
export class RrSupportPage extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-height: 100vh; background: #eef2f6; }
      header { background: #0b3d6e; color: #fff; padding: 0.6rem 1rem; display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; }
      header h1 { font-size: 1.25rem; margin: 0; }
      header button { background: transparent; color: #fff; border-color: #9fc2e6; min-width: 2.75rem; }
      main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
      .narrow { max-width: 34rem; margin: 2rem auto; }
      .choices { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top: 1rem; }
      @media (max-width: 760px) { .choices { grid-template-columns: minmax(0, 1fr); } main { padding: 0.6rem; } }
      .choice h3 { margin-bottom: 0.3rem; }
      pre { white-space: pre-wrap; word-break: break-all; background: #1b1f24; color: #e6edf3; padding: 0.6rem; border-radius: 0.4rem; font-size: 0.85rem; }
      .tech { font-size: 1.15rem; }
      .font { display: flex; gap: 0.3rem; align-items: center; }
    `,
  ];

  private readonly model = new CustomerModel(window.location.origin);
  private readonly store = new StoreController(this, () => this.model);
  @state() private fontSize = loadFontSize();

  override connectedCallback(): void {
    super.connectedCallback();
    applyFontSize(this.fontSize);
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
      <header>
        <h1>Relay Rescue support</h1>
        <div class="font" role="group" aria-label="Text size">
          <button @click=${() => this.setFont(-1)} aria-label="Smaller text" ?disabled=${this.fontSize === FONT_SIZES[0]}>A−</button>
          <span aria-live="polite" data-testid="font-size">${this.fontSize}%</span>
          <button @click=${() => this.setFont(1)} aria-label="Larger text" ?disabled=${this.fontSize === FONT_SIZES[FONT_SIZES.length - 1]}>A+</button>
        </div>
      </header>
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
        return html`<p class="tech">You are connected to <strong data-testid="technician-name">${m.technicianName}</strong>.</p>
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
    return html`<section class="card" aria-labelledby="agent-title">
      <h2 id="agent-title">Run the support app</h2>
      <p>Your technician is <strong data-testid="technician-name">${m.technicianName}</strong>.</p>
      <ol>
        <li>Open a terminal on this computer.</li>
        <li>
          Paste and run this one command (it carries your session key, so keep it private):
          <pre data-testid="agent-command" aria-label="Command to run">${m.agentCommand}</pre>
          <button @click=${() => void this.copy(m.agentCommand)}>Copy the command</button>
          <span role="status" class="muted">${this.copied ? 'Copied.' : ''}</span>
        </li>
        <li>Or <a href="/download/agent.tar.gz" download>download the support app</a> and run it with the same key.</li>
      </ol>
      <p class="muted">The app asks you before ${m.technicianName} can see or do anything.</p>
      ${m.agentConnected ? html`<p role="status" data-testid="agent-connected"><strong>The support app is connected.</strong> You can close this page.</p>` : ''}
      <div class="row">
        <button @click=${() => m.backToChoice()}>Back</button>
        <button class="danger" @click=${() => m.end()}>End session</button>
      </div>
    </section>`;
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

  private setFont(direction: 1 | -1): void {
    this.fontSize = stepFontSize(this.fontSize, direction);
    applyFontSize(this.fontSize);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-support-page': RrSupportPage;
  }
}
