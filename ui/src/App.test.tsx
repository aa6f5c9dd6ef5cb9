// The whole window against a fake shell: `invoke` and the dialog plugin are replaced at the
// module boundary, so the real api.ts (command names, argument names) is exercised too.
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ImportReport } from "./bindings/ImportReport";
import type { ImportFileRequest } from "./bindings/ImportFileRequest";
import type { ImportPreview } from "./bindings/ImportPreview";
import { batch, monthInfo, monthSummary, previewOf, report } from "./test/fixtures";

const invoke = vi.fn();
const openDialog = vi.fn();
vi.mock("@tauri-apps/api/core", async () => {
  const { FakeChannel } = await import("./test/fixtures");
  return { invoke: (...a: unknown[]) => invoke(...a), Channel: FakeChannel };
});
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: (...a: unknown[]) => openDialog(...a), save: vi.fn() }));

const { App } = await import("./App");

/** A fake engine: a batch list, and the next import's outcome. */
function fakeShell(opts: { batches?: BatchSummary[]; previewError?: string } = {}) {
  let batches = opts.batches ?? [];
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "ledger_info":
        return "/home/ana/.local/share/partner-ledger/ledger.sqlite";
      case "list_batches":
        return batches;
      case "preview_imports":
        if (opts.previewError) throw opts.previewError;
        return previewOf(args!.files as ImportFileRequest[]);
      case "commit_imports": {
        const files = (args!.preview as ImportPreview).files;
        const done: ImportReport[] = files.map((f, i) => report({ file: f.request.path, batch_id: batches.length + i + 1 }));
        batches = [...done.map((r) => batch({ id: r.batch_id!, file_name: r.file.split("/").pop()!, imported: r.imported })).reverse(), ...batches];
        return done;
      }
      case "ledger_timezone":
        return "UTC";
      case "undo_batch":
        batches = batches.map((b) => (b.id === args!.id ? { ...b, undone_at: "2026-11-05T08:00:00Z" } : b));
        return batches.find((b) => b.id === args!.id);
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

beforeEach(() => {
  invoke.mockReset();
  openDialog.mockReset();
});

describe("App", () => {
  it("shows the data file and the empty state", async () => {
    fakeShell();
    render(<App />);
    expect(await screen.findByText("No imports yet — import a Stripe or PayPal export")).toBeInTheDocument();
    expect(screen.getByText("/home/ana/.local/share/partner-ledger/ledger.sqlite")).toBeInTheDocument();
  });

  it("previews a typed path, imports it on request and shows the new batch", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<App />);
    await screen.findByTestId("batches-empty");

    await user.click(screen.getByLabelText("File path"));
    await user.keyboard("/data/stripe_itemized.csv{Enter}");

    // A preview first: nothing is written yet.
    const card = await screen.findByTestId("import-preview-file");
    expect(card).toHaveTextContent("5 new rows to import (1 skipped).");
    expect(calls("preview_imports")[0]![1]).toMatchObject({ files: [{ path: "/data/stripe_itemized.csv", format: null, date_order: null }] });
    expect(calls("commit_imports")).toHaveLength(0);
    expect(screen.getByTestId("batches-empty")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Import 1 file" }));
    expect(calls("commit_imports")).toHaveLength(1);
    expect(await screen.findByText("Imported as batch 1.")).toBeInTheDocument();
    const table = await screen.findByTestId("batches-table");
    expect(within(table).getByTestId("batch-row-1")).toHaveTextContent("stripe_itemized.csv");
    expect(screen.queryByTestId("import-preview")).toBeNull();
  });

  it("previews and imports the files chosen in the dialog", async () => {
    const user = userEvent.setup();
    fakeShell();
    openDialog.mockResolvedValue(["/home/ana/Downloads/itemized.csv", "/home/ana/Downloads/paypal.csv"]);
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.click(screen.getByRole("button", { name: "Choose files…" }));

    expect(openDialog).toHaveBeenCalledTimes(1);
    expect(openDialog.mock.calls[0]![0]).toMatchObject({ multiple: true, directory: false });
    expect(openDialog.mock.calls[0]![0].filters[0].extensions).toContain("csv");
    expect(await screen.findAllByTestId("import-preview-file")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Import 2 files" }));
    expect(await screen.findByText("Imported as batch 1.")).toBeInTheDocument();
    expect(screen.getByText("Imported as batch 2.")).toBeInTheDocument();
  });

  it("does nothing when the dialog is cancelled", async () => {
    const user = userEvent.setup();
    fakeShell();
    openDialog.mockResolvedValue(null);
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.click(screen.getByRole("button", { name: "Choose files…" }));
    expect(calls("preview_imports")).toHaveLength(0);
    expect(screen.queryByTestId("import-preview")).toBeNull();
  });

  it("shows the engine's message when the files cannot be previewed", async () => {
    const user = userEvent.setup();
    fakeShell({ previewError: "the ledger is busy: another Partner Ledger process is writing to it" });
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.type(screen.getByLabelText("File path"), "/data/nope.csv{Enter}");
    expect(await screen.findByTestId("import-error")).toHaveTextContent(
      "The files could not be previewed: the ledger is busy: another Partner Ledger process is writing to it",
    );
    expect(calls("commit_imports")).toHaveLength(0);
  });

  it("undoes a batch after confirmation and shows it as undone", async () => {
    const user = userEvent.setup();
    fakeShell({ batches: [batch({ id: 5 })] });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Undo batch 5" }));
    await user.click(screen.getByRole("button", { name: "Yes, undo" }));

    expect(calls("undo_batch")).toEqual([["undo_batch", { id: 5 }]]);
    expect(await screen.findByRole("status")).toHaveTextContent("Batch 5 (stripe_itemized.csv) was undone.");
    expect(screen.getByTestId("batch-row-5")).toHaveTextContent("2026-11-05 08:00 UTC");
  });

  it("shows why an undo was refused", async () => {
    const user = userEvent.setup();
    fakeShell({ batches: [batch({ id: 5 })] });
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation((cmd: string, args?: unknown) =>
      cmd === "undo_batch" ? Promise.reject("batch 5 has rows in the approved month 2026-10") : base(cmd, args),
    );
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Undo batch 5" }));
    await user.click(screen.getByRole("button", { name: "Yes, undo" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "Batch 5 was not undone: batch 5 has rows in the approved month 2026-10",
    );
  });

  it("switches views with the keyboard, loads a view when shown, and keeps the others' state", async () => {
    const user = userEvent.setup();
    fakeShell({ batches: [batch({ id: 5 })] });
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation(async (cmd: string, args?: unknown) => {
      switch (cmd) {
        case "list_months":
          return [monthInfo()];
        case "month_summary":
          return monthSummary();
        case "instance_page":
        case "event_page":
          return { total: 0, offset: 0, rows: [] };
        case "recover_outbox":
          return 0;
        default:
          return base(cmd, args);
      }
    });
    render(<App />);
    await screen.findByTestId("batch-row-5");
    const tabs = screen.getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Imports", "Month", "Submission", "Usage", "Setup", "Audit"]);
    expect(tabs[0]).toHaveAttribute("aria-selected", "true");
    // Nothing of the other views is loaded before they are shown.
    expect(calls("list_months")).toHaveLength(0);

    await user.type(screen.getByLabelText("File path"), "/data/half-typed.csv");
    tabs[0]!.focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Month" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Month" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("button", { name: "Approve 2026-10" })).toBeEnabled();
    expect(screen.getByRole("tabpanel")).toHaveAttribute("id", "panel-month");

    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Audit" })).toHaveFocus();
    await user.keyboard("{ArrowLeft}{ArrowLeft}{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Submission" })).toHaveFocus();
    expect(await screen.findByText("Nothing to submit yet — approve a month first")).toBeInTheDocument();
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Audit" })).toHaveFocus();

    await user.keyboard("{Home}");
    expect(screen.getByRole("tab", { name: "Imports" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByLabelText("File path")).toHaveValue("/data/half-typed.csv");
    // Showing the Month view again reads the months again (an import may have added one).
    await user.keyboard("{ArrowLeft}{ArrowLeft}{ArrowLeft}{ArrowLeft}{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Month" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(calls("list_months").length).toBeGreaterThanOrEqual(3));
  });

  it("reports a ledger that cannot be read", async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === "ledger_info") return "/x.sqlite";
      throw "cannot open the ledger at /x.sqlite: unable to open database file";
    });
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The ledger could not be read.");
  });
});
