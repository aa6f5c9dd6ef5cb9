// The only module that talks to the desktop shell. Components call these functions; tests
// replace `@tauri-apps/api/core` and `@tauri-apps/plugin-dialog` underneath them.
import { invoke } from "@tauri-apps/api/core";
import { open } from "@tauri-apps/plugin-dialog";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ImportReport } from "./bindings/ImportReport";

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
