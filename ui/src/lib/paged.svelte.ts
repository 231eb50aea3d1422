import { friendly } from '$lib/api';

/** One page of a list the API reads by cursor. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read page by page ("Show more" appends the next), as the Recent and Starred views show
 * theirs: its rows, whether it is loading, and what went wrong in words a user can read.
 */
export class PagedList<T> {
  items = $state<T[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);

  constructor(
    private readonly read: (cursor: string | null) => Promise<Page<T>>,
    /** What the error says when a page could not be read. */
    private readonly failure: string,
  ) {}

  /** The first page again (`append`: the next page after those shown). */
  async load(append = false): Promise<void> {
    this.loading = true;
    try {
      const page = await this.read(append ? this.nextCursor : null);
      this.items = append ? [...this.items, ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (e) {
      this.error = friendly(e, this.failure);
    } finally {
      this.loading = false;
    }
  }
}
