/**
 * Paging over a keyset API (newest first, `next` cursor per page): remembers
 * the cursors of the pages seen so "Newer" can go back without offsets.
 */
export class KeysetPager {
  /** Cursors of the pages before the current one (undefined = the first page). */
  private readonly back: (string | undefined)[] = [];
  current: string | undefined;

  get hasNewer(): boolean {
    return this.back.length > 0;
  }

  /** Page number, from 1. */
  get number(): number {
    return this.back.length + 1;
  }

  older(next: string): void {
    this.back.push(this.current);
    this.current = next;
  }

  newer(): void {
    if (this.back.length > 0) this.current = this.back.pop();
  }

  reset(): void {
    this.back.length = 0;
    this.current = undefined;
  }
}
