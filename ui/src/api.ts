// The only module that talks to the desktop shell. Components call these functions; tests
// replace `@tauri-apps/api/core` and `@tauri-apps/plugin-dialog` underneath them.
import { Channel, invoke as rawInvoke } from "@tauri-apps/api/core";
import { open } from "@tauri-apps/plugin-dialog";
import type { ApprovalOutcome } from "./bindings/ApprovalOutcome";
import type { AttemptInfo } from "./bindings/AttemptInfo";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ClassifyOutcome } from "./bindings/ClassifyOutcome";
import type { EventPage } from "./bindings/EventPage";
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

export interface ImportRequest {
  path: string;
  /** A format id (`stripe-itemized`, ...); omitted: detected from the header. */
  format?: string;
  /** `month-first` or `day-first`, for a file whose slash dates cannot decide it. */
  dateOrder?: string;
  dryRun: boolean;
}

export function importFile(req: ImportRequest): Promise<ImportReport> {
  return invoke<ImportReport>("import_file", {
    path: req.path,
    format: req.format ?? null,
    dateOrder: req.dateOrder ?? null,
    dryRun: req.dryRun,
  });
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

/** Opens the native file chooser; resolves to the chosen path, or null when cancelled. */
export async function chooseCsvFile(): Promise<string | null> {
  const chosen = await open({
    title: "Import a processor export",
    multiple: false,
    directory: false,
    filters: [
      { name: "CSV export", extensions: ["csv", "CSV"] },
      { name: "All files", extensions: ["*"] },
    ],
  });
  return typeof chosen === "string" ? chosen : null;
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

// ---- the Usage view (Custom Charges) --------------------------------------------------------

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
