import { TaskStore } from '../shared/task-store.ts';

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

/** A store showing one keyset page of a list at a time, with Older and Newer. */
export abstract class PagedStore<P extends { next: string | null }> extends TaskStore {
  page: P | null = null;
  readonly pager = new KeysetPager();

  /** The page that starts after `cursor` (undefined = the newest). */
  protected abstract fetchPage(cursor: string | undefined): Promise<P>;

  /** Back to the first page. */
  async reload(): Promise<void> {
    this.pager.reset();
    await this.load();
  }

  async older(): Promise<void> {
    if (!this.page?.next) return;
    this.pager.older(this.page.next);
    await this.load();
  }

  async newer(): Promise<void> {
    this.pager.newer();
    await this.load();
  }

  protected async load(): Promise<void> {
    await this.run(async () => {
      this.page = await this.fetchPage(this.pager.current);
    });
  }
}
