import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { KEY_CODE_PATTERN, type InputMessage, type MouseButton, type PointerMessage } from '../../protocol/channels.ts';
import { baseStyles } from '../shared/styles.ts';
import { containRect, toFractions, wheelNotches } from './video-geometry.ts';

/** Where the remote screen sends input: pointer moves unordered, everything else ordered. */
export interface InputSink {
  pointer(msg: PointerMessage): void;
  input(msg: InputMessage): void;
}

const BUTTONS: Record<number, MouseButton> = { 0: 'left', 1: 'middle', 2: 'right' };

/**
 * The customer's screen as live video, scaled to fit (letterboxed), with a
 * full-screen mode. With control granted it captures pointer, wheel and keys:
 * coordinates are fractions of the picture, moves are coalesced to one per frame.
 */
@customElement('rr-remote-screen')
export class RrRemoteScreen extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .frame { position: relative; }
      /* The picture keeps 16:9 until --rr-screen-max-height caps it; the video letterboxes inside. */
      .picture { position: relative; width: 100%; aspect-ratio: 16 / 9; max-height: var(--rr-screen-max-height, none);
        background: #101418; border-radius: 0.5rem; overflow: hidden; }
      .frame:fullscreen { background: #101418; }
      .frame:fullscreen .picture { aspect-ratio: auto; height: 100%; max-height: none; border-radius: 0; }
      video { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; display: block; background: #101418; }
      video.control { cursor: crosshair; }
      .empty { position: absolute; inset: 0; display: grid; place-items: center; color: #c9d1d9; text-align: center; padding: 1rem; pointer-events: none; }
      .bar { display: flex; gap: 0.5rem; align-items: center; margin-top: 0.4rem; flex-wrap: wrap; }
      .frame:fullscreen .bar { position: absolute; top: 0.5rem; right: 0.5rem; margin: 0; }
      .hint { font-size: 0.85rem; }
    `,
  ];

  @property({ attribute: false }) stream: MediaStream | null = null;
  @property({ type: Boolean }) control = false;
  @property({ attribute: false }) sink?: InputSink;
  @property() emptyText = 'Waiting for the customer to share the screen.';
  @state() private fullscreen = false;
  @query('video') private video?: HTMLVideoElement;
  @query('.frame') private frame?: HTMLDivElement;
  private pendingMove: { x: number; y: number } | null = null;
  private rafId = 0;
  private readonly held = new Set<string>();

  override render() {
    return html`
      <div class="frame">
        <div class="picture">
        <video
          data-testid="remote-video"
          class=${this.control ? 'control' : ''}
          autoplay
          playsinline
          muted
          tabindex=${this.control ? '0' : '-1'}
          aria-label=${this.control ? "Customer's screen. Remote control is on: keys and mouse go to the customer's computer." : "Customer's screen"}
          @pointermove=${(e: PointerEvent) => this.onPointerMove(e)}
          @pointerdown=${(e: PointerEvent) => this.onPointerButton(e)}
          @pointerup=${(e: PointerEvent) => this.onPointerButton(e)}
          @wheel=${(e: WheelEvent) => this.onWheel(e)}
          @contextmenu=${(e: Event) => this.control && e.preventDefault()}
          @keydown=${(e: KeyboardEvent) => this.onKey(e)}
          @keyup=${(e: KeyboardEvent) => this.onKey(e)}
          @blur=${() => this.releaseAll()}
        ></video>
        ${this.stream ? nothing : html`<div class="empty">${this.emptyText}</div>`}
        </div>
        <div class="bar">
          <button @click=${() => void this.toggleFullscreen()} aria-pressed=${this.fullscreen ? 'true' : 'false'}>
            ${this.fullscreen ? 'Exit full screen' : 'Full screen'}
          </button>
          ${this.control ? html`<span class="hint muted">Click the picture to type into the customer's computer; Ctrl+Alt+Escape moves focus out.</span>` : nothing}
        </div>
      </div>
    `;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.onFullscreenChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.onFullscreenChange);
    cancelAnimationFrame(this.rafId);
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('stream') && this.video && this.video.srcObject !== this.stream) {
      this.video.srcObject = this.stream;
      if (this.stream) this.video.play().catch(() => undefined);
    }
    if (changed.has('control') && !this.control) this.releaseAll();
  }

  private readonly onFullscreenChange = (): void => {
    this.fullscreen = document.fullscreenElement === this.frame;
  };

  private async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.frame?.requestFullscreen();
    } catch {
      // Full screen refused (e.g. not allowed in this frame).
    }
  }

  private fractions(e: MouseEvent): { x: number; y: number } | null {
    const v = this.video;
    if (!v) return null;
    const box = v.getBoundingClientRect();
    return toFractions(e.clientX - box.left, e.clientY - box.top, containRect(box.width, box.height, v.videoWidth, v.videoHeight));
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.control || !this.sink) return;
    const at = this.fractions(e);
    if (!at) return;
    this.pendingMove = at;
    if (this.rafId) return;
    this.rafId = requestAnimationFrame(() => {
      this.rafId = 0;
      const move = this.pendingMove;
      this.pendingMove = null;
      if (move && this.control) this.sink?.pointer({ type: 'pointer.move', x: move.x, y: move.y });
    });
  }

  private onPointerButton(e: PointerEvent): void {
    if (!this.control || !this.sink) return;
    const button = BUTTONS[e.button];
    const at = this.fractions(e);
    if (!button || !at) return;
    e.preventDefault();
    const down = e.type === 'pointerdown';
    if (down) {
      this.video?.focus();
      this.video?.setPointerCapture(e.pointerId);
      this.held.add(`btn:${button}`);
    } else {
      this.held.delete(`btn:${button}`);
    }
    this.sink.input({ type: 'pointer.button', button, down, x: at.x, y: at.y });
  }

  private onWheel(e: WheelEvent): void {
    if (!this.control || !this.sink) return;
    const at = this.fractions(e);
    if (!at) return;
    e.preventDefault();
    const dx = wheelNotches(e.deltaX, e.deltaMode);
    const dy = wheelNotches(e.deltaY, e.deltaMode);
    if (dx === 0 && dy === 0) return;
    this.sink.input({ type: 'wheel', dx, dy, x: at.x, y: at.y });
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.control || !this.sink) return;
    if (!KEY_CODE_PATTERN.test(e.code)) return;
    if (e.type === 'keydown' && e.code === 'Escape' && e.ctrlKey && e.altKey) {
      // The way out for keyboard users: everything else, Tab included, goes to the remote computer.
      this.releaseAll();
      this.renderRoot.querySelector<HTMLButtonElement>('.bar button')?.focus();
      e.preventDefault();
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    const down = e.type === 'keydown';
    if (down) this.held.add(`key:${e.code}`);
    else this.held.delete(`key:${e.code}`);
    this.sink.input({ type: 'key', code: e.code, key: e.key.slice(0, 32), down });
  }

  private releaseAll(): void {
    if (this.held.size === 0) return;
    this.held.clear();
    this.sink?.input({ type: 'input.release_all' });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-remote-screen': RrRemoteScreen;
  }
}
