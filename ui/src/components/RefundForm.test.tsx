// The manual refund form: required fields caught before asking, then the engine's answer shown
// field by field; added refunds reported to the caller.
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RefundOutcome } from "../bindings/RefundOutcome";
import { setDisplayTimeZone } from "../format";
import { INSTANCE_A } from "../test/fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: class {} }));

const { RefundForm } = await import("./RefundForm");

function answer(outcome: RefundOutcome | Error) {
  invoke.mockImplementation(async (cmd: string) => {
    if (cmd !== "add_manual_refund") throw new Error(`unexpected command ${cmd}`);
    if (outcome instanceof Error) throw outcome.message;
    return outcome;
  });
}

const added: RefundOutcome = {
  outcome: "added",
  refund: { id: "mr-4", instance_id: INSTANCE_A, date: "2026-10-20", amount: "1250.00", fee_returned: "0.00", charge: null, reason: "double charge" },
};

beforeEach(() => {
  invoke.mockReset();
});
afterEach(() => {
  setDisplayTimeZone("UTC");
});

describe("RefundForm", () => {
  it("asks for the required fields before asking the engine, and focuses the first", async () => {
    const user = userEvent.setup();
    answer(added);
    render(<RefundForm onAdded={vi.fn()} onCancel={vi.fn()} />);
    // The date defaults to today in the ledger's zone; the instance is focused first.
    expect(screen.getByLabelText("Wix instance ID")).toHaveFocus();
    expect((screen.getByLabelText("Refund date") as HTMLInputElement).value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await user.click(screen.getByRole("button", { name: "Add refund" }));
    expect(invoke).not.toHaveBeenCalled();
    expect(screen.getByTestId("refund-refused")).toHaveTextContent("3 fields need attention");
    for (const [label, field] of [["Wix instance ID", "instance"], ["Amount refunded (USD)", "amount"], ["Reason", "reason"]] as const) {
      expect(screen.getByLabelText(label)).toHaveAttribute("aria-invalid", "true");
      expect(screen.getByTestId(`refund-error-${field}`)).toHaveTextContent("Required.");
    }
    expect(screen.getByLabelText("Fee returned (USD, optional)")).toHaveAttribute("aria-invalid", "false");
    expect(screen.getByLabelText("Wix instance ID")).toHaveFocus();
    // Typing in a field clears its message.
    await user.type(screen.getByLabelText("Wix instance ID"), INSTANCE_A);
    expect(screen.queryByTestId("refund-error-instance")).toBeNull();
  });

  it("shows the engine's problems next to their fields and focuses the first", async () => {
    const user = userEvent.setup();
    answer({
      outcome: "refused",
      problems: [
        { field: "date", message: "date 2999-01-01 is in the future (today is 2026-11-02 in UTC): a refund is entered once it happened" },
        { field: "fee_returned", message: "returned fee 6.00: it cannot be more than the refund amount 5.00" },
        { field: "charge", message: "charge tx-9 belongs to instance 0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f, not 6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31" },
      ],
    });
    const onAdded = vi.fn();
    render(<RefundForm initial={{ instance: INSTANCE_A, charge: "tx-9" }} onAdded={onAdded} onCancel={vi.fn()} />);
    const date = screen.getByLabelText("Refund date");
    await user.clear(date);
    await user.type(date, "2999-01-01");
    await user.type(screen.getByLabelText("Amount refunded (USD)"), "5.00");
    await user.type(screen.getByLabelText("Fee returned (USD, optional)"), "6.00");
    await user.type(screen.getByLabelText("Reason"), "goodwill");
    await user.click(screen.getByRole("button", { name: "Add refund" }));

    expect(invoke).toHaveBeenCalledWith("add_manual_refund", {
      instance: INSTANCE_A,
      date: "2999-01-01",
      amount: "5.00",
      feeReturned: "6.00",
      charge: "tx-9",
      reason: "goodwill",
    });
    expect(await screen.findByTestId("refund-error-date")).toHaveTextContent("is in the future");
    expect(screen.getByTestId("refund-error-fee_returned")).toHaveTextContent("cannot be more than the refund amount 5.00");
    expect(screen.getByTestId("refund-error-charge")).toHaveTextContent("belongs to instance");
    expect(screen.getByLabelText("Refund date")).toHaveFocus();
    expect(screen.getByLabelText("Amount refunded (USD)")).toHaveAttribute("aria-invalid", "false");
    expect(screen.getByTestId("refund-refused")).toHaveTextContent("3 fields need attention");
    expect(onAdded).not.toHaveBeenCalled();
    // The form stays usable to fix them.
    expect(screen.getByRole("button", { name: "Add refund" })).toBeEnabled();
  });

  it("sends empty optional fields as none and reports the added refund", async () => {
    const user = userEvent.setup();
    answer(added);
    const onAdded = vi.fn();
    render(<RefundForm initial={{ instance: INSTANCE_A }} onAdded={onAdded} onCancel={vi.fn()} />);
    expect(screen.getByLabelText("Amount refunded (USD)")).toHaveFocus();
    await user.type(screen.getByLabelText("Amount refunded (USD)"), "1250.00");
    await user.type(screen.getByLabelText("Reason"), "double charge{Enter}");
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith(added.refund));
    expect(invoke.mock.calls[0]![1]).toMatchObject({ feeReturned: null, charge: null });
  });

  it("shows an engine error under the form, and Escape cancels", async () => {
    const user = userEvent.setup();
    answer(new Error("the ledger is busy: another Partner Ledger process is writing to it"));
    const onCancel = vi.fn();
    render(<RefundForm initial={{ instance: INSTANCE_A, amount: "5", reason: "x" }} onAdded={vi.fn()} onCancel={onCancel} />);
    await user.click(screen.getByRole("button", { name: "Add refund" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The refund was not added: the ledger is busy");
    await user.keyboard("{Escape}");
    expect(onCancel).toHaveBeenCalled();
  });

  it("says which time zone the date is in", () => {
    setDisplayTimeZone("Europe/Berlin");
    answer(added);
    render(<RefundForm onAdded={vi.fn()} onCancel={vi.fn()} />);
    expect(screen.getByText(/in the ledger's time zone \(Europe\/Berlin\)/)).toBeInTheDocument();
  });
});
