// Exports go through the save dialog: the engine proposes the name, the operator picks the
// place, the engine writes the file; a cancelled dialog writes nothing.
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
const saveDialog = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: class {} }));
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(), save: (...a: unknown[]) => saveDialog(...a) }));

const { ExportPanel, quarterOf } = await import("./ExportPanel");

function shell(write: (args: Record<string, unknown>) => Promise<string> = async (a) => String(a.path)) {
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    if (cmd === "export_file_name") return args!.kind === "wix" ? `Acme Forms Billing Report - ${String(args!.period)}.csv` : `events-${String(args!.period)}.csv`;
    if (cmd === "export_csv") return write(args!);
    throw new Error(`unexpected command ${cmd}`);
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

beforeEach(() => {
  invoke.mockReset();
  saveDialog.mockReset();
});

describe("ExportPanel", () => {
  it("names the quarter of a month", () => {
    expect(quarterOf("2026-10")).toBe("2026-Q4");
    expect(quarterOf("2026-01")).toBe("2026-Q1");
    expect(quarterOf("2026-13")).toBeNull();
    expect(quarterOf("soon")).toBeNull();
  });

  it("saves the Wix report where the save dialog says, under the engine's name", async () => {
    const user = userEvent.setup();
    shell();
    saveDialog.mockResolvedValue("/home/ana/reports/Acme Forms Billing Report - 2026-10.csv");
    render(<ExportPanel month="2026-10" />);
    await user.click(screen.getByRole("button", { name: "Wix report CSV…" }));
    await waitFor(() => expect(calls("export_csv")).toHaveLength(1));
    expect(saveDialog.mock.calls[0]![0]).toMatchObject({ defaultPath: "Acme Forms Billing Report - 2026-10.csv" });
    expect(saveDialog.mock.calls[0]![0].filters[0].extensions).toEqual(["csv"]);
    expect(calls("export_csv")[0]![1]).toEqual({ period: "2026-10", kind: "wix", path: "/home/ana/reports/Acme Forms Billing Report - 2026-10.csv", excel: false });
    expect(await screen.findByRole("status")).toHaveTextContent("Saved /home/ana/reports/Acme Forms Billing Report - 2026-10.csv");
  });

  it("exports the quarter, for Excel, when asked", async () => {
    const user = userEvent.setup();
    shell();
    saveDialog.mockResolvedValue("/tmp/q.csv");
    render(<ExportPanel month="2026-11" />);
    await user.selectOptions(screen.getByLabelText("Period"), "quarter");
    await user.click(screen.getByLabelText("For Excel"));
    await user.click(screen.getByRole("button", { name: "Event lines CSV…" }));
    await waitFor(() => expect(calls("export_csv")).toHaveLength(1));
    expect(calls("export_file_name")[0]![1]).toEqual({ period: "2026-Q4", kind: "events" });
    expect(calls("export_csv")[0]![1]).toMatchObject({ period: "2026-Q4", kind: "events", excel: true });
  });

  it("writes nothing when the dialog is cancelled, and shows the engine's refusal", async () => {
    const user = userEvent.setup();
    shell(async () => {
      throw "`/home/ana/notes.txt` exists and is not a CSV file: choose another name";
    });
    saveDialog.mockResolvedValueOnce(null);
    render(<ExportPanel month="2026-10" />);
    await user.click(screen.getByRole("button", { name: "Instance summary CSV…" }));
    await waitFor(() => expect(saveDialog).toHaveBeenCalledTimes(1));
    expect(calls("export_csv")).toHaveLength(0);
    expect(screen.queryByTestId("export-done")).toBeNull();

    saveDialog.mockResolvedValueOnce("/home/ana/notes.txt");
    await user.click(screen.getByRole("button", { name: "Instance summary CSV…" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The export was not saved: `/home/ana/notes.txt` exists and is not a CSV file");
  });
});
