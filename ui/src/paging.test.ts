import { describe, expect, it } from "vitest";
import { PageCache, type Page } from "./paging";

/** A list of `n` rows `r0`… served by hand: each request waits until the test answers it. */
function served(n: number) {
  const asked: Array<{ offset: number; limit: number; answer: () => Promise<void>; fail: (e: unknown) => Promise<void> }> = [];
  let changes = 0;
  const cache = new PageCache<string>(
    (offset, limit) =>
      new Promise<Page<string>>((resolve, reject) => {
        const rows = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => `r${offset + i}`);
        asked.push({
          offset,
          limit,
          answer: async () => resolve({ total: n, offset, rows }),
          fail: async (e) => reject(e),
        });
      }),
    () => (changes += 1),
    (e) => String(e),
    10,
    3,
  );
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { cache, asked, changes: () => changes, settle };
}

describe("PageCache", () => {
  it("asks for the first page, then only the pages of the rows shown, once each", async () => {
    const { cache, asked, settle } = served(100);
    cache.ensure(0, 12);
    cache.ensure(0, 12);
    expect(asked.map((a) => [a.offset, a.limit])).toEqual([[0, 10]]);
    expect(cache.total).toBeNull();
    await asked[0]!.answer();
    await settle();
    expect(cache.total).toBe(100);
    expect(cache.row(3)).toBe("r3");
    expect(cache.row(12)).toBeUndefined();

    cache.ensure(5, 24);
    expect(asked.map((a) => a.offset)).toEqual([0, 10, 20]);
    cache.ensure(8, 21);
    expect(asked).toHaveLength(3);
    // Rows past the end are never asked for.
    cache.ensure(95, 140);
    expect(asked.map((a) => a.offset)).toEqual([0, 10, 20, 90]);
  });

  it("keeps at most its number of pages, dropping the farthest from the rows shown", async () => {
    const { cache, asked, settle } = served(100);
    cache.ensure(0, 0);
    await asked[0]!.answer();
    for (const first of [10, 20, 30]) {
      cache.ensure(first, first + 5);
      await asked.at(-1)!.answer();
      await settle();
    }
    // Pages 0..3 asked, 3 kept: page 0, the farthest from 30..35, went.
    expect(cache.held).toBe(3);
    expect(cache.row(0)).toBeUndefined();
    expect(cache.row(35)).toBe("r35");
    expect(cache.row(15)).toBe("r15");
    // Scrolling back asks for it again.
    cache.ensure(0, 5);
    expect(asked.at(-1)!.offset).toBe(0);
  });

  it("drops the answers that arrive after it was closed", async () => {
    const { cache, asked, changes, settle } = served(100);
    cache.ensure(0, 5);
    cache.close();
    await asked[0]!.answer();
    await settle();
    expect(cache.total).toBeNull();
    expect(cache.row(0)).toBeUndefined();
    expect(changes()).toBe(0);
  });

  it("does not ask again for a page that failed until told to retry", async () => {
    const { cache, asked, settle } = served(100);
    cache.ensure(0, 5);
    await asked[0]!.fail("the ledger is locked");
    await settle();
    expect(cache.error).toBe("the ledger is locked");
    cache.ensure(0, 5);
    cache.ensure(0, 5);
    expect(asked).toHaveLength(1);
    cache.retry();
    expect(cache.error).toBeNull();
    cache.ensure(0, 5);
    expect(asked).toHaveLength(2);
    await asked[1]!.answer();
    await settle();
    expect(cache.row(5)).toBe("r5");
  });

  it("asks for nothing more once the list is known to be empty", async () => {
    const { cache, asked, settle } = served(0);
    cache.ensure(0, 0);
    await asked[0]!.answer();
    await settle();
    expect(cache.total).toBe(0);
    cache.ensure(0, 0);
    expect(asked).toHaveLength(1);
  });
});
