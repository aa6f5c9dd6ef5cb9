import type { Exception } from "../bindings/Exception";
import type { InstanceLine } from "../bindings/InstanceLine";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { Report } from "../bindings/Report";
import type { StateCounts } from "../bindings/StateCounts";
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
    sent: 0,
    unclassified: 0,
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
    sent: 0,
    unclassified: 0,
    rejected: [],
    ...over,
  };
}

/** The text of each cell of a table row. */
export function cellTexts(row: HTMLElement | undefined): string[] {
  return Array.from((row as HTMLTableRowElement).cells).map((c) => c.textContent ?? "");
}

export const INSTANCE_A = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
export const INSTANCE_B = "c4a1f7e2-9b8d-4a6c-b3e5-1d2f3a4b5c6d";

export function monthInfo(over: Partial<MonthInfo> = {}): MonthInfo {
  return { month: "2026-10", status: "open", approved_at: null, approved_by: null, ...over };
}

export function instanceLine(over: Partial<InstanceLine> = {}): InstanceLine {
  return {
    instance_id: INSTANCE_A,
    charges: 1,
    refunds: 1,
    gross: "0.00",
    expenses: "1.72",
    net: "-1.72",
    wix_share: "-0.34",
    ...over,
  };
}

export function exception(over: Partial<Exception> = {}): Exception {
  return {
    kind: "unresolved_instance",
    source: "stripe-itemized",
    source_id: "txn_0001",
    txn_id: 17,
    row_kind: "charge",
    created_date: "2026-10-02T10:00:00Z",
    file: "stripe_itemized.csv:4",
    detail: "no instance: map the customer or assign the row",
    ...over,
  };
}

/** A month report as Rust sends it: every amount a decimal string. */
export function monthReport(over: Partial<Report> = {}): Report {
  return {
    month: "2026-10",
    quarter: null,
    app_id: "9a1b2c3d-0000-4000-8000-00000000a001",
    app_name: "Acme Forms",
    status: "open",
    totals: { events: 3, gross: "99.00", expenses: "4.89", net: "94.11", wix_share: "18.82" },
    instances: [
      instanceLine(),
      instanceLine({ instance_id: INSTANCE_B, charges: 1, refunds: 0, gross: "99.00", expenses: "3.17", net: "95.83", wix_share: "19.17" }),
    ],
    events: [],
    exceptions: [],
    payouts: [],
    ...over,
  };
}

export function outboxEntry(over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: "tx-1",
    month: "2026-10",
    instance_id: INSTANCE_A,
    billing_type: "CHARGE",
    gross: "49.00",
    wix_share: "9.46",
    state: "queued",
    attempts: 0,
    last_error: null,
    last_attempt_at: null,
    ...over,
  };
}

export function stateCounts(over: Partial<StateCounts> = {}): StateCounts {
  return { queued: 0, sending: 0, sent: 0, rejected: 0, uncertain: 0, ...over };
}
