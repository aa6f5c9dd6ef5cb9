// The rows of a long list the engine serves by page (instance lines, event lines, the outbox):
// the window holds only the pages near what is shown, and asks for the others as they are
// scrolled to. One cache answers one query; a new query gets a new cache, and the answers
// still coming for the old one are dropped.

/** A page as the engine answers it: `rows` from `offset`, out of `total` matching. */
export interface Page<R> {
  total: number;
  offset: number;
  rows: R[];
}

/** Asks the engine for `limit` rows from `offset` of one query. */
export type FetchPage<R> = (offset: number, limit: number) => Promise<Page<R>>;

/** Rows per request: a few screens, well under the engine's limit of 1,000. */
export const PAGE_SIZE = 200;

/** Pages kept at most; the ones farthest from what is shown are dropped first. */
export const KEEP_PAGES = 8;

export class PageCache<R> {
  private readonly pages = new Map<number, R[]>();
  private readonly inflight = new Set<number>();
  private readonly failed = new Set<number>();
  /** Bumped by `close`: an answer to an earlier generation is dropped. */
  private generation = 0;
  private shown: { first: number; last: number } = { first: 0, last: 0 };
  /** How many rows match the query; null until the first answer. */
  total: number | null = null;
  /** Why the last request failed, until `retry`. */
  error: string | null = null;

  constructor(
    private readonly fetchPage: FetchPage<R>,
    private readonly onChange: () => void,
    private readonly describe: (e: unknown) => string,
    readonly pageSize: number = PAGE_SIZE,
    private readonly keep: number = KEEP_PAGES,
  ) {}

  /** Row `i` of the whole list, or undefined while its page is not here. */
  row(i: number): R | undefined {
    return this.pages.get(Math.floor(i / this.pageSize))?.[i % this.pageSize];
  }

  /**
   * Asks for the pages holding rows `first..=last` that are neither here nor on their way.
   * Before the first answer the list's length is unknown: the first page is asked for.
   */
  ensure(first: number, last: number): void {
    const lo = Math.max(0, Math.min(first, last));
    const hi = this.total === null ? lo : Math.min(Math.max(first, last), this.total - 1);
    this.shown = { first: lo, last: hi };
    if (this.total === null) {
      if (this.inflight.size === 0 && !this.pages.has(0) && !this.failed.has(0)) this.request(0);
      return;
    }
    if (hi < lo) return;
    for (let p = this.pageOf(lo); p <= this.pageOf(hi); p++) {
      if (!this.pages.has(p) && !this.inflight.has(p) && !this.failed.has(p)) this.request(p);
    }
  }

  /** Asks again for the pages whose request failed. */
  retry(): void {
    this.failed.clear();
    this.error = null;
    this.onChange();
  }

  /** Stops listening: answers still on their way are dropped. */
  close(): void {
    this.generation += 1;
    this.inflight.clear();
  }

  private pageOf(i: number): number {
    return Math.floor(Math.max(0, i) / this.pageSize);
  }

  private request(p: number): void {
    const gen = this.generation;
    this.inflight.add(p);
    this.fetchPage(p * this.pageSize, this.pageSize).then(
      (page) => {
        if (gen !== this.generation) return;
        this.inflight.delete(p);
        this.total = Math.max(0, page.total);
        this.pages.set(p, page.rows.slice(0, this.pageSize));
        this.evict();
        this.onChange();
      },
      (e: unknown) => {
        if (gen !== this.generation) return;
        this.inflight.delete(p);
        this.failed.add(p);
        this.error = this.describe(e);
        this.onChange();
      },
    );
  }

  /** Drops the pages farthest from the rows shown, beyond `keep`; never a shown one. */
  private evict(): void {
    if (this.pages.size <= this.keep) return;
    const lo = this.pageOf(this.shown.first);
    const hi = this.pageOf(this.shown.last);
    const distance = (p: number) => (p < lo ? lo - p : p > hi ? p - hi : 0);
    const far = Array.from(this.pages.keys())
      .filter((p) => distance(p) > 0)
      .sort((a, b) => distance(b) - distance(a));
    for (const p of far) {
      if (this.pages.size <= this.keep) break;
      this.pages.delete(p);
    }
  }

  /** How many pages are held (for tests). */
  get held(): number {
    return this.pages.size;
  }
}
