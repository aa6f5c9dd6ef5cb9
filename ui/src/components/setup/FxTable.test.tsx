import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FxCurrency } from "../../bindings/FxCurrency";
import type { FxImportReport } from "../../bindings/FxImportReport";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { FxTable } = await import("./FxTable");

const EUR: FxCurrency = { currency: "EUR", rates: 1234, first: "2026-01-01", last: "2026-10-31", last_rate: "1.0712" };

function shell(over: Record<string, Handler> = {}) {
  let summary: FxCurrency[] = [];
  answer(invoke, {
    fx_summary: () => summary,
    import_fx: (a): FxImportReport => {
      summary = [EUR];
      return { file: String(a.path), rates: 1234, rejected: [] };
    },
    ...over,
  });
}

beforeEach(() => {
  invoke.mockReset();
});

describe("FxTable", () => {
  it("explains an empty table, imports a chosen file and sums it up by currency", async () => {
    const user = userEvent.setup();
    shell();
    render(<FxTable chooseFile={async () => "/data/fx.csv"} />);
    expect(await screen.findByTestId("fx-empty")).toHaveTextContent("No FX rates yet");
    await user.click(screen.getByTestId("fx-choose"));
    expect(await screen.findByRole("status")).toHaveTextContent("Imported 1,234 rates from fx.csv.");
    expect(argsOf(invoke, "import_fx")).toEqual([{ path: "/data/fx.csv" }]);
    const table = await screen.findByTestId("fx-summary");
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("EUR1,2342026-01-012026-10-311.0712");
    expect(screen.getByTestId("fx-path")).toHaveValue("/data/fx.csv");
  });

  it("asks for a file before importing a typed path", async () => {
    const user = userEvent.setup();
    shell();
    render(<FxTable chooseFile={async () => null} />);
    await screen.findByTestId("fx-empty");
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Choose the FX table file, or type its path.");
    expect(screen.getByTestId("fx-path")).toHaveAttribute("aria-invalid", "true");
    // A cancelled chooser imports nothing.
    await user.click(screen.getByTestId("fx-choose"));
    expect(argsOf(invoke, "import_fx")).toEqual([]);
  });

  it("lists every bad line of a refused file, and nothing is imported", async () => {
    const user = userEvent.setup();
    shell({
      import_fx: (a) => ({
        file: String(a.path),
        rates: 0,
        rejected: [
          { line: 3, column: "usd_per_unit", reason: "`abc` is not a positive decimal rate" },
          { line: 7, column: "date", reason: "`31/10/2026` is not a date (YYYY-MM-DD)" },
        ],
      }),
    });
    render(<FxTable />);
    await user.type(await screen.findByTestId("fx-path"), "/data/bad.csv{Enter}");
    const refused = await screen.findByTestId("fx-rejected");
    expect(refused).toHaveTextContent("bad.csv was refused: 2 bad lines, nothing imported.");
    expect(within(refused).getAllByRole("row").slice(1).map((r) => r.textContent)).toEqual([
      "3usd_per_unit`abc` is not a positive decimal rate",
      "7date`31/10/2026` is not a date (YYYY-MM-DD)",
    ]);
    expect(argsOf(invoke, "fx_summary")).toHaveLength(1);
  });

  it("shows the engine's message when the file cannot be read", async () => {
    const user = userEvent.setup();
    shell({ import_fx: refuse("cannot read /data/missing.csv: No such file or directory (os error 2)") });
    render(<FxTable />);
    await user.type(await screen.findByTestId("fx-path"), "/data/missing.csv{Enter}");
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("No such file or directory"));
  });
});
