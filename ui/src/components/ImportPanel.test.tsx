// The import flow against a fake shell (the Tauri modules replaced at their boundary): the
// preview per file, what the operator fixes in it, the commit or its refusal, progress and stop.
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FilePreview } from "../bindings/FilePreview";
import type { ImportFileRequest } from "../bindings/ImportFileRequest";
import type { ImportPreview } from "../bindings/ImportPreview";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import { FakeChannel, previewOf, report } from "../test/fixtures";

const invoke = vi.fn();
const openDialog = vi.fn();
let dropped: ((e: { payload: unknown }) => void) | null = null;
vi.mock("@tauri-apps/api/core", async () => {
  const { FakeChannel: C } = await import("../test/fixtures");
  return { invoke: (...a: unknown[]) => invoke(...a), Channel: C };
});
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: (...a: unknown[]) => openDialog(...a), save: vi.fn() }));
vi.mock("@tauri-apps/api/webview", () => ({
  getCurrentWebview: () => ({
    onDragDropEvent: async (h: (e: { payload: unknown }) => void) => {
      dropped = h;
      return () => {
        dropped = null;
      };
    },
  }),
}));

const { ImportPanel } = await import("./ImportPanel");

interface Shell {
  /** What the engine makes of each file (default: clean). */
  of?: (f: ImportFileRequest) => Partial<FilePreview>;
  /** The commit's answer (default: one batch per importable file). */
  commit?: (p: ImportPreview) => Promise<ImportReport[]>;
  /** Holds each preview until the promise it returns settles; gets the progress channel. */
  hold?: (channel: FakeChannel<ImportProgress>) => Promise<void> | undefined;
}

