import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ColumnMappingInfo } from "../../bindings/ColumnMappingInfo";
import type { MappingPreview } from "../../bindings/MappingPreview";
import { INSTANCE_A } from "../../test/fixtures";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { ColumnMappings } = await import("./ColumnMappings");

const TOML = 'id = "Ref"\ndate = "Booked"\ndate_format = "%Y-%m-%d"\namount = "Amount"\nfixed_currency = "USD"\n';

function preview(over: Partial<MappingPreview> = {}): MappingPreview {
  return {
    file: "/data/bank.csv",
    format: "mapped:bank",
    rows_read: 3,
    rows_ok: 2,
    rows_failed: 1,
    kinds: [
      { kind: "charge", rows: 1 },
      { kind: "refund", rows: 1 },
    ],
    number_style: "point",
    rows: [
      {
        line: 2, kind: "charge", source_id: "B-1", occurred_at: "2026-10-04T00:00:00Z", currency: "USD", gross: "1250.00", fee: "0",
        net: "1250.00", tax: "0", instance: INSTANCE_A, customer: "p@x.com", type_name: "Sale", original_ref: null, description: null, skip_reason: null,
      },
    ],
    errors: [{ line: 4, column: "Amount", reason: "`oops` is not an amount" }],
    ...over,
  };
}

function shell(over: Record<string, Handler> = {}) {
  let saved: ColumnMappingInfo[] = [];
  answer(invoke, {
    list_column_mappings: () => saved,
    read_mapping_file: () => TOML,
    preview_column_mapping: () => preview(),
    save_column_mapping: (a) => (saved = [{ name: String(a.name), saved_at: "2026-11-02T09:15:00Z", saved_by: "ana" }]),
    column_mapping: () => TOML,
    remove_column_mapping: () => (saved = []),
    ...over,
  });
}

beforeEach(() => {
  invoke.mockReset();
});

describe("ColumnMappings", () => {
  it("loads a mapping file, previews a sample with it, then saves it", async () => {
    const user = userEvent.setup();
    shell();
    render(<ColumnMappings chooseMappingFile={async () => "/maps/bank.toml"} chooseSampleFile={async () => "/data/bank.csv"} />);
    expect(await screen.findByTestId("mappings-empty")).toBeInTheDocument();
    await user.click(screen.getByTestId("mapping-load"));
    await waitFor(() => expect(screen.getByTestId("mapping-toml")).toHaveValue(TOML));
    expect(screen.getByTestId("mapping-name")).toHaveValue("bank");
    expect(argsOf(invoke, "read_mapping_file")).toEqual([{ path: "/maps/bank.toml" }]);

    await user.click(screen.getByRole("button", { name: "Choose sample…" }));
    await user.click(screen.getByTestId("mapping-preview"));
    const result = await screen.findByTestId("mapping-preview-result");
    expect(result).toHaveTextContent("bank.csv: 3 rows read, 2 good rows, 1 bad row (an import of this file would be refused).");
    expect(result).toHaveTextContent("charge: 1 · refund: 1");
    const table = within(result).getByRole("table", { name: "What the mapping reads" });
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent(`2chargeB-12026-10-04 00:00 UTCUSD1,250.0001,250.00${INSTANCE_A}p@x.comSale`);
    expect(within(screen.getByTestId("mapping-preview-errors")).getAllByRole("row")[1]).toHaveTextContent("4Amount`oops` is not an amount");
    expect(argsOf(invoke, "preview_column_mapping")).toEqual([{ name: "bank", toml: TOML, path: "/data/bank.csv" }]);
    expect(argsOf(invoke, "save_column_mapping")).toEqual([]);

    await user.click(screen.getByTestId("mapping-save"));
    expect(await screen.findByTestId("mappings-table")).toHaveTextContent("bank");
    expect(argsOf(invoke, "save_column_mapping")).toEqual([{ name: "bank", toml: TOML }]);
    expect(screen.getByRole("status")).toHaveTextContent("Mapping “bank” saved");
  });

  it("asks for a name, a mapping and a sample before asking the engine", async () => {
    const user = userEvent.setup();
    shell();
    render(<ColumnMappings />);
    await screen.findByTestId("mappings-empty");
    await user.click(screen.getByTestId("mapping-preview"));
    expect(screen.getByTestId("mapping-name")).toHaveAccessibleDescription(/Name the mapping/);
    expect(screen.getByTestId("mapping-toml")).toHaveAccessibleDescription("Load the mapping from a file, or write it here.");
    expect(screen.getByTestId("mapping-sample")).toHaveAccessibleDescription("Choose a sample export to preview.");
    // Saving needs no sample.
    await user.type(screen.getByTestId("mapping-name"), "bank");
    await user.click(screen.getByTestId("mapping-toml"));
    await user.paste(TOML);
    await user.click(screen.getByTestId("mapping-save"));
    expect(screen.getByTestId("mapping-sample")).not.toHaveAttribute("aria-invalid", "true");
    expect(argsOf(invoke, "preview_column_mapping")).toEqual([]);
  });

  it("shows the engine's refusal of a mapping or a file", async () => {
    const user = userEvent.setup();
    shell({
      preview_column_mapping: refuse("/data/other.csv: mapped:bank file lacks the required column `Ref`"),
      save_column_mapping: refuse("invalid mapping `bank`: set `currency` (a column) or `fixed_currency`"),
      read_mapping_file: refuse("/maps/big.toml is 70000 bytes: a mapping file is at most 65536 bytes"),
    });
    render(<ColumnMappings chooseMappingFile={async () => "/maps/big.toml"} />);
    await screen.findByTestId("mappings-empty");
    await user.click(screen.getByTestId("mapping-load"));
    expect(await screen.findByText(/a mapping file is at most 65536 bytes/)).toBeInTheDocument();
    expect(screen.getByTestId("mapping-toml")).toHaveAttribute("aria-invalid", "true");

    await user.type(screen.getByTestId("mapping-name"), "bank");
    await user.type(screen.getByTestId("mapping-toml"), "id = 1");
    await user.type(screen.getByTestId("mapping-sample"), "/data/other.csv{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("lacks the required column `Ref`");
    await user.click(screen.getByTestId("mapping-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent("invalid mapping `bank`");
  });

  it("edits and removes a saved mapping", async () => {
    const user = userEvent.setup();
    shell();
    render(<ColumnMappings />);
    await screen.findByTestId("mappings-empty");
    await user.type(screen.getByTestId("mapping-name"), "paddle");
    await user.click(screen.getByTestId("mapping-toml"));
    await user.paste(TOML);
    await user.click(screen.getByTestId("mapping-save"));
    await screen.findByTestId("mappings-table");
    await user.clear(screen.getByTestId("mapping-name"));
    await user.clear(screen.getByTestId("mapping-toml"));

    await user.click(screen.getByRole("button", { name: "Edit mapping paddle" }));
    await waitFor(() => expect(screen.getByTestId("mapping-toml")).toHaveValue(TOML));
    expect(screen.getByTestId("mapping-name")).toHaveValue("paddle");
    expect(argsOf(invoke, "column_mapping")).toEqual([{ name: "paddle" }]);

    await user.click(screen.getByRole("button", { name: "Remove mapping paddle" }));
    await user.click(screen.getByRole("button", { name: "Remove mapping paddle: confirm" }));
    expect(await screen.findByTestId("mappings-empty")).toBeInTheDocument();
    expect(argsOf(invoke, "remove_column_mapping")).toEqual([{ name: "paddle" }]);
    expect(screen.getByRole("status")).toHaveTextContent("The rows imported with it stay in the ledger.");
  });
});
