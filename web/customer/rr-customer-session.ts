import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { PERMISSIONS, PERMISSION_LABELS } from '../../protocol/permissions.ts';
import type { Permission, PermissionState } from '../../protocol/permissions.ts';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import type { ConnectionPath, CustomerPort } from './customer-port.ts';
import './rr-permission-prompt.ts';
import '../shared/rr-chat.ts';
import '../shared/rr-session-log.ts';
import '../shared/rr-file-panel.ts';

const STATE_TEXT: Record<PermissionState, string> = {
  not_asked: 'Not asked',
  asked: 'Waiting for your answer',
  granted: 'Allowed',
  denied: 'Refused',
  revoked: 'Stopped',
};

const PATH_TEXT: Record<ConnectionPath, string> = {
  direct: 'Connected directly to your technician.',
  relayed: 'Connected through the support server’s relay.',
  unknown: 'Connected.',
};

/**
 * The customer's side of a live session: who the technician is (as the server
 * verified them), one question at a time, permissions with revoke and "Stop
 * all access now", chat, files, the session log and End. The same component in
 * the browser support page and in the support app's window: it talks only to
 * a `CustomerPort` (customer-port.ts), whichever transport is behind it.
 */
@customElement('rr-customer-session')
export class RrCustomerSession extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .grid { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
      @media (max-width: 760px) { .grid { grid-template-columns: minmax(0, 1fr); } }
      .prompts { display: grid; gap: 0.6rem; margin-bottom: 1rem; }
      .stop { font-size: 1.25rem; padding: 0.9rem 1.4rem; width: 100%; font-weight: 700; }
      table { border-collapse: collapse; width: 100%; margin-top: 0.6rem; }
      th, td { text-align: left; padding: 0.35rem 0.3rem; border-top: 1px solid #e2e6ea; vertical-align: middle; }
      th { font-weight: 600; }
      .state-granted { color: #1b6e2a; font-weight: 600; }
      .state-denied, .state-revoked { color: #b3261e; }
      .sharing { background: #e7f4ea; border: 1px solid #8cc79a; border-radius: 0.5rem; padding: 0.5rem 0.8rem; margin-bottom: 1rem; }
      .end { margin-top: 1rem; }
      .prompt { border: 2px solid #f2a900; background: #fff8e1; border-radius: 0.6rem; padding: 0.8rem 1rem; }
      .prompt p { margin: 0 0 0.6rem; font-size: 1.05rem; }
      .row { display: flex; gap: 0.5rem; flex-wrap: wrap; }
      .tech { margin: 0 0 0.8rem; font-size: 1.1rem; }
      .waiting { margin: 0; }
    `,
  ];

  @property({ attribute: false }) model?: CustomerPort;
  private readonly store = new StoreController(this, () => this.model);

  override render() {
    const m = this.model;
    if (!m) return nothing;
    void this.store;
    const c = m.colleague ?? null;
    const anyGranted = PERMISSIONS.some((p) => m.permissions[p] === 'granted') || c !== null;
    const asking = m.pending[0];
    const more = m.pending.length - 1;
    return html`
      <p class="tech" data-testid="technician">
        You are connected to <strong data-testid="technician-name">${m.technicianName}</strong>${m.technicianAccount
          ? html` (<span data-testid="technician-account">${m.technicianAccount}</span>)`
          : nothing}, as the support server verified them.
        ${m.connectionPath ? html`<span class="muted" data-testid="connection" data-path=${m.connectionPath}>${PATH_TEXT[m.connectionPath]}</span>` : nothing}
      </p>
      ${m.transferNotice ? html`<p class="sharing" role="status" data-testid="transfer-notice">${m.transferNotice}</p>` : nothing}
      <section class="prompts" aria-live="assertive" aria-label="Requests from your technician">
        ${c?.state === 'asked'
          ? html`<div class="prompt" role="group" aria-labelledby="prompt-colleague-text" data-testid="prompt-colleague">
              <p id="prompt-colleague-text"><strong>${c.leadName}</strong> asks to bring in <strong>${c.name}</strong> (${c.email}) to help: they would see your screen and chat. Control stays with ${c.leadName}.</p>
              <div class="row">
                <button class="primary" aria-label=${`Yes, let ${c.name} help`} @click=${() => void m.answerColleague?.(true)}>Yes</button>
                <button aria-label=${`No, not ${c.name}`} @click=${() => void m.answerColleague?.(false)}>No</button>
              </div>
            </div>`
          : nothing}
        ${asking
          ? html`<rr-permission-prompt
              .permission=${asking}
              .technicianName=${m.technicianName}
              @permission-answer=${(e: CustomEvent<{ permission: Permission; granted: boolean }>) =>
                void m.answer(e.detail.permission, e.detail.granted)}
            ></rr-permission-prompt>`
          : nothing}
        ${more > 0 ? html`<p class="muted waiting">${more === 1 ? 'One more question' : `${more} more questions`} after this one.</p>` : nothing}
      </section>
      ${m.sharing
        ? html`<p class="sharing" role="status" data-testid="sharing-status">${m.technicianName} can see your screen.</p>`
        : nothing}
      ${m.shareError ? html`<p class="error" role="alert">${m.shareError}</p>` : nothing}
      ${c?.state === 'joined'
        ? html`<p class="sharing" role="status" data-testid="colleague-status">${c.name} is also helping: they see what ${c.leadName} sees and can chat${c.control ? `, and have remote control` : ''}.
            <button @click=${() => void m.removeColleague?.()} data-testid="colleague-remove">Remove ${c.name}</button></p>`
        : nothing}
      <div class="grid">
        <section class="card" aria-labelledby="perm-title">
          <h2 id="perm-title">What ${m.technicianName} may do</h2>
          <button class="danger stop" ?disabled=${!anyGranted} @click=${() => m.revokeAll()} data-testid="revoke-all">
            Stop all access now
          </button>
          <table data-testid="permissions">
            <tbody>
              ${PERMISSIONS.filter((p) => m.offers(p)).map((p) => this.renderPermission(p, m.permissions[p]))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <rr-chat .messages=${m.chat} ?disabled=${!m.connected} @chat-send=${(e: CustomEvent<{ text: string }>) => m.sendChat(e.detail.text)}></rr-chat>
        </section>
        <section class="card">
          <rr-file-panel
            .transfers=${m.transfers}
            .peerName=${m.technicianName}
            ?disabled=${!m.connected || m.permissions.files !== 'granted'}
            disabledReason="You can send files once you allow file transfer."
            .source=${m.fileSource}
            .downloadDir=${m.downloadDir ?? ''}
            @file-send=${(e: CustomEvent<{ files: File[] }>) => m.sendFiles(e.detail.files)}
            @file-pick=${() => m.pickFile()}
            @file-paths=${(e: CustomEvent<{ paths: string[] }>) => m.sendPaths(e.detail.paths)}
            @file-show=${(e: CustomEvent<{ id: string }>) => m.showInFolder(e.detail.id)}
          ></rr-file-panel>
        </section>
        <section class="card">
          <rr-session-log .entries=${m.log}></rr-session-log>
        </section>
      </div>
      <div class="end">
        <button class="danger" @click=${() => m.end()} data-testid="end-session">End session</button>
      </div>
    `;
  }

  private renderPermission(p: Permission, state: PermissionState) {
    return html`<tr data-permission=${p} data-state=${state}>
      <th scope="row">${PERMISSION_LABELS[p]}</th>
      <td class=${`state-${state}`}>${STATE_TEXT[state]}</td>
      <td>
        ${state === 'granted'
          ? html`<button @click=${() => this.model?.revoke(p)} aria-label=${`Stop: ${PERMISSION_LABELS[p]}`}>Stop</button>`
          : nothing}
      </td>
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-customer-session': RrCustomerSession;
  }
}
