// The only module that talks to the desktop shell. Components call these functions; tests
// replace `@tauri-apps/api/core` and `@tauri-apps/plugin-dialog` underneath them.
import { Channel, invoke as rawInvoke } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open, save } from "@tauri-apps/plugin-dialog";
import type { ApprovalOutcome } from "./bindings/ApprovalOutcome";
import type { AttemptInfo } from "./bindings/AttemptInfo";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ClassifyOutcome } from "./bindings/ClassifyOutcome";
import type { EventPage } from "./bindings/EventPage";
import type { ExportKind } from "./bindings/ExportKind";
import type { FieldProblem } from "./bindings/FieldProblem";
import type { ImportFileRequest } from "./bindings/ImportFileRequest";
import type { ImportPreview } from "./bindings/ImportPreview";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ManualRefundInfo } from "./bindings/ManualRefundInfo";
import type { MonthPoint } from "./bindings/MonthPoint";
import type { RefundOutcome } from "./bindings/RefundOutcome";
import type { EventQuery } from "./bindings/EventQuery";
import type { ImportReport } from "./bindings/ImportReport";
import type { InstancePage } from "./bindings/InstancePage";
import type { InstanceQuery } from "./bindings/InstanceQuery";
import type { MonthInfo } from "./bindings/MonthInfo";
import type { MonthSummary } from "./bindings/MonthSummary";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { OutboxPage } from "./bindings/OutboxPage";
import type { OutboxQuery } from "./bindings/OutboxQuery";
import type { StateCounts } from "./bindings/StateCounts";
import type { SubmitProgress } from "./bindings/SubmitProgress";
import type { SubmitReport } from "./bindings/SubmitReport";

/**
 * A command of the shell. When a benchmark has put an array at `window.__plIpc` (the real-window
 * timing, tests/e2e/window_bench.mjs), each call adds `[command, start, end]` to it (ms, from
 * `performance.now()`), so the time spent in the engine and the time spent drawing can be told
 * apart; otherwise it is `invoke` itself.
 */
function invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const log = (window as unknown as { __plIpc?: [string, number, number][] }).__plIpc;
  if (!log) return rawInvoke<T>(cmd, args);
  const start = performance.now();
  return rawInvoke<T>(cmd, args).finally(() => log.push([cmd, Math.round(start), Math.round(performance.now())]));
}

/** The data file the window shows. */
export function ledgerInfo(): Promise<string> {
  return invoke<string>("ledger_info");
}

export function listBatches(): Promise<BatchSummary[]> {
  return invoke<BatchSummary[]>("list_batches");
}

/** Undoes a batch; resolves to the batch as it is now (with `undone_at`). */
export function undoBatch(id: number): Promise<BatchSummary> {
  return invoke<BatchSummary>("undo_batch", { id });
}

// ---- the month ----------------------------------------------------------------------------

/** Months with activity or an approval, newest first. */
export function listMonths(): Promise<MonthInfo[]> {
  return invoke<MonthInfo[]>("list_months");
}

/**
 * One month's (`YYYY-MM`) totals, counts, exceptions and payout checks, without its instances
 * and events: those come by page. The whole month never crosses the IPC boundary.
 */
export function monthSummary(month: string): Promise<MonthSummary> {
  return invoke<MonthSummary>("month_summary", { month });
}

/** The most rows one page command returns (the engine refuses more). */
export const MAX_PAGE = 1000;

/** A page of a month's instance lines, sorted and searched by the engine. */
export function instancePage(query: InstanceQuery): Promise<InstancePage> {
  return invoke<InstancePage>("instance_page", { query });
}

/** A page of a month's event lines, filtered, searched and sorted by the engine. */
export function eventPage(query: EventQuery): Promise<EventPage> {
  return invoke<EventPage>("event_page", { query });
}

export type { ApprovalOutcome };

/** Approved (with the approved month's summary), or refused with the exceptions to fix. */
export function approveMonth(month: string): Promise<ApprovalOutcome> {
  return invoke<ApprovalOutcome>("approve_month", { month });
}

export function reopenMonth(month: string, reason: string): Promise<void> {
  return invoke<void>("reopen_month", { month, reason });
}

/** Assigns an instance to an exception's row; `saveMapping` also maps its customer. */
export function assignInstance(txnId: number, instance: string, saveMapping: boolean): Promise<void> {
  return invoke<void>("assign_instance", { txnId, instance, saveMapping });
}

