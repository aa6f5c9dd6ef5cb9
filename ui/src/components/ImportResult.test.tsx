import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { cellTexts, report } from "../test/fixtures";
import { ImportResult } from "./ImportResult";

function count(label: string): string | null {
  const dt = screen.getByText(label, { selector: "dt" });
  return dt.parentElement!.querySelector("dd")!.textContent;
}

describe("ImportResult", () => {
  it("shows the counts and the new batch", () => {
    render(<ImportResult report={report({ batch_id: 7, rows_read: 12, imported: 10, duplicates: 1, skipped: 1 })} />);
    expect(screen.getByRole("status")).toHaveTextContent("Imported as batch 7.");
    expect(count("Rows read")).toBe("12");
    expect(count("Imported")).toBe("10");
    expect(count("Duplicates")).toBe("1");
    expect(count("Skipped")).toBe("1");
    expect(count("Sent")).toBe("0");
    expect(count("Unclassified")).toBe("0");
    expect(screen.getByRole("heading")).toHaveTextContent("stripe_itemized.csv");
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("counts payments sent and unclassified rows", () => {
    render(<ImportResult report={report({ rows_read: 9, imported: 5, skipped: 1, sent: 2, unclassified: 1 })} />);
    expect(count("Sent")).toBe("2");
    expect(count("Unclassified")).toBe("1");
  });

  it("says a dry run imported nothing", () => {
    render(<ImportResult report={report({ dry_run: true, batch_id: null })} />);
    expect(screen.getByRole("status")).toHaveTextContent("Dry run: the file is valid; nothing was imported.");
  });

  it("says when every row was already there", () => {
    render(<ImportResult report={report({ batch_id: null, imported: 0, duplicates: 5 })} />);
    expect(screen.getByRole("status")).toHaveTextContent("Nothing new");
  });

  it("lists every rejected row with line, column and reason", () => {
    render(
      <ImportResult
        report={report({
          batch_id: null,
          imported: 0,
          rejected: [
            { line: 3, column: "gross", reason: "not a number: 'abc'" },
            { line: 9, column: null, reason: "wrong number of fields" },
          ],
        })}
      />,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("File refused: nothing was imported. 2 rows need fixing.");
    const table = screen.getByRole("table", { name: "Rejected rows" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map(cellTexts)).toEqual([
      ["3", "gross", "not a number: 'abc'"],
      ["9", "—", "wrong number of fields"],
    ]);
  });
});
