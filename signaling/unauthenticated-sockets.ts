import { addressKey } from './client-address.ts';

/** A place among the open unauthenticated sockets; give it back once (authenticated or closed). */
export interface UnauthenticatedSlot {
  release(): void;
}

/**
 * Bounds the sockets that are open but have not authenticated yet (a customer
 * socket before its code or token): at most `perAddress` per address (IPv6:
 * per /64) and `total` over all, so idle sockets cannot pile up.
 */
export class UnauthenticatedSockets {
  private readonly byAddress = new Map<string, number>();
  private open = 0;

  constructor(
    private readonly perAddress: number,
    private readonly total: number,
  ) {}

  /** A slot for one more socket from `address`, or why there is none. */
  admit(address: string): UnauthenticatedSlot | { refused: 'address' | 'total' } {
    const key = addressKey(address);
    const mine = this.byAddress.get(key) ?? 0;
    if (mine >= this.perAddress) return { refused: 'address' };
    if (this.open >= this.total) return { refused: 'total' };
    this.byAddress.set(key, mine + 1);
    this.open++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        const left = (this.byAddress.get(key) ?? 1) - 1;
        if (left <= 0) this.byAddress.delete(key);
        else this.byAddress.set(key, left);
      },
    };
  }

  get size(): number {
    return this.open;
  }
}