/** What the operator can make of a type the importer does not know. */
export type Classification = "charge" | "refund" | "ignore";

/**
 * Classifies the type of an `unclassified_type` exception's row for its source: the engine
 * saves the rule and applies it to every row of that source and type, now and in later imports.
 */
export function classifyException(txnId: number, action: Classification): Promise<ClassifyOutcome> {
  return invoke<ClassifyOutcome>("classify_exception", { txnId, action });
}

// ---- the submission to Wix --------------------------------------------------------------

export const OUTBOX_STATES = ["queued", "sending", "sent", "rejected", "uncertain"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** A page of a month's approved events as the outbox holds them (state filter, search). */
export function outboxPage(query: OutboxQuery): Promise<OutboxPage> {
  return invoke<OutboxPage>("outbox_page", { query });
}

export function outboxCounts(month: string): Promise<StateCounts> {
  return invoke<StateCounts>("outbox_counts", { month });
}

export function outboxAttempts(eventId: string): Promise<AttemptInfo[]> {
  return invoke<AttemptInfo[]>("outbox_attempts", { eventId });
}

/** Turns `sending` events left by a crashed run into `uncertain`; resolves to how many. */
export function recoverOutbox(): Promise<number> {
  return invoke<number>("recover_outbox");
}

export type Resolution = "sent" | "resend";

export function resolveEvent(eventId: string, resolution: Resolution, reason: string): Promise<OutboxEntry> {
  return invoke<OutboxEntry>("resolve_event", { eventId, resolution, reason });
}

/** Submits a month's queued events to Wix; `onProgress` is called as the run advances. */
export function submitMonth(month: string, onProgress: (p: SubmitProgress) => void): Promise<SubmitReport> {
  const channel = new Channel<SubmitProgress>();
  channel.onmessage = onProgress;
  return invoke<SubmitReport>("submit_month", { month, onProgress: channel });
}

/** Command errors arrive as the engine's message (a string); anything else is shown as text. */
export function errorMessage(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

// ---- the Setup view -----------------------------------------------------------------------

import type { AppInfo } from "./bindings/AppInfo";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { AuditFacets } from "./bindings/AuditFacets";
import type { AuditPage } from "./bindings/AuditPage";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { ClassifyRule } from "./bindings/ClassifyRule";
import type { ColumnMappingInfo } from "./bindings/ColumnMappingInfo";
import type { ConnectionTest } from "./bindings/ConnectionTest";
import type { CredentialsInfo } from "./bindings/CredentialsInfo";
import type { CustomerMappingPage } from "./bindings/CustomerMappingPage";
import type { CustomerMappingQuery } from "./bindings/CustomerMappingQuery";
import type { FxCurrency } from "./bindings/FxCurrency";
import type { FxImportReport } from "./bindings/FxImportReport";
import type { MappingPreview } from "./bindings/MappingPreview";
import type { OperatorInfo } from "./bindings/OperatorInfo";
import type { RateInfo } from "./bindings/RateInfo";
import type { SettingInfo } from "./bindings/SettingInfo";
import type { UnclassifiedType } from "./bindings/UnclassifiedType";
import type { UnmapOutcome } from "./bindings/UnmapOutcome";

/** Who this desktop user is for the audit log: the saved name, or none yet (then the window asks). */
export function operatorInfo(): Promise<OperatorInfo> {
  return invoke<OperatorInfo>("operator_info");
}

/** Saves the operator's name for this desktop user; every later action is recorded under it. */
export function setOperator(name: string): Promise<OperatorInfo> {
  return invoke<OperatorInfo>("set_operator", { name });
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function setApp(id: string, name: string): Promise<AppInfo> {
  return invoke<AppInfo>("set_app", { id, name });
}

export function listRates(): Promise<RateInfo[]> {
  return invoke<RateInfo[]>("list_rates");
}

/** `instance`: null for the app's rate, else an instance's override. */
export function addRate(from: string, percent: string, instance: string | null): Promise<RateInfo> {
  return invoke<RateInfo>("add_rate", { from, percent, instance });
}

export function removeRate(from: string, instance: string | null): Promise<RateInfo> {
  return invoke<RateInfo>("remove_rate", { from, instance });
}

export function listSettings(): Promise<SettingInfo[]> {
  return invoke<SettingInfo[]>("list_settings");
}

/** Sets one setting (the engine checks the value); resolves to every setting as it is now. */
export function setSetting(key: string, value: string): Promise<SettingInfo[]> {
  return invoke<SettingInfo[]>("set_setting", { key, value });
}

/** The IANA time zone names the engine accepts, sorted. */
export function listTimezones(): Promise<string[]> {
  return invoke<string[]>("list_timezones");
}

/** Which Wix credentials are set for the app, and from where; never their values. */
export function credentialsInfo(): Promise<CredentialsInfo> {
  return invoke<CredentialsInfo>("credentials_info");
}

export type CredentialName = "app-secret" | "api-key" | "account-id";

/** Stores a credential in the OS keyring; the value is never sent back. */
export function storeCredential(name: CredentialName, value: string): Promise<CredentialsInfo> {
  return invoke<CredentialsInfo>("store_credential", { name, value });
}

export function removeCredential(name: CredentialName): Promise<CredentialsInfo> {
  return invoke<CredentialsInfo>("remove_credential", { name });
}

/** A real call to the configured Wix address for each way of signing in; failures are in the answer. */
export function testConnection(instance: string | null): Promise<ConnectionTest> {
  return invoke<ConnectionTest>("test_connection", { instance });
}

export function importFx(path: string): Promise<FxImportReport> {
  return invoke<FxImportReport>("import_fx", { path });
}

export function fxSummary(): Promise<FxCurrency[]> {
  return invoke<FxCurrency[]>("fx_summary");
}

export function listColumnMappings(): Promise<ColumnMappingInfo[]> {
  return invoke<ColumnMappingInfo[]>("list_column_mappings");
}

/** The text of a mapping file (TOML) chosen in the file dialog. */
export function readMappingFile(path: string): Promise<string> {
  return invoke<string>("read_mapping_file", { path });
}

/** The saved TOML of a mapping. */
export function columnMapping(name: string): Promise<string> {
  return invoke<string>("column_mapping", { name });
}

/** What the mapping reads from a sample file; nothing is saved or imported. */
export function previewColumnMapping(name: string, toml: string, path: string): Promise<MappingPreview> {
  return invoke<MappingPreview>("preview_column_mapping", { name, toml, path });
}

export function saveColumnMapping(name: string, toml: string): Promise<ColumnMappingInfo[]> {
  return invoke<ColumnMappingInfo[]>("save_column_mapping", { name, toml });
}

export function removeColumnMapping(name: string): Promise<ColumnMappingInfo[]> {
  return invoke<ColumnMappingInfo[]>("remove_column_mapping", { name });
}

export function customerMappings(query: CustomerMappingQuery): Promise<CustomerMappingPage> {
  return invoke<CustomerMappingPage>("customer_mappings", { query });
}

/** Saves (or changes) a customer's instance; resolves to the rows it resolved. */
export function mapCustomer(key: string, instance: string): Promise<number> {
  return invoke<number>("map_customer", { key, instance });
}

export function unmapCustomer(key: string): Promise<UnmapOutcome> {
  return invoke<UnmapOutcome>("unmap_customer", { key });
}

export function listClassifications(): Promise<ClassifyRule[]> {
  return invoke<ClassifyRule[]>("list_classifications");
}

/** The unknown types with rows waiting to be classified, per source. */
export function unclassifiedTypes(): Promise<UnclassifiedType[]> {
  return invoke<UnclassifiedType[]>("unclassified_types");
}

export function classifyType(source: string, typeName: string, action: Classification): Promise<ClassifyOutcome> {
  return invoke<ClassifyOutcome>("classify_type", { source, typeName, action });
}

export function removeClassification(source: string, typeName: string): Promise<ClassifyOutcome> {
  return invoke<ClassifyOutcome>("remove_classification", { source, typeName });
}

/** Opens the native file chooser for a file of one kind; resolves to its path, or null when cancelled. */
export async function chooseFile(title: string, filter: { name: string; extensions: string[] }): Promise<string | null> {
  const chosen = await open({
    title,
    multiple: false,
    directory: false,
    filters: [filter, { name: "All files", extensions: ["*"] }],
  });
  return typeof chosen === "string" ? chosen : null;
}

// ---- the Audit view -----------------------------------------------------------------------

/** A page of the audit log, newest first, filtered by the engine. */
export function auditPage(query: AuditQuery): Promise<AuditPage> {
  return invoke<AuditPage>("audit_page", { query });
}

export function auditFacets(): Promise<AuditFacets> {
  return invoke<AuditFacets>("audit_facets");
}

/** One audit entry whole (its values before and after as stored). */
export function auditEntry(id: number): Promise<AuditEntry> {
  return invoke<AuditEntry>("audit_entry", { id });
}

// ---- the month's workflow -------------------------------------------------------------------

/**
 * What importing `files` in this order would do, file by file (each after the ones before it);
 * nothing is written. `onProgress` is told how far the engine is.
 */
export function previewImports(files: ImportFileRequest[], onProgress: (p: ImportProgress) => void): Promise<ImportPreview> {
  const channel = new Channel<ImportProgress>();
  channel.onmessage = onProgress;
  return invoke<ImportPreview>("preview_imports", { files, onProgress: channel });
}

/**
 * Imports exactly what `preview` showed (its importable files, each a batch), or nothing: the
 * error then says what changed since the preview.
 */
export function commitImports(preview: ImportPreview, onProgress: (p: ImportProgress) => void): Promise<ImportReport[]> {
  const channel = new Channel<ImportProgress>();
  channel.onmessage = onProgress;
  return invoke<ImportReport[]>("commit_imports", { preview, onProgress: channel });
}

/** Stops the running preview or import (nothing is written). */
export function cancelImport(): Promise<void> {
  return invoke<void>("cancel_import");
}

/** A manual refund as the form holds it; empty optional fields are sent as null. */
export interface RefundRequest {
  instance: string;
  date: string;
  amount: string;
  feeReturned: string;
  charge: string;
  reason: string;
}

function refundArgs(r: RefundRequest): Record<string, unknown> {
  const opt = (v: string) => (v.trim() === "" ? null : v.trim());
  return { instance: r.instance.trim(), date: r.date.trim(), amount: r.amount.trim(), feeReturned: opt(r.feeReturned), charge: opt(r.charge), reason: r.reason.trim() };
}

/** The engine's problems with a manual refund, field by field (none: it would be added). */
export function checkManualRefund(r: RefundRequest): Promise<FieldProblem[]> {
  return invoke<FieldProblem[]>("check_manual_refund", refundArgs(r));
}

/** Adds a manual refund, or returns the engine's problems field by field. */
export function addManualRefund(r: RefundRequest): Promise<RefundOutcome> {
  return invoke<RefundOutcome>("add_manual_refund", refundArgs(r));
}

/** A manual refund (`mr-<n>`) as it was entered: what its deletion's confirmation shows. */
export function manualRefund(id: string): Promise<ManualRefundInfo> {
  return invoke<ManualRefundInfo>("manual_refund", { id });
}

/**
 * Deletes a manual refund of an open month (audited, as the operator); resolves to what was
 * deleted. The engine refuses one of an approved month, with its reason.
 */
export function deleteManualRefund(id: string): Promise<ManualRefundInfo> {
  return invoke<ManualRefundInfo>("delete_manual_refund", { id });
}

/** The last `count` months with their totals, oldest first. */
export function monthSeries(count: number): Promise<MonthPoint[]> {
  return invoke<MonthPoint[]>("month_series", { count });
}

/** Writes an export of a month (`YYYY-MM`) or quarter (`YYYY-Qn`) to `path`; resolves to the path written. */
export function exportCsv(period: string, kind: ExportKind, path: string, excel: boolean): Promise<string> {
  return invoke<string>("export_csv", { period, kind, path, excel });
}

/** The file name the save dialog proposes for an export. */
export function exportFileName(period: string, kind: ExportKind): Promise<string> {
  return invoke<string>("export_file_name", { period, kind });
}

/** The ledger's reporting time zone (an IANA name). */
export function ledgerTimezone(): Promise<string> {
  return invoke<string>("ledger_timezone");
}

/** Opens the native file chooser for several exports; resolves to the chosen paths (none when cancelled). */
export async function chooseCsvFiles(): Promise<string[]> {
  const chosen = await open({
    title: "Import processor exports",
    multiple: true,
    directory: false,
    filters: [
      { name: "CSV export", extensions: ["csv", "CSV"] },
      { name: "All files", extensions: ["*"] },
    ],
  });
  if (chosen === null) return [];
  return (Array.isArray(chosen) ? chosen : [chosen]).filter((p): p is string => typeof p === "string");
}

/** Opens the native save dialog for a CSV; resolves to the chosen path, or null when cancelled. */
export async function chooseSavePath(title: string, defaultName: string): Promise<string | null> {
  const chosen = await save({ title, defaultPath: defaultName, filters: [{ name: "CSV file", extensions: ["csv"] }] });
  return typeof chosen === "string" ? chosen : null;
}

/**
 * Calls `onDrop` with the paths of files dropped on the window, and `onHover` while files are
 * dragged over it (true) or leave (false). Resolves to the function that stops listening; outside
 * the desktop shell (tests without it) there is nothing to listen to.
 */
export async function onFilesDropped(onDrop: (paths: string[]) => void, onHover: (over: boolean) => void): Promise<() => void> {
  try {
    return await getCurrentWebview().onDragDropEvent((e) => {
      const p = e.payload;
      if (p.type === "drop") {
        onHover(false);
        if (p.paths.length > 0) onDrop(p.paths);
      } else if (p.type === "enter" || p.type === "over") {
        onHover(true);
      } else {
        onHover(false);
      }
    });
  } catch {
    return () => {};
  }
}

// ---- the Usage view (Custom Charges) --------------------------------------------------------

/** One CSV file from the open dialog (the usage import), or null when the dialog is closed. */
export async function chooseCsvFile(): Promise<string | null> {
  const chosen = await open({
    title: "Import usage",
    multiple: false,
    directory: false,
    filters: [
      { name: "CSV file", extensions: ["csv", "CSV"] },
      { name: "All files", extensions: ["*"] },
    ],
  });
  return typeof chosen === "string" ? chosen : null;
}

import type { ChargeCall } from "./bindings/ChargeCall";
import type { ChargeLimitInfo } from "./bindings/ChargeLimitInfo";
import type { ChargesAnswer } from "./bindings/ChargesAnswer";
import type { FrozenCharge } from "./bindings/FrozenCharge";
import type { NewPlan } from "./bindings/NewPlan";
import type { PlanInfo } from "./bindings/PlanInfo";
import type { UsageImportReport } from "./bindings/UsageImportReport";
import type { UsageStatus } from "./bindings/UsageStatus";

/** Usage counts, the app's key fingerprint and app id. */
export function usageStatus(): Promise<UsageStatus> {
  return invoke<UsageStatus>("usage_status");
}

export function listPlans(): Promise<PlanInfo[]> {
  return invoke<PlanInfo[]>("list_plans");
}

/** Sets (replaces) a plan entry: a metric's unit prices from a day, for the app or one instance. */
export function setPlan(plan: NewPlan): Promise<PlanInfo> {
  return invoke<PlanInfo>("set_plan", { plan });
}

export function listChargeLimits(): Promise<ChargeLimitInfo[]> {
  return invoke<ChargeLimitInfo[]>("list_charge_limits");
}

/** No instance: the app's default for the currency. */
export function setChargeLimit(instance: string | null, currency: string, amount: string): Promise<ChargeLimitInfo> {
  return invoke<ChargeLimitInfo>("set_charge_limit", { instance, currency, amount });
}

/** Stores the app's public key (PEM); resolves to its SHA-256 fingerprint. */
export function setAppKey(pem: string): Promise<string> {
  return invoke<string>("set_app_key", { pem });
}

export function importUsage(path: string, dryRun: boolean): Promise<UsageImportReport> {
  return invoke<UsageImportReport>("import_usage", { path, dryRun });
}

/** What a DISPLAY_ONLY ListCharges call would answer now; `from`/`to` are YYYY-MM-DD (to excluded). */
export function previewCharges(instance: string, currency: string, from: string, to: string): Promise<ChargesAnswer> {
  return invoke<ChargesAnswer>("preview_charges", { instance, currency, from, to });
}

/** The provider's log of Wix's calls, newest first. */
export function chargeCalls(instance: string | null, limit: number): Promise<ChargeCall[]> {
  return invoke<ChargeCall[]>("charge_calls", { instance, limit });
}

export function frozenCharges(instance: string | null): Promise<FrozenCharge[]> {
  return invoke<FrozenCharge[]>("frozen_charges", { instance });
}
