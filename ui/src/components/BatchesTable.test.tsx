import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { batch, cellTexts } from "../test/fixtures";
import { BatchesTable } from "./BatchesTable";

describe("BatchesTable", () => {
  it("shows the empty state when there is no batch", () => {
    render(<BatchesTable batches={[]} onUndo={vi.fn()} />);
    expect(screen.getByText("No imports yet — import a Stripe or PayPal export")).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("shows one row per batch with its counts", () => {
    render(
      <BatchesTable
        batches={[
          batch({ id: 2, file_name: "paypal.csv", format: "paypal-activity", rows_read: 9, imported: 6, duplicates: 2, skipped: 1 }),
          batch({ id: 1, undone_at: "2026-11-03T10:00:00Z" }),
        ]}
        onUndo={vi.fn()}
      />,
    );
    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(cellTexts(rows[0])).toEqual([
      "ID", "File", "Format", "Imported at", "Rows read", "Imported", "Duplicates", "Skipped", "Undone", "Actions",
    ]);
    expect(cellTexts(rows[1]).slice(0, 9)).toEqual([
      "2", "paypal.csv", "paypal-activity", "2026-11-02 09:15 UTC", "9", "6", "2", "1", "—",
    ]);
    expect(cellTexts(rows[2])[8]).toBe("2026-11-03 10:00 UTC");
    // An undone batch cannot be undone again.
    expect(within(rows[2]!).queryByRole("button")).toBeNull();
    expect(within(rows[1]!).getByRole("button", { name: "Undo batch 2" })).toBeInTheDocument();
  });

  it("asks for confirmation before undoing, and Cancel backs out", async () => {
    const user = userEvent.setup();
    const onUndo = vi.fn().mockResolvedValue(undefined);
    render(<BatchesTable batches={[batch({ id: 4, imported: 4 })]} onUndo={onUndo} />);

    await user.click(screen.getByRole("button", { name: "Undo batch 4" }));
    expect(screen.getByText("Undo 5 rows?")).toBeInTheDocument();
    // The safe choice has the focus.
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onUndo).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Undo batch 4" })).toHaveFocus();

    await user.click(screen.getByRole("button", { name: "Undo batch 4" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByText("Undo 5 rows?")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Undo batch 4" }));
    await user.click(screen.getByRole("button", { name: "Yes, undo" }));
    expect(onUndo).toHaveBeenCalledTimes(1);
    expect(onUndo.mock.calls[0]![0]).toMatchObject({ id: 4 });
  });
});
