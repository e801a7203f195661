import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { PERMISSIONS } from '../../protocol/permissions.ts';
import type { Permission, PermissionState } from '../../protocol/permissions.ts';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import type { TechSession } from './tech-session.ts';
import './rr-remote-screen.ts';
import './rr-connection-facts.ts';
import './rr-session-handover.ts';
import '../shared/rr-chat.ts';
import '../shared/rr-session-log.ts';
import '../shared/rr-file-panel.ts';
import { confirmAction } from '../shared/rr-confirm-dialog.ts';

const ASK_LABEL: Record<Permission, string> = {
  view: 'Ask to view screen',
  control: 'Ask for remote control',
  files: 'Ask for file transfer',
  clipboard: 'Ask for clipboard',
};
const TECH_LABEL: Record<Permission, string> = {
  view: 'View screen',
  control: 'Remote control',
  files: 'File transfer',
  clipboard: 'Clipboard',
};
const STATE_TEXT: Record<PermissionState, string> = {
  not_asked: 'not asked',
  asked: 'asked, waiting',
  granted: 'granted',
  denied: 'denied',
  revoked: 'revoked',
};

/** One session in the console: the customer's screen, permissions, connection facts, chat, files, log. */
@customElement('rr-session-view')
export class RrSessionView extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      /* 1280x800: video, permissions, chat and log all above the fold; files and facts below the video. */
      .layout { display: grid; gap: 0.75rem; grid-template-columns: minmax(0, 1fr) minmax(15rem, 19rem); align-items: start; }
      .main, .side { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.75rem; min-width: 0; }
      .card { padding: 0.6rem 0.75rem; }
      rr-remote-screen { --rr-screen-max-height: max(12rem, calc(100dvh - 21rem)); }
      .side rr-chat { --rr-chat-max-height: max(5rem, calc(100dvh - 40rem)); --rr-chat-min-height: 4rem; }
      .side rr-session-log { --rr-log-max-height: 8.5rem; }
      .perms { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
      .perms li { display: flex; justify-content: space-between; align-items: center; gap: 0.4rem; flex-wrap: wrap; font-size: 0.92rem; }
      .perms button { min-height: 2rem; padding: 0.2rem 0.6rem; font-size: 0.88rem; }
      .state-granted { color: #1b6e2a; font-weight: 600; }
      .state-denied, .state-revoked { color: #b3261e; font-weight: 600; }
      .state-asked { color: #8a5300; }
      .top { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; flex-wrap: wrap; margin-bottom: 0.5rem; }
      .top h2 { margin: 0; }
      .ended { background: #fdecea; border: 1px solid #e6a39d; border-radius: 0.5rem; padding: 0.6rem 0.8rem; }
      .screens select, .clip textarea { width: 100%; }
      .clip textarea { min-height: 4rem; font: inherit; }
      .clip label { display: block; margin-top: 0.4rem; }
      .below { display: grid; gap: 0.75rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
      @media (max-width: 1100px) { .below { grid-template-columns: minmax(0, 1fr); } }
      /* Last, so it wins over the rules above. */
      @media (max-width: 900px) {
        /* One column on a phone: the video, then permissions, chat and log, then files and facts. */
        .layout { grid-template-columns: minmax(0, 1fr); }
        .main, .side { display: contents; }
        .side > * { order: 1; }
        .below { order: 2; }
      }
    `,
  ];

  @property({ attribute: false }) session?: TechSession;
  private readonly store = new StoreController(this, () => this.session);

  override render() {
    void this.store;
    const s = this.session;
    if (!s) return nothing;
    const ended = s.phase === 'ended';
    return html`
      <div class="top">
        <h2>Session with <span data-testid="peer-name">${s.peerName}</span>
          <span class="muted">· ${s.customerClient === 'agent' ? 'support app' : s.customerClient === 'browser' ? 'browser share (view only)' : ''}</span></h2>
        ${ended
          ? nothing
          : s.leadName !== null
            ? html`<button class="danger" @click=${() => void s.end()} data-testid="end-session">Leave session</button>`
            : html`<button class="danger" @click=${() => void this.confirmEnd(s)} data-testid="end-session">End session</button>`}
      </div>
      ${ended ? html`<p class="ended" role="status" data-testid="ended">Session ended. ${s.endedText}</p>` : nothing}
      <div class="layout">
        <div class="main">
          <rr-remote-screen
            .stream=${s.stream}
            .control=${s.controlGranted && !ended && !s.controlHandedOver}
            .sink=${s}
            .emptyText=${ended ? 'The session has ended.' : s.phase === 'live' ? "Ask to view the customer's screen." : 'Connecting…'}
          ></rr-remote-screen>
          <div class="below">
            <section class="card">
              <rr-file-panel
                .transfers=${s.transfers}
                peerName="the customer"
                ?disabled=${!s.connected || ended || s.permissions.files !== 'granted'}
                disabledReason=${s.leadName !== null ? `Files go through ${s.leadName}.` : 'Ask for file transfer first.'}
                @file-send=${(e: CustomEvent<{ files: File[] }>) => s.sendFiles(e.detail.files)}
              ></rr-file-panel>
            </section>
            <section class="card"><rr-connection-facts .facts=${s.facts} .turnConfigured=${s.turnConfigured}></rr-connection-facts></section>
            ${ended ? nothing : html`<section class="card"><rr-session-handover .session=${s}></rr-session-handover></section>`}
            ${s.screens.length > 0 ? this.renderScreens(s) : nothing}
            ${s.capabilities?.clipboard ? this.renderClipboard(s, ended) : nothing}
          </div>
        </div>
        <div class="side">
          <section class="card" aria-labelledby="perm-title">
            <h3 id="perm-title">Permissions</h3>
            <ul class="perms" data-testid="permissions" aria-live="polite">
              ${PERMISSIONS.map((p) => this.renderPermission(s, p))}
            </ul>
          </section>
          <section class="card"><rr-chat .messages=${s.chat} ?disabled=${!s.connected || ended} @chat-send=${(e: CustomEvent<{ text: string }>) => s.sendChat(e.detail.text)}></rr-chat></section>
          <section class="card"><rr-session-log .entries=${s.log}></rr-session-log></section>
        </div>
      </div>
    `;
  }

  /** End session asks once, saying what ending does. */
  private async confirmEnd(s: TechSession): Promise<void> {
    const ok = await confirmAction({
      title: `End the session with ${s.peerName}?`,
      body: `The connection to ${s.peerName} closes for both of you: you stop seeing their screen, any control and file transfers stop, and the code cannot be used again. To help again, create a new session code.`,
      confirmLabel: 'End session',
      cancelLabel: 'Keep the session',
    });
    if (ok) await s.end();
  }

  private renderScreens(s: TechSession) {
    return html`<section class="card screens" aria-labelledby="screens-title">
      <h3 id="screens-title">Screens</h3>
      <label for="screen-select">Customer's screen</label>
      <select id="screen-select" data-testid="screen-select" @change=${(e: Event) => s.selectScreen((e.target as HTMLSelectElement).value)}>
        ${s.screens.map(
          (sc) => html`<option value=${sc.id} ?selected=${sc.id === s.selectedScreen}>${sc.name || sc.id} (${sc.width}x${sc.height}${sc.primary ? ', primary' : ''})</option>`,
        )}
      </select>
    </section>`;
  }

  private renderClipboard(s: TechSession, ended: boolean) {
    const granted = s.permissions.clipboard === 'granted' && !ended;
    return html`<section class="card clip" aria-labelledby="clip-title">
      <h3 id="clip-title">Clipboard</h3>
      ${granted ? nothing : html`<p class="muted">Ask for clipboard first.</p>`}
      <label for="clip-in">Customer's clipboard</label>
      <textarea id="clip-in" data-testid="clipboard-in" readonly .value=${s.customerClipboard}></textarea>
      <label for="clip-out">Text for the customer's clipboard</label>
      <textarea id="clip-out" data-testid="clipboard-out" ?disabled=${!granted}></textarea>
      <button ?disabled=${!granted} @click=${() => this.sendClipboard(s)}>Send to customer's clipboard</button>
    </section>`;
  }

  private sendClipboard(s: TechSession): void {
    const area = this.renderRoot.querySelector<HTMLTextAreaElement>('#clip-out');
    if (area && s.sendClipboard(area.value)) area.value = '';
  }

  private renderPermission(s: TechSession, p: Permission) {
    const state = s.permissions[p];
    const unsupported = s.capabilities !== null && ((p === 'control' && !s.capabilities.input) || (p === 'clipboard' && !s.capabilities.clipboard));
    // The customer's grant stands, but while the lead has handed control over, the colleague holds it.
    const handedTo = p === 'control' && state === 'granted' && s.controlHandedOver ? (s.colleague?.who.name ?? 'your colleague') : null;
    return html`<li data-permission=${p} data-state=${state}>
      <span>${TECH_LABEL[p]}: <span class=${`state-${state}`} data-testid=${`perm-${p}`}>${unsupported ? 'not available' : s.isQueued(p) ? 'asking once connected' : s.isSent(p) ? STATE_TEXT.asked : STATE_TEXT[state]}</span>${handedTo ? html` <span class="muted" data-testid="perm-control-holder">(handed to ${handedTo})</span>` : nothing}</span>
      ${unsupported || s.leadName !== null ? nothing : html`<button ?disabled=${!s.canAsk(p)} @click=${() => s.ask(p)}>${ASK_LABEL[p]}</button>`}
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-session-view': RrSessionView;
  }
}
