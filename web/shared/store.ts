import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** A plain observable state holder: UI-free models extend it and call `changed()`. */
export class Store {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** Re-renders a Lit host whenever the store it watches changes. */
export class StoreController<S extends Store> implements ReactiveController {
  private unsubscribe: (() => void) | undefined;
  private current: S | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly get: () => S | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.watch();
  }

  hostUpdate(): void {
    if (this.get() !== this.current) this.watch();
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.current = undefined;
  }

  private watch(): void {
    this.unsubscribe?.();
    this.current = this.get();
    this.unsubscribe = this.current?.subscribe(() => this.host.requestUpdate());
  }
}
