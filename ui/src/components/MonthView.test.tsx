import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApprovalOutcome } from "../bindings/ApprovalOutcome";
import type { ClassifyOutcome } from "../bindings/ClassifyOutcome";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { Report } from "../bindings/Report";
import { cellTexts, exception, INSTANCE_A, INSTANCE_B, instanceLine, monthInfo, monthReport } from "../test/fixtures";

// The shell is replaced at the module boundary, as in App.test.tsx.
const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: class {} }));

const { MonthView } = await import("./MonthView");

interface Shell {
  months?: MonthInfo[];
  reports?: Record<string, Report>;
  approve?: (month: string) => Promise<ApprovalOutcome>;
  reportDelay?: Promise<void>;
}

/** A fake engine holding months and their reports; approve/reopen change them like the engine. */
function fakeShell(opts: Shell = {}) {
  let months = opts.months ?? [monthInfo()];
  const reports: Record<string, Report> = opts.reports ?? { "2026-10": monthReport() };
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "list_months":
        return months;
      case "month_report": {
        if (opts.reportDelay) await opts.reportDelay;
        const r = reports[String(args!.month)];
        if (!r) throw `not found: ${String(args!.month)}`;
        return r;
      }
      case "approve_month": {
        const m = String(args!.month);
        if (opts.approve) return opts.approve(m);
        reports[m] = { ...reports[m]!, status: "approved", events: [] };
        months = months.map((x) => (x.month === m ? { ...x, status: "approved", approved_at: "2026-11-02T09:00:00Z", approved_by: "ana" } : x));
        return { outcome: "approved", report: reports[m] } satisfies ApprovalOutcome;
      }
      case "reopen_month": {
        const m = String(args!.month);
        reports[m] = { ...reports[m]!, status: "open" };
        months = months.map((x) => (x.month === m ? { ...x, status: "open", approved_at: null, approved_by: null } : x));
        return null;
      }
      case "assign_instance":
        reports["2026-10"] = { ...reports["2026-10"]!, exceptions: [] };
        return null;
      case "classify_exception":
        reports["2026-10"] = { ...reports["2026-10"]!, exceptions: [] };
        return {
          rule: { source: "paypal-activity", type_name: "General Payment", action: String(args!.action), saved_at: "2026-11-02T09:00:00Z", saved_by: "ana" },
          classified: 2,
          disagreeing: 0,
          unclassified: 0,
          frozen: 0,
        } satisfies ClassifyOutcome;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

function total(label: string): string | null {
  const dt = within(screen.getByTestId("month-totals")).getByText(label, { selector: "dt" });
  return dt.parentElement!.querySelector("dd")!.textContent;
}

beforeEach(() => {
  invoke.mockReset();
});

describe("MonthView", () => {
  it("says there is no month yet", async () => {
    fakeShell({ months: [] });
    render(<MonthView active />);
    expect(await screen.findByText("No months yet — import a processor export first")).toBeInTheDocument();
    expect(calls("month_report")).toHaveLength(0);
  });

  it("is busy while the report is built", async () => {
    let release!: () => void;
    fakeShell({ reportDelay: new Promise<void>((r) => (release = r)) });
    render(<MonthView active />);
    expect(await screen.findByRole("progressbar", { name: "Building the report" })).toBeInTheDocument();
    release();
    expect(await screen.findByTestId("month-totals")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows the newest month with Rust's totals and instance lines, as given", async () => {
    fakeShell({
      months: [monthInfo({ month: "2026-11" }), monthInfo({ month: "2026-10", status: "submitted" })],
      reports: { "2026-11": monthReport({ month: "2026-11" }), "2026-10": monthReport({ status: "submitted" }) },
    });
    render(<MonthView active />);
    await screen.findByTestId("month-totals");

    const picker = screen.getByLabelText("Month");
    expect(picker).toHaveValue("2026-11");
    expect(within(picker).getAllByRole("option").map((o) => o.textContent)).toEqual(["2026-11 — open", "2026-10 — submitted"]);
    expect(calls("month_report")[0]![1]).toEqual({ month: "2026-11" });

    expect(total("Events")).toBe("3");
    expect(total("Gross (USD)")).toBe("99.00");
    expect(total("Expenses (USD)")).toBe("4.89");
    expect(total("Net (USD)")).toBe("94.11");
    expect(total("Wix share (USD)")).toBe("18.82");

    const rows = within(screen.getByRole("table", { name: "Instances of 2026-11" })).getAllByRole("row");
    expect(cellTexts(rows[1])).toEqual([INSTANCE_A, "1", "1", "0.00", "1.72", "-1.72", "-0.34"]);
    expect(cellTexts(rows[2])).toEqual([INSTANCE_B, "1", "0", "99.00", "3.17", "95.83", "19.17"]);
    // The footer is Rust's totals, not a sum made here.
    expect(cellTexts(rows[3])).toEqual(["Total (3 events)", "99.00", "4.89", "94.11", "18.82"]);
    expect(screen.getByTestId("no-exceptions")).toBeInTheDocument();

    await userEvent.setup().selectOptions(picker, "2026-10");
    expect(await screen.findByTestId("month-status")).toHaveTextContent("submitted");
    expect(calls("month_report").at(-1)![1]).toEqual({ month: "2026-10" });
    expect(screen.getByTestId("approval")).toHaveTextContent("was submitted to Wix");
    expect(screen.queryByRole("button", { name: /Approve/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /Reopen/ })).toBeNull();
  });

  it("charts the Wix share of the top ten instances, largest first, labelled with the exact strings", async () => {
    const instances = Array.from({ length: 12 }, (_, i) =>
      instanceLine({ instance_id: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, "0")}`, wix_share: `${i * 10}.05` }),
    );
    // A long decimal that a float would round: shown exactly.
    instances.push(instanceLine({ instance_id: "ffffffff-0000-4000-8000-000000000099", wix_share: "90071992547409.93" }));
    fakeShell({ reports: { "2026-10": monthReport({ instances }) } });
    render(<MonthView active />);
    const chart = await screen.findByTestId("share-chart");
    expect(chart).toHaveTextContent("Wix share per instance — the top 10 of 13");
    const bars = chart.querySelectorAll("g[data-instance]");
    expect(bars).toHaveLength(10);
    expect(bars[0]!.getAttribute("data-instance")).toBe("ffffffff-0000-4000-8000-000000000099");
    expect(bars[0]!.querySelector(".chart-value")!.textContent).toBe("90071992547409.93");
    expect(bars[1]!.querySelector(".chart-value")!.textContent).toBe("110.05");
    expect(Number(bars[0]!.querySelector("rect")!.getAttribute("width"))).toBeGreaterThan(
      Number(bars[1]!.querySelector("rect")!.getAttribute("width")),
    );
  });

  it("keeps Approve disabled with the reasons listed while there are exceptions, and assigns an instance", async () => {
    const user = userEvent.setup();
    fakeShell({
      reports: {
        "2026-10": monthReport({
          exceptions: [
            exception(),
            exception({ kind: "no_rate", source_id: "re_0002", txn_id: 18, file: "paypal.csv:9", detail: "no rate in force on 2026-10-06" }),
            exception({ kind: "unresolved_instance", source: "manual", source_id: "mr-1", txn_id: null, file: "manual:1" }),
          ],
        }),
      },
    });
    render(<MonthView active />);
    const approve = await screen.findByRole("button", { name: "Approve 2026-10" });
    expect(approve).toBeDisabled();
    const why = screen.getByTestId("approve-blocked");
    expect(why).toHaveTextContent("Approval is not possible yet: 3 exceptions need fixing.");
    expect(why).toHaveTextContent("2 unresolved instance, 1 no rate");
    expect(approve).toHaveAccessibleDescription(/3 exceptions need fixing/);

    const table = screen.getByRole("table", { name: "Exceptions" });
    const rows = within(table).getAllByRole("row");
    expect(cellTexts(rows[0])).toEqual(["Kind", "Source ID", "File:line", "Date", "Detail", "Actions"]);
    expect(cellTexts(rows[1])).toEqual([
      "unresolved_instance", "txn_0001", "stripe_itemized.csv:4", "2026-10-02 10:00 UTC", "no instance: map the customer or assign the row", "Assign instance",
    ]);
    // A row without a ledger row (a manual refund) has nothing to assign.
    expect(within(rows[3]!).queryByRole("button")).toBeNull();

    // Keyboard: open the form, Escape backs out and returns focus.
    screen.getByRole("button", { name: "Assign an instance to txn_0001" }).focus();
    await user.keyboard("{Enter}");
    const field = screen.getByLabelText("Wix instance ID (GUID)");
    expect(field).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByLabelText("Wix instance ID (GUID)")).toBeNull();
    expect(screen.getByRole("button", { name: "Assign an instance to txn_0001" })).toHaveFocus();

    await user.click(screen.getByRole("button", { name: "Assign an instance to txn_0001" }));
    expect(screen.getByRole("button", { name: "Assign" })).toBeDisabled();
    await user.type(screen.getByLabelText("Wix instance ID (GUID)"), ` ${INSTANCE_B} `);
    await user.click(screen.getByLabelText("Also map this customer"));
    await user.click(screen.getByRole("button", { name: "Assign" }));

    expect(calls("assign_instance")).toEqual([["assign_instance", { txnId: 17, instance: INSTANCE_B, saveMapping: true }]]);
    expect(await screen.findByTestId("month-notice")).toHaveTextContent(`txn_0001 assigned to ${INSTANCE_B}, and its customer mapped.`);
    // The report is read again: no exception left, Approve is enabled.
    expect(await screen.findByTestId("no-exceptions")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Approve 2026-10" })).toBeEnabled();
  });

  it("shows the engine's reason when an assignment is refused, in the form", async () => {
    const user = userEvent.setup();
    fakeShell({ reports: { "2026-10": monthReport({ exceptions: [exception()] }) } });
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation((cmd: string, args?: unknown) =>
      cmd === "assign_instance" ? Promise.reject("`not-a-guid` is not a Wix instance id (a GUID)") : base(cmd, args),
    );
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Assign an instance to txn_0001" }));
    await user.type(screen.getByLabelText("Wix instance ID (GUID)"), "not-a-guid{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("`not-a-guid` is not a Wix instance id (a GUID)");
    expect(screen.getByLabelText("Wix instance ID (GUID)")).toBeEnabled();
  });

  it("classifies an unclassified type from its exception and shows the engine's answer", async () => {
    const user = userEvent.setup();
    const unclassified = exception({
      kind: "unclassified_type",
      source: "paypal-activity",
      source_id: "8PX12345",
      txn_id: 21,
      row_kind: "unclassified",
      file: "paypal.csv:7",
      detail: "10.00 USD came in under type `General Payment`, which Partner Ledger does not know for paypal-activity",
    });
    fakeShell({ reports: { "2026-10": monthReport({ exceptions: [unclassified] }) } });
    render(<MonthView active />);
    const group = await screen.findByRole("group", { name: "Classify the type of 8PX12345" });
    expect(within(group).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "Classify as charge",
      "Classify as refund",
      "Ignore this type",
    ]);
    // Not an instance problem: no assignment is offered.
    expect(screen.queryByRole("button", { name: "Assign an instance to 8PX12345" })).toBeNull();
    await user.click(within(group).getByRole("button", { name: "Classify as charge" }));
    expect(calls("classify_exception")).toEqual([["classify_exception", { txnId: 21, action: "charge" }]]);
    expect(await screen.findByTestId("month-notice")).toHaveTextContent(
      "Rows of type “General Payment” from paypal-activity are classified as charge: 2 rows now, and later imports follow.",
    );
    expect(await screen.findByTestId("no-exceptions")).toBeInTheDocument();
  });

  it("shows the engine's reason when a classification is refused", async () => {
    const user = userEvent.setup();
    fakeShell({ reports: { "2026-10": monthReport({ exceptions: [exception({ kind: "unclassified_type", source_id: "G1", txn_id: 5 })] }) } });
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation((cmd: string, args?: unknown) =>
      cmd === "classify_exception" ? Promise.reject("row 5 has no type to classify it by") : base(cmd, args),
    );
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Ignore this type" }));
    expect(await screen.findByTestId("month-notice")).toHaveTextContent("G1 was not classified: row 5 has no type to classify it by");
    expect(screen.getByRole("button", { name: "Ignore this type" })).toBeEnabled();
  });

  it("approves an exception-free month and shows its new status", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Approve 2026-10" }));
    expect(calls("approve_month")).toEqual([["approve_month", { month: "2026-10" }]]);
    expect(await screen.findByTestId("month-notice")).toHaveTextContent("2026-10 approved: its 3 events are frozen and queued for Wix.");
    expect(screen.getByTestId("month-status")).toHaveTextContent("approved");
    await waitFor(() => expect(screen.getByLabelText("Month")).toHaveDisplayValue("2026-10 — approved"));
    expect(screen.getByText(/approved 2026-11-02 09:00 UTC by ana/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Approve/ })).toBeNull();
  });

  it("lists the exceptions the engine returns when it refuses the approval", async () => {
    const user = userEvent.setup();
    fakeShell({
      approve: async (month) => ({
        outcome: "refused",
        month,
        exceptions: [exception({ kind: "no_rate", source_id: "txn_late", file: "late.csv:2", detail: "no rate in force on 2026-10-30" })],
      }),
    });
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Approve 2026-10" }));
    const alert = await screen.findByTestId("approval-refused");
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent("2026-10 was not approved: 1 exception to fix first.");
    expect(alert).toHaveTextContent("no_rate txn_late (late.csv:2): no rate in force on 2026-10-30");
    expect(screen.getByTestId("month-status")).toHaveTextContent("open");
  });

  it("shows an approval error as the engine's message", async () => {
    const user = userEvent.setup();
    fakeShell({ approve: () => Promise.reject("2026-10 is already approved") });
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Approve 2026-10" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("2026-10 was not approved: 2026-10 is already approved");
  });

  it("reopens an approved, unsent month only with a reason", async () => {
    const user = userEvent.setup();
    fakeShell({
      months: [monthInfo({ status: "approved", approved_at: "2026-11-02T09:00:00Z", approved_by: "ana" })],
      reports: { "2026-10": monthReport({ status: "approved" }) },
    });
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Reopen 2026-10…" }));
    const reason = screen.getByLabelText(/Why reopen 2026-10\?/);
    expect(reason).toHaveFocus();
    expect(screen.getByRole("button", { name: "Reopen month" })).toBeDisabled();
    await user.type(reason, "   ");
    expect(screen.getByRole("button", { name: "Reopen month" })).toBeDisabled();
    await user.type(reason, "late PayPal file{Enter}");
    expect(calls("reopen_month")).toEqual([["reopen_month", { month: "2026-10", reason: "late PayPal file" }]]);
    expect(await screen.findByTestId("month-notice")).toHaveTextContent("2026-10 reopened");
    expect(await screen.findByRole("button", { name: "Approve 2026-10" })).toBeEnabled();
  });

  it("offers no reopen once an event went to Wix", async () => {
    fakeShell({
      months: [monthInfo({ status: "approved" })],
      reports: {
        "2026-10": monthReport({
          status: "approved",
          events: [
            {
              id: "tx-1", instance_id: INSTANCE_A, billing_type: "CHARGE", created_date: "2026-10-02T10:00:00Z", gross: "49.00",
              expenses: "1.72", net: "47.28", rate: "20", wix_share: "9.46", source: "stripe-itemized", source_id: "txn_1",
              late: false, state: "sent", product: "Pro", expense_note: "", rate_basis: "",
            },
          ],
        }),
      },
    });
    render(<MonthView active />);
    expect(await screen.findByTestId("approval")).toHaveTextContent("can no longer be reopened");
    expect(screen.queryByRole("button", { name: /Reopen/ })).toBeNull();
  });

  it("warns about payouts that do not match their items", async () => {
    fakeShell({
      reports: {
        "2026-10": monthReport({
          payouts: [
            { payout_id: "po_1", currency: "USD", payout_date: "2026-10-09", amount: "94.11", items_net: "94.11", items: 3, matches: true },
            { payout_id: "po_2", currency: "USD", payout_date: "2026-10-16", amount: "120.00", items_net: "100.00", items: 2, matches: false },
          ],
        }),
      },
    });
    render(<MonthView active />);
    const warn = await screen.findByTestId("payout-warnings");
    expect(warn).toHaveTextContent("1 payout does not match the sum of its items");
    expect(warn).toHaveTextContent("po_2 (2026-10-16, USD): paid 120.00, items net 100.00 (2 items)");
    expect(warn).not.toHaveTextContent("po_1");
  });

  it("reports a month list that cannot be read", async () => {
    invoke.mockImplementation(async () => {
      throw "cannot open the ledger at /x.sqlite";
    });
    render(<MonthView active />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The months could not be read. cannot open the ledger at /x.sqlite");
  });

  it("loads nothing until it is shown", () => {
    fakeShell();
    render(<MonthView active={false} />);
    expect(invoke).not.toHaveBeenCalled();
  });
});
