import type { BatchSummary } from "../bindings/BatchSummary";
import type { ImportReport } from "../bindings/ImportReport";

export function batch(over: Partial<BatchSummary> = {}): BatchSummary {
  return {
    id: 1,
    file_name: "stripe_itemized.csv",
    sha256: "ab".repeat(32),
    format: "stripe-itemized",
    imported_at: "2026-11-02T09:15:00Z",
    imported_by: "ana",
    rows_read: 5,
    imported: 4,
    duplicates: 0,
    skipped: 1,
    undone_at: null,
    ...over,
  };
}

export function report(over: Partial<ImportReport> = {}): ImportReport {
  return {
    file: "/data/stripe_itemized.csv",
    format: "stripe-itemized",
    batch_id: 1,
    dry_run: false,
    rows_read: 5,
    imported: 4,
    duplicates: 0,
    skipped: 1,
    rejected: [],
    ...over,
  };
}

/** The text of each cell of a table row. */
export function cellTexts(row: HTMLElement | undefined): string[] {
  return Array.from((row as HTMLTableRowElement).cells).map((c) => c.textContent ?? "");
}
