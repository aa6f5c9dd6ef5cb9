import type { EventLine } from "../bindings/EventLine";
import type { EventQuery } from "../bindings/EventQuery";
import type { Exception } from "../bindings/Exception";
import type { InstanceLine } from "../bindings/InstanceLine";
import type { InstanceQuery } from "../bindings/InstanceQuery";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { MonthSummary } from "../bindings/MonthSummary";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { OutboxQuery } from "../bindings/OutboxQuery";
import { compareDecimal } from "../format";
import type { Page } from "../paging";
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

/** A month summary as Rust sends it: every amount a decimal string. */
export function monthSummary(over: Partial<MonthSummary> = {}): MonthSummary {
  return {
    month: "2026-10",
    status: "open",
    app_id: "9a1b2c3d-0000-4000-8000-00000000a001",
    app_name: "Acme Forms",
    totals: { events: 3, gross: "99.00", expenses: "4.89", net: "94.11", wix_share: "18.82" },
    charges: 2,
    refunds: 1,
    late: 0,
    instances: 2,
    exceptions: [],
    payouts: [],
    ...over,
  };
}

/** The instance lines of `monthSummary()`. */
export function twoInstances(): InstanceLine[] {
  return [
    instanceLine(),
    instanceLine({ instance_id: INSTANCE_B, charges: 1, refunds: 0, gross: "99.00", expenses: "3.17", net: "95.83", wix_share: "19.17" }),
  ];
}

export function eventLine(over: Partial<EventLine> = {}): EventLine {
  return {
    id: "tx-1",
    instance_id: INSTANCE_A,
    billing_type: "CHARGE",
    created_date: "2026-10-02T10:00:00Z",
    gross: "49.00",
    expenses: "1.72",
    net: "47.28",
    rate: "20",
    wix_share: "9.46",
    source: "stripe-itemized",
    source_id: "txn_1",
    late: false,
    state: "draft",
    product: "Pro",
    expense_note: "Stripe fee",
    rate_basis: "rate in force on 2026-10-02",
    ...over,
  };
}

/** `n` events `tx-0` … `tx-<n-1>`, alternately of instance A and B, charges but every fifth. */
export function manyEvents(n: number): EventLine[] {
  return Array.from({ length: n }, (_, i) =>
    eventLine({
      id: `tx-${i}`,
      instance_id: i % 2 === 0 ? INSTANCE_A : INSTANCE_B,
      billing_type: i % 5 === 4 ? "REFUND" : "CHARGE",
      source_id: `txn_${i}`,
      gross: `${i}.00`,
      late: i % 7 === 6,
    }),
  );
}

// The engine's paging, as a stand-in: filter, sort, then `limit` rows from `offset`.

function page<R>(rows: R[], offset: number, limit: number): Page<R> {
  return { total: rows.length, offset, rows: rows.slice(offset, offset + limit) };
}

function has(text: string | null | undefined, search: string | null): boolean {
  return search === null || (text ?? "").toLowerCase().includes(search.toLowerCase());
}

export function instancePageOf(lines: InstanceLine[], q: InstanceQuery): Page<InstanceLine> {
  const rows = lines.filter((l) => has(l.instance_id, q.search));
  const key = (l: InstanceLine) => (q.sort === "instance_id" || q.sort === "events" ? null : l[q.sort]);
  rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c =
      q.sort === "events" ? a.charges + a.refunds - (b.charges + b.refunds)
      : ka !== null && kb !== null ? compareDecimal(ka, kb)
      : a.instance_id.localeCompare(b.instance_id);
    return q.descending ? -c : c;
  });
  return page(rows, q.offset, q.limit);
}

export function eventPageOf(events: EventLine[], q: EventQuery): Page<EventLine> {
  const rows = events.filter(
    (e) =>
      (q.instance === null || e.instance_id === q.instance) &&
      (q.billing_type === null || e.billing_type === q.billing_type) &&
      (q.late === null || e.late === q.late) &&
      (q.state === null || e.state === q.state) &&
      (has(e.id, q.search) || has(e.source_id, q.search) || has(e.instance_id, q.search)),
  );
  if (q.sort !== "report") {
    const s = q.sort;
    rows.sort((a, b) => (s === "instance" ? a.instance_id.localeCompare(b.instance_id) : compareDecimal(a[s], b[s])));
  }
  if (q.descending) rows.reverse();
  return page(rows, q.offset, q.limit);
}

export function outboxPageOf(entries: OutboxEntry[], q: OutboxQuery): Page<OutboxEntry> {
  const rows = entries.filter(
    (e) => e.month === q.month && (q.state === null || e.state === q.state) && (has(e.id, q.search) || has(e.instance_id, q.search)),
  );
  return page(rows, q.offset, q.limit);
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

// ---- the import set ---------------------------------------------------------------------------

import type { FilePreview } from "../bindings/FilePreview";
import type { ImportFileRequest } from "../bindings/ImportFileRequest";
import type { ImportPreview } from "../bindings/ImportPreview";

/** A file's preview as the engine gives it: a clean file of four new rows. */
export function filePreview(path: string, over: Partial<FilePreview> = {}, req: Partial<ImportFileRequest> = {}): FilePreview {
  const name = path.split("/").pop() ?? path;
  return {
    request: { path, format: null, date_order: null, ...req },
    file_name: name,
    report: report({ file: path, batch_id: null, dry_run: true }),
    sha256: "cd".repeat(32),
    skipped: [{ what: "status Pending", rows: 1 }],
    unclassified_types: [],
    conflicts: 0,
    needs_date_order: false,
    error: null,
    ...over,
  };
}

/** The preview of `files`, each clean unless `of` says otherwise. */
export function previewOf(files: ImportFileRequest[], of: (f: ImportFileRequest) => Partial<FilePreview> = () => ({})): ImportPreview {
  return { files: files.map((f) => filePreview(f.path, of(f), f)) };
}

/** A stand-in for Tauri's Channel: the fake shell calls `onmessage` as the engine would. */
export class FakeChannel<T> {
  onmessage: (m: T) => void = () => {};
}
