/**
 * A tiny typed event emitter that runs in browsers and Node alike (no
 * `node:events`). A throwing handler is reported through `onHandlerError`
 * and never stops the other handlers or the emitter's caller.
 */
export class Emitter<E extends object> {
  private readonly handlers = new Map<keyof E, Set<(payload: never) => void>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof E>(type: K, handler: (payload: E[K]) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    return () => this.off(type, handler);
  }

  /** Subscribes for one event only. */
  once<K extends keyof E>(type: K, handler: (payload: E[K]) => void): () => void {
    const off = this.on(type, (payload) => {
      off();
      handler(payload);
    });
    return off;
  }

  off<K extends keyof E>(type: K, handler: (payload: E[K]) => void): void {
    this.handlers.get(type)?.delete(handler);
  }

  protected emit<K extends keyof E>(type: K, payload: E[K]): void {
    const set = this.handlers.get(type);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as (payload: E[K]) => void)(payload);
      } catch (err) {
        this.onHandlerError(err, String(type));
      }
    }
  }

  /** Called when a handler throws; defaults to console.error. */
  protected onHandlerError(err: unknown, type: string): void {
    console.error(`rtc: a '${type}' handler threw`, err);
  }

  protected removeAllListeners(): void {
    this.handlers.clear();
  }
}
