/**
 * Keeps a scrolling list (the chat, the session log) showing its newest line
 * when its box changes: narrowing the window, turning a phone or a larger
 * text size re-wraps the lines, the content grows under an unchanged
 * scrollTop, and the newest lines end up below the visible part (seen at
 * 390x844 after the page had been wider: test/web/e2e.test.ts). While the
 * reader is at the bottom, a resize scrolls it back there; a reader who
 * scrolled up to read is left alone. The lists also anchor on an empty last
 * line in CSS (`overflow-anchor`): in Chromium the observer alone fixed the
 * log but not the chat, the CSS anchor fixed both; Safari, what a 390x844
 * iPhone runs, has no `overflow-anchor`, so the observer stays.
 */
export class StickToBottom {
  private atBottom = true;
  private readonly observer: ResizeObserver;

  constructor(private readonly list: HTMLElement) {
    list.addEventListener('scroll', () => (this.atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 8), { passive: true });
    this.observer = new ResizeObserver(() => {
      if (this.atBottom) this.toBottom();
    });
    this.observer.observe(list);
  }

  /** New lines arrived: show the newest. */
  toBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.atBottom = true;
  }

  disconnect(): void {
    this.observer.disconnect();
  }
}