function fakeShell(opts: Shell = {}) {
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "preview_imports": {
        await opts.hold?.(args!.onProgress as FakeChannel<ImportProgress>);
        return previewOf(args!.files as ImportFileRequest[], opts.of);
      }
      case "commit_imports": {
        const p = args!.preview as ImportPreview;
        if (opts.commit) return opts.commit(p);
        return p.files
          .filter((f) => f.error === null && f.report!.rejected.length === 0)
          .map((f, i) => report({ file: f.request.path, batch_id: i + 1 }));
      }
      case "cancel_import":
        return null;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

function cards() {
  return screen.getAllByTestId("import-preview-file");
}

async function addTyped(user: ReturnType<typeof userEvent.setup>, path: string) {
  await user.type(screen.getByLabelText("File path"), `${path}{Enter}`);
}

beforeEach(() => {
  invoke.mockReset();
  openDialog.mockReset();
});

describe("ImportPanel", () => {
  it("asks for a path before adding, in the form", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<ImportPanel onImported={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Type the path of a CSV export");
    expect(screen.getByLabelText("File path")).toHaveAttribute("aria-invalid", "true");
    expect(calls("preview_imports")).toHaveLength(0);
  });

  it("counts every row a file adds in its headline, saying which are not money of a known type", async () => {
    const user = userEvent.setup();
    fakeShell({
      of: (f) =>
        f.path.endsWith("one.csv")
          ? { report: report({ batch_id: null, dry_run: true, rows_read: 2, imported: 1, skipped: 0, unclassified: 1 }) }
          : { report: report({ batch_id: null, dry_run: true, rows_read: 3, imported: 0, skipped: 0, sent: 2, unclassified: 1 }) },
    });
    render(<ImportPanel onImported={vi.fn()} />);
    await addTyped(user, "/data/one.csv");
    const one = (await screen.findByText("2 new rows to import (1 of a type not known yet).")).closest("article")!;
    expect(within(one).getByText("Known types").nextSibling).toHaveTextContent("1");
    expect(within(one).getByText("Unclassified").nextSibling).toHaveTextContent("1");
    await addTyped(user, "/data/other.csv");
    // No row of a known type is still something to import.
    expect(await screen.findByText("3 new rows to import (1 of a type not known yet, 2 sent).")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Import 2 files" })).toBeEnabled();
  });

  it("previews each file with its counts, skipped reasons and unknown types, and writes nothing before Import", async () => {
    const user = userEvent.setup();
    const onImported = vi.fn();
    fakeShell({
      of: (f) =>
        f.path.endsWith("paypal.csv")
          ? {
              report: report({ file: f.path, format: "paypal-activity", batch_id: null, dry_run: true, rows_read: 1234, imported: 1200, skipped: 30, unclassified: 4 }),
              skipped: [{ what: "balance impact Memo", rows: 20 }, { what: "status Pending", rows: 10 }],
              unclassified_types: [{ what: "General Payment", rows: 4 }],
            }
          : {},
    });
    render(<ImportPanel onImported={onImported} />);
    await addTyped(user, "/data/stripe.csv");
    await screen.findByText("5 new rows to import (1 skipped).");
    await addTyped(user, "/data/paypal.csv");
    await waitFor(() => expect(cards()).toHaveLength(2));
    // The whole set is previewed again, in order (a file counts what the ones before it add).
    expect(calls("preview_imports").at(-1)![1]).toMatchObject({ files: [{ path: "/data/stripe.csv" }, { path: "/data/paypal.csv" }] });
    const paypal = await screen.findByText("1,234 new rows to import (4 of a type not known yet, 30 skipped).");
    const card = paypal.closest("article")!;
    expect(within(card).getByText("Rows read").nextSibling).toHaveTextContent("1,234");
    expect(within(card).getByText("Known types").nextSibling).toHaveTextContent("1,200");
    expect(card).toHaveTextContent("Skipped: 20 × balance impact Memo; 10 × status Pending");
    expect(card).toHaveTextContent("“General Payment” × 4");
    expect(calls("commit_imports")).toHaveLength(0);
    expect(onImported).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Import 2 files" }));
    await waitFor(() => expect(onImported).toHaveBeenCalledTimes(1));
    expect((calls("commit_imports")[0]![1] as { preview: ImportPreview }).preview.files).toHaveLength(2);
    expect(onImported.mock.calls[0]![0].map((r: ImportReport) => r.batch_id)).toEqual([1, 2]);
    expect(screen.queryByTestId("import-preview")).toBeNull();
  });

  it("lists a refused file's rejected rows and conflicts, and leaves it out of the import", async () => {
    const user = userEvent.setup();
    fakeShell({
      of: (f) =>
        f.path.endsWith("bad.csv")
          ? {
              report: report({
                file: f.path,
                batch_id: null,
                dry_run: true,
                imported: 0,
                rejected: [
                  { line: 2, column: null, reason: "conflict: row key `stripe:txn_1` is already in the ledger with other content" },
                  { line: 9, column: "gross", reason: "`12abc` is not an amount" },
                ],
              }),
              conflicts: 1,
            }
          : {},
    });
    render(<ImportPanel onImported={vi.fn()} />);
    await addTyped(user, "/data/bad.csv");
    await addTyped(user, "/data/good.csv");
    await waitFor(() => expect(cards()).toHaveLength(2));
    const bad = await screen.findByRole("table", { name: "Rejected rows of bad.csv" });
    const rows = within(bad).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      "2—conflict: row key `stripe:txn_1` is already in the ledger with other content",
      "9gross`12abc` is not an amount",
    ]);
    const card = bad.closest("article")!;
    expect(within(card).getByRole("alert")).toHaveTextContent("Refused: 2 rows need fixing; the file is left out.");
    expect(within(card).getByText("Conflicts").nextSibling).toHaveTextContent("1");
    expect(screen.getByText(/1 file is left out/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Import 1 file" })).toBeEnabled();

    // Removing the refused file previews the rest again.
    await user.click(screen.getByRole("button", { name: "Remove bad.csv from the import" }));
    await waitFor(() => expect(cards()).toHaveLength(1));
    expect(calls("preview_imports").at(-1)![1]).toMatchObject({ files: [{ path: "/data/good.csv" }] });
  });

  it("asks for the date order in the preview when a file's dates cannot decide it", async () => {
    const user = userEvent.setup();
    fakeShell({
      of: (f) =>
        f.date_order === null
          ? {
              report: null,
              sha256: null,
              needs_date_order: true,
              error: "its dates cannot tell day from month (`03/04/2026` in column `Date`, line 2): choose the date order of this file",
            }
          : {},
    });
    render(<ImportPanel onImported={vi.fn()} />);
    await addTyped(user, "/data/paypal.csv");
    const order = await screen.findByLabelText("Date order");
    expect(order).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Choose the date order of this file")).toBeInTheDocument();
    expect(screen.getByText(/03\/04\/2026/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Nothing to import" })).toBeDisabled();
    // No word of a command line: the control is here.
    expect(screen.getByTestId("import-panel").textContent).not.toMatch(/--date-order|partner-ledger/);

    await user.selectOptions(order, "day-first");
    await screen.findByText("5 new rows to import (1 skipped).");
    expect(calls("preview_imports").at(-1)![1]).toMatchObject({ files: [{ path: "/data/paypal.csv", date_order: "day-first" }] });
    expect(screen.getByRole("button", { name: "Import 1 file" })).toBeEnabled();
  });

  it("says why a commit was refused and shows the new preview", async () => {
    const user = userEvent.setup();
    let changed = false;
    fakeShell({
      of: () => (changed ? { report: report({ batch_id: null, dry_run: true, imported: 3, duplicates: 1 }) } : {}),
      commit: async () => {
        changed = true;
        throw "nothing was imported: the ledger or a file changed since the preview (`stripe.csv` would now do otherwise: the preview showed 4 new; now 3 new). Look at the new preview and import again";
      },
    });
    const onImported = vi.fn();
    render(<ImportPanel onImported={onImported} />);
    await addTyped(user, "/data/stripe.csv");
    await user.click(await screen.findByRole("button", { name: "Import 1 file" }));
    expect(await screen.findByTestId("import-changed")).toHaveTextContent("Not imported. nothing was imported: the ledger or a file changed since the preview");
    expect(await screen.findByText("4 new rows to import (1 skipped).")).toBeInTheDocument();
    expect(onImported).not.toHaveBeenCalled();
    expect(calls("preview_imports")).toHaveLength(2);
  });

  it("shows progress while previewing and stops on request", async () => {
    const user = userEvent.setup();
    let release!: () => void;
    let channel!: FakeChannel<ImportProgress>;
    fakeShell({
      hold: (c) => {
        channel = c;
        return new Promise((r) => (release = r));
      },
    });
    render(<ImportPanel onImported={vi.fn()} />);
    await addTyped(user, "/data/big.csv");
    expect(await screen.findByRole("progressbar", { name: "Previewing" })).toBeInTheDocument();
    act(() => channel.onmessage({ file: 0, files: 1, file_name: "big.csv", rows: 250000, estimated_rows: 1000000, committing: false }));
    expect(screen.getByTestId("import-progress")).toHaveTextContent("Previewing file 1 of 1, big.csv: 250,000 of about 1,000,000 rows");
    expect(screen.getByRole("progressbar", { name: "Previewing" })).toHaveAttribute("aria-valuenow", "25");
    await user.click(screen.getByRole("button", { name: "Stop" }));
    expect(calls("cancel_import")).toHaveLength(1);
    await act(async () => release());
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("adds the files chosen in the dialog and the files dropped on the window", async () => {
    const user = userEvent.setup();
    fakeShell();
    openDialog.mockResolvedValue(["/d/a.csv", "/d/b.csv"]);
    render(<ImportPanel onImported={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Choose files…" }));
    await waitFor(() => expect(cards()).toHaveLength(2));
    await waitFor(() => expect(dropped).not.toBeNull());
    act(() => dropped!({ payload: { type: "enter", paths: ["/d/c.csv"], position: { x: 1, y: 1 } } }));
    expect(screen.getByTestId("import-panel")).toHaveClass("drag-over");
    // The same file twice is added once.
    act(() => dropped!({ payload: { type: "drop", paths: ["/d/c.csv", "/d/a.csv"], position: { x: 1, y: 1 } } }));
    await waitFor(() => expect(cards()).toHaveLength(3));
    expect(screen.getByTestId("import-panel")).not.toHaveClass("drag-over");
    expect(calls("preview_imports").at(-1)![1]).toMatchObject({ files: [{ path: "/d/a.csv" }, { path: "/d/b.csv" }, { path: "/d/c.csv" }] });

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("import-preview")).toBeNull();
    expect(calls("commit_imports")).toHaveLength(0);
  });

  it("shows a file the engine cannot read with its reason", async () => {
    const user = userEvent.setup();
    fakeShell({ of: () => ({ report: null, sha256: null, error: "cannot read /d/gone.csv: No such file or directory (os error 2)" }) });
    render(<ImportPanel onImported={vi.fn()} />);
    await addTyped(user, "/d/gone.csv");
    expect(await screen.findByText("This file cannot be imported")).toBeInTheDocument();
    expect(screen.getByText("cannot read /d/gone.csv: No such file or directory (os error 2)")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Nothing to import" })).toBeDisabled();
  });
});
