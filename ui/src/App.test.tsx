// The whole window against a fake shell: `invoke` and the dialog plugin are replaced at the
// module boundary, so the real api.ts (command names, argument names) is exercised too.
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ImportReport } from "./bindings/ImportReport";
import { batch, monthInfo, monthSummary, report } from "./test/fixtures";

const invoke = vi.fn();
const openDialog = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: (...a: unknown[]) => openDialog(...a) }));

const { App } = await import("./App");

/** A fake engine: a batch list, and the next import's outcome. */
function fakeShell(opts: { batches?: BatchSummary[]; importResult?: () => Promise<ImportReport> } = {}) {
  let batches = opts.batches ?? [];
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "ledger_info":
        return "/home/ana/.local/share/partner-ledger/ledger.sqlite";
      case "list_batches":
        return batches;
      case "import_file": {
        const r = await (opts.importResult?.() ?? Promise.resolve(report({ file: String(args!.path) })));
        if (r.batch_id !== null && !r.dry_run) batches = [batch({ id: r.batch_id, imported: r.imported }), ...batches];
        return r;
      }
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

  it("imports a typed path from the keyboard and shows the new batch", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<App />);
    await screen.findByTestId("batches-empty");

    const field = screen.getByLabelText("File path");
    expect(screen.getByRole("button", { name: "Import" })).toBeDisabled();
    await user.click(field);
    await user.keyboard("/data/stripe_itemized.csv{Enter}");

    expect(calls("import_file")).toEqual([
      ["import_file", { path: "/data/stripe_itemized.csv", format: null, dateOrder: null, dryRun: false }],
    ]);
    expect(await screen.findByText("Imported as batch 1.")).toBeInTheDocument();
    const table = await screen.findByTestId("batches-table");
    expect(within(table).getByTestId("batch-row-1")).toHaveTextContent("stripe_itemized.csv");
    expect(screen.queryByTestId("batches-empty")).toBeNull();
  });

  it("passes the dry-run flag, the chosen format and date order, and does not reload batches for a dry run", async () => {
    const user = userEvent.setup();
    fakeShell({ importResult: async () => report({ dry_run: true, batch_id: null }) });
    render(<App />);
    await screen.findByTestId("batches-empty");
    const listsBefore = calls("list_batches").length;

    await user.type(screen.getByLabelText("File path"), "/data/p.csv");
    await user.selectOptions(screen.getByLabelText("Format"), "paypal-activity");
    await user.selectOptions(screen.getByLabelText("Dates"), "day-first");
    await user.click(screen.getByLabelText("Dry run"));
    await user.click(screen.getByRole("button", { name: "Import" }));

    expect(calls("import_file")[0]![1]).toEqual({
      path: "/data/p.csv",
      format: "paypal-activity",
      dateOrder: "day-first",
      dryRun: true,
    });
    expect(await screen.findByText("Dry run: the file is valid; nothing was imported.")).toBeInTheDocument();
    expect(calls("list_batches").length).toBe(listsBefore);
    expect(screen.getByTestId("batches-empty")).toBeInTheDocument();
  });

  it("is busy while importing and cannot start a second import", async () => {
    const user = userEvent.setup();
    let finish!: (r: ImportReport) => void;
    fakeShell({ importResult: () => new Promise((res) => (finish = res)) });
    render(<App />);
    await screen.findByTestId("batches-empty");

    await user.type(screen.getByLabelText("File path"), "/data/big.csv{Enter}");
    expect(await screen.findByRole("progressbar", { name: "Importing" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Importing…" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Import file…" })).toBeDisabled();
    expect(screen.getByLabelText("File path")).toBeDisabled();

    finish(report({ batch_id: 3 }));
    expect(await screen.findByText("Imported as batch 3.")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(calls("import_file")).toHaveLength(1);
  });

  it("shows the rejected rows of a refused file", async () => {
    const user = userEvent.setup();
    fakeShell({
      importResult: async () =>
        report({ batch_id: null, imported: 0, rejected: [{ line: 4, column: "currency", reason: "unknown currency 'XXX'" }] }),
    });
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.type(screen.getByLabelText("File path"), "/data/bad.csv{Enter}");

    expect(await screen.findByText(/File refused: nothing was imported/)).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Rejected rows" });
    expect(within(table).getByText("unknown currency 'XXX'")).toBeInTheDocument();
    expect(within(table).getByText("currency")).toBeInTheDocument();
  });

  it("shows the engine's message when the import fails", async () => {
    const user = userEvent.setup();
    fakeShell({ importResult: () => Promise.reject("cannot read /data/nope.csv: No such file or directory") });
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.type(screen.getByLabelText("File path"), "/data/nope.csv{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Import failed. cannot read /data/nope.csv: No such file or directory",
    );
  });

  it("imports the file chosen in the dialog", async () => {
    const user = userEvent.setup();
    fakeShell();
    openDialog.mockResolvedValue("/home/ana/Downloads/itemized.csv");
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.click(screen.getByRole("button", { name: "Import file…" }));

    expect(openDialog).toHaveBeenCalledTimes(1);
    expect(openDialog.mock.calls[0]![0]).toMatchObject({ multiple: false, directory: false });
    expect(openDialog.mock.calls[0]![0].filters[0].extensions).toContain("csv");
    await waitFor(() => expect(calls("import_file")).toHaveLength(1));
    expect(calls("import_file")[0]![1]).toMatchObject({ path: "/home/ana/Downloads/itemized.csv" });
    expect(screen.getByLabelText("File path")).toHaveValue("/home/ana/Downloads/itemized.csv");
  });

  it("does nothing when the dialog is cancelled", async () => {
    const user = userEvent.setup();
    fakeShell();
    openDialog.mockResolvedValue(null);
    render(<App />);
    await screen.findByTestId("batches-empty");
    await user.click(screen.getByRole("button", { name: "Import file…" }));
    expect(calls("import_file")).toHaveLength(0);
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
    expect(tabs.map((t) => t.textContent)).toEqual(["Imports", "Month", "Submission", "Usage"]);
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
    expect(screen.getByRole("tab", { name: "Usage" })).toHaveFocus();
    await user.keyboard("{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Submission" })).toHaveFocus();
    expect(await screen.findByText("Nothing to submit yet — approve a month first")).toBeInTheDocument();

    await user.keyboard("{Home}");
    expect(screen.getByRole("tab", { name: "Imports" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByLabelText("File path")).toHaveValue("/data/half-typed.csv");
    // Showing the Month view again reads the months again (an import may have added one).
    await user.keyboard("{ArrowLeft}{ArrowLeft}{ArrowLeft}");
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
