import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApprovalOutcome } from "../api";
import type { ClassifyOutcome } from "../bindings/ClassifyOutcome";
import type { EventLine } from "../bindings/EventLine";
import type { EventQuery } from "../bindings/EventQuery";
import type { InstanceLine } from "../bindings/InstanceLine";
import type { InstanceQuery } from "../bindings/InstanceQuery";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { MonthSummary } from "../bindings/MonthSummary";
import type { MonthPoint } from "../bindings/MonthPoint";
import type { ManualRefundInfo } from "../bindings/ManualRefundInfo";
import type { RefundOutcome } from "../bindings/RefundOutcome";
import type { StateCounts } from "../bindings/StateCounts";
import {
  cellTexts,
  eventLine,
  eventPageOf,
  exception,
  INSTANCE_A,
  INSTANCE_B,
  instanceLine,
  instancePageOf,
  manyEvents,
  monthInfo,
  monthSummary,
  stateCounts,
  twoInstances,
} from "../test/fixtures";
import { HEADER_H, ROW_H } from "./PagedTable";

// The shell is replaced at the module boundary, as in App.test.tsx.
const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: class {} }));
const saveDialog = vi.fn();
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(), save: (...a: unknown[]) => saveDialog(...a) }));

const { MonthView } = await import("./MonthView");

interface Shell {
  months?: MonthInfo[];
  summaries?: Record<string, MonthSummary>;
  /** Every month's instance lines and event lines (the engine pages them). */
  instances?: InstanceLine[];
  events?: EventLine[];
  approve?: (month: string) => Promise<ApprovalOutcome>;
  summaryDelay?: Promise<void>;
  /** Called with each event page query; the page is answered when the promise it returns settles. */
  holdEvents?: (q: EventQuery) => Promise<void> | undefined;
  /** The engine's answer to a manual refund (default: added). */
  refund?: (args: Record<string, unknown>) => Promise<RefundOutcome>;
  /** The engine's answer to an export (default: the path it was given). */
  exportCsv?: (args: Record<string, unknown>) => Promise<string>;
  /** The manual refunds as entered, by id (`manual_refund`; deleting one takes its line away). */
  manualRefunds?: Record<string, ManualRefundInfo>;
  /** The engine's answer to `manual_refund` (default: from `manualRefunds`). */
  readRefund?: (id: string) => Promise<ManualRefundInfo>;
  /** The engine's answer to a deletion (default: deleted, its line and one event gone). */
  deleteRefund?: (id: string) => Promise<ManualRefundInfo>;
}

const defaultEvents = () => [
  eventLine(),
  eventLine({ id: "tx-2", instance_id: INSTANCE_B, source_id: "txn_2", gross: "99.00", net: "95.83", wix_share: "19.17" }),
  eventLine({ id: "tx-3", billing_type: "REFUND", source_id: "re_3", gross: "-49.00", net: "-49.00", wix_share: "-9.80" }),
];

/**
 * A fake engine holding months, their summaries, instance lines and events; it pages them like
 * the engine (see `instancePageOf`/`eventPageOf`), and approve/reopen change them like it.
 */
function fakeShell(opts: Shell = {}) {
  let months = opts.months ?? [monthInfo()];
  const summaries: Record<string, MonthSummary> = opts.summaries ?? { "2026-10": monthSummary() };
  const instances = opts.instances ?? twoInstances();
  let events = opts.events ?? defaultEvents();
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "list_months":
        return months;
      case "month_summary": {
        if (opts.summaryDelay) await opts.summaryDelay;
        const r = summaries[String(args!.month)];
        if (!r) throw `not found: ${String(args!.month)}`;
        return r;
      }
      case "instance_page":
        return instancePageOf(instances, args!.query as InstanceQuery);
      case "event_page": {
        const q = args!.query as EventQuery;
        await opts.holdEvents?.(q);
        return eventPageOf(events, q);
      }
      case "outbox_counts": {
        const c = stateCounts();
        for (const e of events) if (e.state !== "draft") c[e.state as keyof StateCounts] += 1;
        return c;
      }
      case "approve_month": {
        const m = String(args!.month);
        if (opts.approve) return opts.approve(m);
        summaries[m] = { ...summaries[m]!, status: "approved" };
        events = events.map((e) => ({ ...e, state: "queued" }));
        months = months.map((x) => (x.month === m ? { ...x, status: "approved", approved_at: "2026-11-02T09:00:00Z", approved_by: "ana" } : x));
        return { outcome: "approved", summary: summaries[m] } satisfies ApprovalOutcome;
      }
      case "reopen_month": {
        const m = String(args!.month);
        summaries[m] = { ...summaries[m]!, status: "open" };
        events = events.map((e) => ({ ...e, state: "draft" }));
        months = months.map((x) => (x.month === m ? { ...x, status: "open", approved_at: null, approved_by: null } : x));
        return null;
      }
      case "assign_instance":
        summaries["2026-10"] = { ...summaries["2026-10"]!, exceptions: [] };
        return null;
      case "classify_exception":
        summaries["2026-10"] = { ...summaries["2026-10"]!, exceptions: [] };
        return {
          rule: { source: "paypal-activity", type_name: "General Payment", action: String(args!.action), saved_at: "2026-11-02T09:00:00Z", saved_by: "ana" },
          classified: 2,
          disagreeing: 0,
          unclassified: 0,
          frozen: 0,
        } satisfies ClassifyOutcome;
      case "month_series":
        return Object.values(summaries)
          .sort((a, b) => a.month.localeCompare(b.month))
          .map(
            (m): MonthPoint => ({
              month: m.month,
              status: m.status,
              events: m.totals.events,
              gross: m.totals.gross,
              net: m.totals.net,
              wix_share: m.totals.wix_share,
              exceptions: m.exceptions.length,
            }),
          );
      case "add_manual_refund":
        if (opts.refund) return opts.refund(args!);
        return {
          outcome: "added",
          refund: {
            id: "mr-1",
            instance_id: String(args!.instance),
            date: String(args!.date),
            amount: String(args!.amount),
            fee_returned: "0.00",
            charge: (args!.charge as string | null) ?? null,
            reason: String(args!.reason),
          },
        } satisfies RefundOutcome;
      case "export_file_name":
        return args!.kind === "wix" ? `Acme Forms Billing Report - ${String(args!.period)}.csv` : `${String(args!.kind)}-${String(args!.period)}.csv`;
      case "export_csv":
        if (opts.exportCsv) return opts.exportCsv(args!);
        return String(args!.path);
      case "manual_refund": {
        const id = String(args!.id);
        if (opts.readRefund) return opts.readRefund(id);
        const r = opts.manualRefunds?.[id];
        if (!r) throw `manual refund ${id} not found`;
        return r;
      }
      case "delete_manual_refund": {
        const id = String(args!.id);
        if (opts.deleteRefund) return opts.deleteRefund(id);
        const r = opts.manualRefunds?.[id];
        if (!r) throw `manual refund ${id} not found`;
        events = events.filter((e) => e.id !== id);
        const m = summaries["2026-10"]!;
        summaries["2026-10"] = { ...m, refunds: m.refunds - 1, totals: { ...m.totals, events: m.totals.events - 1, gross: "1349.00" } };
        return r;
      }
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

/** The queries of a page command, in order. */
function queries<Q>(cmd: string): Q[] {
  return calls(cmd).map((c) => (c[1] as { query: Q }).query);
}

function total(label: string): string | null {
  const dt = within(screen.getByTestId("month-totals")).getByText(label, { selector: "dt" });
  return dt.parentElement!.querySelector("dd")!.textContent;
}

/** The body rows a paged table has rendered. */
function bodyRows(testId: string): HTMLTableRowElement[] {
  return Array.from(screen.getByTestId(testId).querySelectorAll<HTMLTableRowElement>("tbody tr"));
}

/** Their positions in the whole list. */
function shownIndexes(testId: string): number[] {
  return bodyRows(testId).map((r) => Number(r.dataset.index));
}

/** Scrolls a paged table so that row `index` is at the top, as a user's wheel would. */
function scrollTo(testId: string, index: number) {
  const box = screen.getByTestId(testId);
  box.scrollTop = index * ROW_H;
  fireEvent.scroll(box);
}

const FIRST_EVENTS: EventQuery = {
  month: "2026-10", instance: null, billing_type: null, late: null, state: null, search: null, sort: "report", descending: false, offset: 0, limit: 200,
};

beforeEach(() => {
  invoke.mockReset();
});

describe("MonthView", () => {
  it("says there is no month yet", async () => {
    fakeShell({ months: [] });
    render(<MonthView active />);
    expect(await screen.findByText("No months yet — import a processor export first")).toBeInTheDocument();
    expect(calls("month_summary")).toHaveLength(0);
  });

  it("is busy while the summary is built", async () => {
    let release!: () => void;
    fakeShell({ summaryDelay: new Promise<void>((r) => (release = r)) });
    render(<MonthView active />);
    expect(await screen.findByRole("progressbar", { name: "Building the month summary" })).toBeInTheDocument();
    release();
    expect(await screen.findByTestId("month-totals")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows the newest month's summary and the first pages of its instances and events, never the whole month", async () => {
    const big = { gross: "1234567.89", expenses: "4.89", net: "1234563.00", wix_share: "246912.60" };
    fakeShell({
      months: [monthInfo({ month: "2026-11" }), monthInfo({ month: "2026-10", status: "submitted" })],
      summaries: {
        "2026-11": monthSummary({ month: "2026-11", totals: { events: 1003, ...big }, charges: 1000, refunds: 3, late: 7 }),
        "2026-10": monthSummary({ status: "submitted" }),
      },
    });
    render(<MonthView active />);
    await screen.findByTestId("month-totals");

    const picker = screen.getByLabelText("Month");
    expect(picker).toHaveValue("2026-11");
    expect(within(picker).getAllByRole("option").map((o) => o.textContent)).toEqual(["2026-11 — open", "2026-10 — submitted"]);
    expect(calls("month_summary")[0]![1]).toEqual({ month: "2026-11" });

    // Rust's strings, grouped for reading; the exact value stays in data-value.
    expect(total("Events")).toBe("1,003");
    expect(total("Gross (USD)")).toBe("1,234,567.89");
    expect(total("Expenses (USD)")).toBe("4.89");
    expect(total("Net (USD)")).toBe("1,234,563.00");
    expect(total("Wix share (USD)")).toBe("246,912.60");
    expect(screen.getByTestId("month-totals").querySelector('[data-col="gross"] dd')).toHaveAttribute("data-value", "1234567.89");
    const counts = screen.getByTestId("month-counts");
    expect(Array.from(counts.querySelectorAll("div"), (d) => `${d.querySelector("dt")!.textContent} ${d.querySelector("dd")!.textContent}`)).toEqual([
      "Charges 1,000", "Refunds 3", "Late 7", "Instances 2",
    ]);

    const grid = await screen.findByRole("grid", { name: "Instances of 2026-11" });
    await waitFor(() => expect(bodyRows("instances-table")).toHaveLength(2));
    const rows = within(grid).getAllByRole("row");
    expect(cellTexts(rows[0])).toEqual(["Instance ▲", "Events", "Charges", "Refunds", "Gross", "Expenses", "Net", "Wix share"]);
    expect(cellTexts(rows[1])).toEqual([INSTANCE_A, "2", "1", "1", "0.00", "1.72", "-1.72", "-0.34"]);
    expect(cellTexts(rows[2])).toEqual([INSTANCE_B, "1", "1", "0", "99.00", "3.17", "95.83", "19.17"]);
    // The footer is Rust's totals, not a sum made here.
    expect(cellTexts(rows[3])).toEqual(["Month total (1,003 events)", "", "", "", "1,234,567.89", "4.89", "1,234,563.00", "246,912.60"]);
    expect(screen.getByTestId("no-exceptions")).toBeInTheDocument();

    expect(queries<InstanceQuery>("instance_page")).toContainEqual({
      month: "2026-11", search: null, sort: "instance_id", descending: false, offset: 0, limit: 200,
    });
    expect(queries<EventQuery>("event_page")[0]).toEqual({ ...FIRST_EVENTS, month: "2026-11" });
    await waitFor(() => expect(bodyRows("events-table")).toHaveLength(3));
    // The last cell is the open month's actions (a manual refund's Delete…; none on this line).
    expect(cellTexts(bodyRows("events-table")[0])).toEqual([
      "2026-10-02", "tx-1", INSTANCE_A, "CHARGE", "txn_1", "49.00", "1.72", "47.28", "9.46", "", "draft", "",
    ]);
    expect(screen.getByTestId("events-table-count")).toHaveTextContent("3 events");

    await userEvent.setup().selectOptions(picker, "2026-10");
    expect(await screen.findByTestId("month-status")).toHaveTextContent("submitted");
    expect(calls("month_summary").at(-1)![1]).toEqual({ month: "2026-10" });
    expect(screen.getByTestId("approval")).toHaveTextContent("was submitted to Wix");
    expect(screen.queryByRole("button", { name: /Approve/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /Reopen/ })).toBeNull();
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual(FIRST_EVENTS));
    // The whole month never crosses over.
    expect(calls("month_report")).toHaveLength(0);
  });

  it("charts the Wix share of the engine's top ten instances, labelled with the exact strings", async () => {
    const instances = Array.from({ length: 12 }, (_, i) =>
      instanceLine({ instance_id: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, "0")}`, wix_share: `${i * 10}.05` }),
    );
    // A long decimal that a float would round: shown exactly.
    instances.push(instanceLine({ instance_id: "ffffffff-0000-4000-8000-000000000099", wix_share: "90071992547409.93" }));
    fakeShell({ summaries: { "2026-10": monthSummary({ instances: 13 }) }, instances });
    render(<MonthView active />);
    const chart = await screen.findByTestId("share-chart");
    expect(queries<InstanceQuery>("instance_page")).toContainEqual({
      month: "2026-10", search: null, sort: "wix_share", descending: true, offset: 0, limit: 10,
    });
    expect(chart).toHaveTextContent("Wix share per instance — the top 10 of 13");
    const bars = chart.querySelectorAll("g[data-instance]");
    expect(bars).toHaveLength(10);
    expect(bars[0]!.getAttribute("data-instance")).toBe("ffffffff-0000-4000-8000-000000000099");
    expect(bars[0]!.querySelector(".chart-value")!.textContent).toBe("90,071,992,547,409.93");
    expect(bars[0]!.querySelector("title")!.textContent).toBe("ffffffff-0000-4000-8000-000000000099: 90071992547409.93");
    expect(bars[1]!.querySelector(".chart-value")!.textContent).toBe("110.05");
    expect(Number(bars[0]!.querySelector("rect")!.getAttribute("width"))).toBeGreaterThan(
      Number(bars[1]!.querySelector("rect")!.getAttribute("width")),
    );
  });

  it("renders only the rows in view and asks for a later page with its offset as the events table scrolls", async () => {
    let hold: Promise<void> | undefined;
    let release!: () => void;
    fakeShell({
      summaries: { "2026-10": monthSummary({ totals: { events: 1000, gross: "1.00", expenses: "0.00", net: "1.00", wix_share: "0.20" } }) },
      events: manyEvents(1000),
      holdEvents: (q) => (q.offset > 0 ? hold : undefined),
    });
    render(<MonthView active />);
    await waitFor(() => expect(bodyRows("events-table").length).toBeGreaterThan(0));
    expect(screen.getByTestId("events-table-count")).toHaveTextContent("1,000 events");
    // 360 px of box: 11 rows in view, 10 more below; never the thousand.
    const first = shownIndexes("events-table");
    expect(first[0]).toBe(0);
    expect(first.length).toBeLessThan(30);
    expect(queries<EventQuery>("event_page").map((q) => q.offset)).toEqual([0]);

    hold = new Promise<void>((r) => (release = r));
    scrollTo("events-table", 500);
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, offset: 400 }));
    // While the page is on its way, its rows are placeholders at their places.
    const waiting = bodyRows("events-table");
    expect(waiting.map((r) => Number(r.dataset.index))).toContain(500);
    expect(waiting.every((r) => r.dataset.loading === "true")).toBe(true);
    expect(waiting[0]).toHaveTextContent("Loading…");
    expect(Number(waiting[0]!.dataset.index)).toBeGreaterThan(400);
    expect(Number(waiting.at(-1)!.dataset.index)).toBeLessThan(600);

    release();
    await waitFor(() => expect(screen.getByTestId("events-table").querySelector('tr[data-index="500"]')).toHaveAttribute("data-event", "tx-500"));
    expect(bodyRows("events-table").some((r) => r.dataset.loading)).toBe(false);
    // Only the one page was asked for.
    expect(queries<EventQuery>("event_page").map((q) => q.offset)).toEqual([0, 400]);

    // The last rows: page 800.
    scrollTo("events-table", 990);
    await waitFor(() => expect(screen.getByTestId("events-table").querySelector('tr[data-index="999"]')).toHaveAttribute("data-event", "tx-999"));
    expect(queries<EventQuery>("event_page").map((q) => q.offset)).toEqual([0, 400, 800]);
  });

  it("asks again from offset 0 when a filter, the search or the sort changes", async () => {
    const user = userEvent.setup();
    fakeShell({ events: manyEvents(1000) });
    render(<MonthView active />);
    await waitFor(() => expect(bodyRows("events-table").length).toBeGreaterThan(0));
    scrollTo("events-table", 450);
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)!.offset).toBe(400));

    await user.selectOptions(screen.getByLabelText("Type"), "REFUND");
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, billing_type: "REFUND" }));
    // The new list starts at its top.
    expect(screen.getByTestId("events-table").scrollTop).toBe(0);
    await waitFor(() => expect(screen.getByTestId("events-table-count")).toHaveTextContent("200 events"));
    expect(bodyRows("events-table")[0]).toHaveAttribute("data-event", "tx-4");

    await user.selectOptions(screen.getByLabelText("Late"), "late");
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, billing_type: "REFUND", late: true }));
    await user.selectOptions(screen.getByLabelText("State"), "draft");
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toMatchObject({ state: "draft", offset: 0 }));
    await user.selectOptions(screen.getByLabelText("Late"), "on-time");
    await user.selectOptions(screen.getByLabelText("Type"), "");
    await user.selectOptions(screen.getByLabelText("State"), "");

    await user.type(screen.getByLabelText("Search events"), "TXN_99");
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, late: false, search: "TXN_99" }));
    // One query once typing pauses, not one per key.
    expect(queries<EventQuery>("event_page").filter((q) => q.search !== null).map((q) => q.search)).toEqual(["TXN_99"]);
    await waitFor(() => expect(bodyRows("events-table").map((r) => r.dataset.event)).toEqual(["tx-99", "tx-990", "tx-991", "tx-992", "tx-994", "tx-995", "tx-996", "tx-997", "tx-998", "tx-999"]));
    await user.clear(screen.getByLabelText("Search events"));

    const events = screen.getByRole("grid", { name: "Events of 2026-10" });
    const gross = within(events).getByRole("columnheader", { name: /Gross/ });
    expect(gross).toHaveAttribute("aria-sort", "none");
    expect(within(events).getByRole("columnheader", { name: /Date/ })).toHaveAttribute("aria-sort", "ascending");
    await user.click(within(gross).getByRole("button"));
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, late: false, sort: "gross", descending: true }));
    expect(gross).toHaveAttribute("aria-sort", "descending");
    expect(within(events).getByRole("columnheader", { name: /Date/ })).toHaveAttribute("aria-sort", "none");
    await user.click(within(gross).getByRole("button"));
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toMatchObject({ sort: "gross", descending: false, offset: 0 }));
    expect(gross).toHaveAttribute("aria-sort", "ascending");

    // The instances sort and search the same way.
    const instances = screen.getByRole("grid", { name: "Instances of 2026-10" });
    await user.click(within(within(instances).getByRole("columnheader", { name: /Wix share/ })).getByRole("button"));
    await waitFor(() =>
      expect(queries<InstanceQuery>("instance_page").at(-1)).toEqual({ month: "2026-10", search: null, sort: "wix_share", descending: true, offset: 0, limit: 200 }),
    );
    await waitFor(() => expect(bodyRows("instances-table").map((r) => r.dataset.instance)).toEqual([INSTANCE_B, INSTANCE_A]));
    await user.type(screen.getByLabelText("Search instances"), "C4A1");
    await waitFor(() =>
      expect(queries<InstanceQuery>("instance_page").at(-1)).toEqual({ month: "2026-10", search: "C4A1", sort: "wix_share", descending: true, offset: 0, limit: 200 }),
    );
    await waitFor(() => expect(bodyRows("instances-table").map((r) => r.dataset.instance)).toEqual([INSTANCE_B]));
    await user.type(screen.getByLabelText("Search instances"), "-nothing");
    expect(await screen.findByText("No instance of 2026-10 matches “C4A1-nothing”")).toBeInTheDocument();
  });

  it("ignores a page answered for a query that has changed since", async () => {
    const user = userEvent.setup();
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    let held = false;
    fakeShell({
      events: manyEvents(30),
      // The very first page (every event) is slow; the search's answer comes at once.
      holdEvents: (q) => {
        if (q.search !== null || held) return undefined;
        held = true;
        return first;
      },
    });
    render(<MonthView active />);
    await screen.findByRole("grid", { name: "Events of 2026-10" });
    await user.type(screen.getByLabelText("Search events"), "tx-2");
    await waitFor(() => expect(bodyRows("events-table").map((r) => r.dataset.event)).toEqual(["tx-2", "tx-20", "tx-21", "tx-22", "tx-23", "tx-24", "tx-25", "tx-26", "tx-27", "tx-28", "tx-29"]));
    expect(screen.getByTestId("events-table-count")).toHaveTextContent("11 events");

    await act(async () => {
      releaseFirst();
      await first;
    });
    // The late answer of the first query (30 events from tx-0) is dropped.
    expect(bodyRows("events-table")[0]).toHaveAttribute("data-event", "tx-2");
    expect(bodyRows("events-table")).toHaveLength(11);
    expect(screen.getByTestId("events-table-count")).toHaveTextContent("11 events");
  });

  it("filters the events to an instance clicked in the instances table, and back", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<MonthView active />);
    await waitFor(() => expect(bodyRows("instances-table")).toHaveLength(2));
    await waitFor(() => expect(bodyRows("events-table")).toHaveLength(3));

    await user.click(within(bodyRows("instances-table")[1]!).getByText(INSTANCE_B));
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual({ ...FIRST_EVENTS, instance: INSTANCE_B }));
    await waitFor(() => expect(bodyRows("events-table").map((r) => r.dataset.event)).toEqual(["tx-2"]));
    expect(screen.getByTestId("events-instance")).toHaveTextContent(`Instance ${INSTANCE_B}`);
    expect(bodyRows("instances-table")[1]).toHaveAttribute("aria-current", "true");

    // Another instance, then back to all of them.
    await user.click(within(bodyRows("instances-table")[0]!).getByText(INSTANCE_A));
    await waitFor(() => expect(bodyRows("events-table").map((r) => r.dataset.event)).toEqual(["tx-1", "tx-3"]));
    await user.click(screen.getByRole("button", { name: "Show the events of every instance" }));
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toEqual(FIRST_EVENTS));
    await waitFor(() => expect(bodyRows("events-table")).toHaveLength(3));
    expect(screen.queryByTestId("events-instance")).toBeNull();
  });

  it("moves the selected row with the keyboard and keeps it in view", async () => {
    const user = userEvent.setup();
    fakeShell({ events: manyEvents(1000) });
    render(<MonthView active />);
    const grid = await screen.findByRole("grid", { name: "Events of 2026-10" });
    await waitFor(() => expect(bodyRows("events-table").length).toBeGreaterThan(0));
    const selected = () => screen.getByTestId("events-table").querySelector('tr[aria-selected="true"]') as HTMLTableRowElement | null;
    const box = screen.getByTestId("events-table");

    grid.focus();
    await user.keyboard("{ArrowDown}");
    expect(selected()).toHaveAttribute("data-index", "0");
    expect(grid).toHaveAttribute("aria-activedescendant", selected()!.id);
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowUp}");
    expect(selected()).toHaveAttribute("data-index", "1");

    // A page is the rows that fit in the box, less one: (360 - header) / 32 - 1 = 9.
    await user.keyboard("{PageDown}");
    expect(selected()).toHaveAttribute("data-index", "10");
    // Row 10 was below the fold: the box scrolled just enough to show it at the bottom edge.
    expect(box.scrollTop).toBe(HEADER_H + 11 * ROW_H - 360);
    await user.keyboard("{PageUp}{PageUp}");
    expect(selected()).toHaveAttribute("data-index", "0");

    await user.keyboard("{End}");
    await waitFor(() => expect(selected()).toHaveAttribute("data-index", "999"));
    await waitFor(() => expect(selected()).toHaveAttribute("data-event", "tx-999"));
    expect(queries<EventQuery>("event_page").at(-1)!.offset).toBe(800);
    expect(box.scrollTop).toBeGreaterThan(900 * ROW_H);
    await user.keyboard("{ArrowDown}");
    expect(selected()).toHaveAttribute("data-index", "999");

    await user.keyboard("{Home}");
    await waitFor(() => expect(selected()).toHaveAttribute("data-index", "0"));
    expect(box.scrollTop).toBe(0);
  });

  it("filters the events to an instance chosen with the keyboard", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<MonthView active />);
    const grid = await screen.findByRole("grid", { name: "Instances of 2026-10" });
    await waitFor(() => expect(bodyRows("instances-table")).toHaveLength(2));
    grid.focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    await waitFor(() => expect(queries<EventQuery>("event_page").at(-1)).toMatchObject({ instance: INSTANCE_B, offset: 0 }));
    expect(screen.getByTestId("events-instance")).toHaveTextContent(INSTANCE_B);
  });

  it("says so when a month has no billing event", async () => {
    fakeShell({ summaries: { "2026-10": monthSummary({ totals: { events: 0, gross: "0.00", expenses: "0.00", net: "0.00", wix_share: "0.00" }, instances: 0 }) } });
    render(<MonthView active />);
    expect(await screen.findByTestId("instances-empty")).toHaveTextContent("No billing events in 2026-10");
    expect(screen.queryByTestId("events-table")).toBeNull();
    expect(calls("event_page")).toHaveLength(0);
  });

  it("shows why a page could not be read, and asks again on request", async () => {
    const user = userEvent.setup();
    let fail = true;
    fakeShell();
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation((cmd: string, args?: unknown) =>
      cmd === "event_page" && fail ? Promise.reject("the ledger is locked by another program") : base(cmd, args),
    );
    render(<MonthView active />);
    expect(await screen.findByText(/Some rows could not be read: the ledger is locked by another program/)).toBeInTheDocument();
    // A failed page is not asked for again by itself (no loop against a locked ledger).
    await new Promise((r) => setTimeout(r, 50));
    expect(calls("event_page")).toHaveLength(1);
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(bodyRows("events-table")).toHaveLength(3));
    expect(screen.queryByText(/Some rows could not be read/)).toBeNull();
  });

  it("keeps Approve disabled with the reasons listed while there are exceptions, and assigns an instance", async () => {
    const user = userEvent.setup();
    fakeShell({
      summaries: {
        "2026-10": monthSummary({
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
    fakeShell({ summaries: { "2026-10": monthSummary({ exceptions: [exception()] }) } });
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
    fakeShell({ summaries: { "2026-10": monthSummary({ exceptions: [unclassified] }) } });
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
    fakeShell({ summaries: { "2026-10": monthSummary({ exceptions: [exception({ kind: "unclassified_type", source_id: "G1", txn_id: 5 })] }) } });
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

  it("drops a notice once the month it speaks of has moved on", async () => {
    const user = userEvent.setup();
    const summaries = { "2026-10": monthSummary() };
    fakeShell({ summaries });
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Approve 2026-10" }));
    expect(await screen.findByTestId("month-notice")).toHaveTextContent("queued for Wix");
    // Meanwhile the month was submitted: "queued" is no longer true.
    summaries["2026-10"] = { ...summaries["2026-10"]!, status: "submitted" };
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(screen.getByTestId("month-status")).toHaveTextContent("submitted"));
    expect(screen.queryByTestId("month-notice")).toBeNull();
    // A submitted month is corrected with a manual refund, from here.
    await user.click(screen.getByRole("button", { name: "Correct with a manual refund…" }));
    const form = screen.getByTestId("refund-form");
    expect(form).toHaveTextContent("2026-10 was submitted: a correction is a manual refund");
  });

  it("adds a manual refund from its form and says where it counts", async () => {
    const user = userEvent.setup();
    fakeShell();
    render(<MonthView active />);
    await user.click(await screen.findByRole("button", { name: "Manual refund…" }));
    const form = screen.getByTestId("refund-form");
    await user.type(within(form).getByLabelText("Wix instance ID"), INSTANCE_A);
    await user.type(within(form).getByLabelText("Amount refunded (USD)"), "1250.00");
    await user.type(within(form).getByLabelText("Reason"), "double charge");
    const monthsBefore = calls("list_months").length;
    await user.click(within(form).getByRole("button", { name: "Add refund" }));
    expect(calls("add_manual_refund")[0]![1]).toMatchObject({ instance: INSTANCE_A, amount: "1250.00", feeReturned: null, charge: null, reason: "double charge" });
    expect(await screen.findByTestId("month-notice")).toHaveTextContent(`Manual refund mr-1 added: 1,250.00 USD back to ${INSTANCE_A}`);
    expect(screen.queryByTestId("refund-form")).toBeNull();
    expect(calls("list_months").length).toBeGreaterThan(monthsBefore);
  });

  it("shows the engine's refusal of a manual refund next to the field", async () => {
    const user = userEvent.setup();
    fakeShell({ refund: async () => ({ outcome: "refused", problems: [{ field: "amount", message: "amount 19.01: it is more than what remains refundable of charge tx-1 (19.00)" }] }) });
    render(<MonthView active refundRequest={{ seq: 1, initial: { instance: INSTANCE_A, charge: "tx-1" }, context: "A correction of tx-1" }} />);
    const form = await screen.findByTestId("refund-form");
    expect(form).toHaveTextContent("A correction of tx-1");
    expect(within(form).getByLabelText("Original charge (optional)")).toHaveValue("tx-1");
    await user.type(within(form).getByLabelText("Amount refunded (USD)"), "19.01");
    await user.type(within(form).getByLabelText("Reason"), "partial");
    await user.click(within(form).getByRole("button", { name: "Add refund" }));
    expect(await within(form).findByTestId("refund-error-amount")).toHaveTextContent("more than what remains refundable of charge tx-1 (19.00)");
    expect(screen.queryByTestId("month-notice")).toBeNull();
  });

  describe("deleting a manual refund", () => {
    const manual = eventLine({
      id: "mr-4",
      instance_id: INSTANCE_B,
      billing_type: "REFUND",
      created_date: "2026-10-25T04:00:00Z",
      gross: "-1250.00",
      expenses: "-0.40",
      net: "-1249.60",
      wix_share: "-249.92",
      source: "manual",
      source_id: null,
    });
    const entered: ManualRefundInfo = {
      id: "mr-4",
      instance_id: INSTANCE_B,
      date: "2026-10-25",
      amount: "1250.00",
      fee_returned: "0.40",
      charge: "tx-2",
      reason: "typed against the wrong site",
    };
    const withManual = () => [...defaultEvents(), manual];
    const deleteButtons = () => screen.queryAllByRole("button", { name: /^Delete manual refund/ });

    it("is offered on an open month's manual refund lines only, not on imported lines", async () => {
      fakeShell({ events: withManual(), manualRefunds: { "mr-4": entered } });
      render(<MonthView active />);
      await waitFor(() => expect(bodyRows("events-table")).toHaveLength(4));
      expect(deleteButtons().map((b) => b.getAttribute("aria-label"))).toEqual(["Delete manual refund mr-4"]);
      const row = bodyRows("events-table").find((r) => r.dataset.event === "mr-4")!;
      expect(within(row).getByRole("button", { name: "Delete manual refund mr-4" })).toHaveTextContent("Delete…");
      for (const r of bodyRows("events-table").filter((r) => r.dataset.event !== "mr-4")) expect(within(r).queryByRole("button")).toBeNull();
    });

    it("is not offered once the month is approved: no actions column at all", async () => {
      fakeShell({
        months: [monthInfo({ status: "approved" })],
        summaries: { "2026-10": monthSummary({ status: "approved" }) },
        events: withManual().map((e) => ({ ...e, state: "queued" })),
        manualRefunds: { "mr-4": entered },
      });
      render(<MonthView active />);
      await waitFor(() => expect(bodyRows("events-table")).toHaveLength(4));
      expect(deleteButtons()).toHaveLength(0);
      expect(screen.getByTestId("events-table").querySelector('th[data-col="actions"]')).toBeNull();
    });

    it("asks first, showing what goes and that the audit log keeps it; Cancel and Escape back out", async () => {
      const user = userEvent.setup();
      fakeShell({ events: withManual(), manualRefunds: { "mr-4": entered } });
      render(<MonthView active />);
      await waitFor(() => expect(deleteButtons()).toHaveLength(1));
      const open = deleteButtons()[0]!;
      await user.click(open);
      const panel = screen.getByTestId("delete-refund");
      expect(within(panel).getByRole("heading")).toHaveTextContent("Delete manual refund mr-4?");
      // The safe choice has the focus; nothing is deleted by opening it.
      expect(within(panel).getByRole("button", { name: "Cancel" })).toHaveFocus();
      expect(await within(panel).findByTestId("delete-refund-reason")).toHaveTextContent("typed against the wrong site");
      expect(calls("manual_refund")).toEqual([["manual_refund", { id: "mr-4" }]]);
      const facts = Array.from(panel.querySelectorAll("dl div"), (d) => `${d.querySelector("dt")!.textContent}: ${d.querySelector("dd")!.textContent}`);
      expect(facts).toEqual([
        `Instance: ${INSTANCE_B}`,
        "Date: 2026-10-25",
        "Gross (USD): -1,250.00",
        "Wix share (USD): -249.92",
        "Fee returned (USD): 0.40",
        "Original charge: tx-2",
        "Reason: typed against the wrong site",
      ]);
      expect(panel).toHaveTextContent("It will no longer count in 2026-10. The deletion is recorded in the audit log");
      expect(panel).toHaveTextContent("There is no undo: to restore it, enter it again");
      expect(calls("delete_manual_refund")).toHaveLength(0);

      await user.click(within(panel).getByRole("button", { name: "Cancel" }));
      expect(screen.queryByTestId("delete-refund")).toBeNull();
      expect(open).toHaveFocus();
      await user.click(open);
      await user.keyboard("{Escape}");
      expect(screen.queryByTestId("delete-refund")).toBeNull();
      expect(calls("delete_manual_refund")).toHaveLength(0);
    });

    it("deletes from the keyboard, reloads the month's summary and pages, and says what was deleted", async () => {
      const user = userEvent.setup();
      fakeShell({ events: withManual(), manualRefunds: { "mr-4": entered } });
      render(<MonthView active />);
      await waitFor(() => expect(deleteButtons()).toHaveLength(1));
      deleteButtons()[0]!.focus();
      await user.keyboard("{Enter}");
      const panel = screen.getByTestId("delete-refund");
      await within(panel).findByText("typed against the wrong site");
      const summaries = calls("month_summary").length;
      const pages = calls("event_page").length;
      await user.tab({ shift: true });
      expect(within(panel).getByRole("button", { name: "Delete refund" })).toHaveFocus();
      await user.keyboard("{Enter}");
      expect(calls("delete_manual_refund")).toEqual([["delete_manual_refund", { id: "mr-4" }]]);
      const notice = await screen.findByTestId("month-notice");
      expect(notice).toHaveTextContent(
        `Manual refund mr-4 deleted: 1,250.00 USD back to ${INSTANCE_B} on 2026-10-25 (charge tx-2) no longer counts. The deletion is in the audit log.`,
      );
      expect(screen.queryByTestId("delete-refund")).toBeNull();
      // The summary and the pages are asked for again: the totals are the engine's new ones.
      await waitFor(() => expect(total("Gross (USD)")).toBe("1,349.00"));
      expect(calls("month_summary").length).toBeGreaterThan(summaries);
      expect(calls("event_page").length).toBeGreaterThan(pages);
      await waitFor(() => expect(bodyRows("events-table")).toHaveLength(3));
      expect(deleteButtons()).toHaveLength(0);

      // No undo: the refund can be entered again, prefilled as it was.
      const again = within(notice).getByRole("button", { name: "Enter it again…" });
      await waitFor(() => expect(again).toHaveFocus());
      await user.click(again);
      const form = screen.getByTestId("refund-form");
      expect(form).toHaveTextContent("Entering mr-4 again");
      expect(within(form).getByLabelText("Wix instance ID")).toHaveValue(INSTANCE_B);
      expect(within(form).getByLabelText("Amount refunded (USD)")).toHaveValue("1250.00");
      expect(within(form).getByLabelText("Fee returned (USD, optional)")).toHaveValue("0.40");
      expect(within(form).getByLabelText("Original charge (optional)")).toHaveValue("tx-2");
      expect(within(form).getByLabelText("Reason")).toHaveValue("typed against the wrong site");
      expect(calls("add_manual_refund")).toHaveLength(0);
    });

    it("shows the engine's refusal in the confirmation and changes nothing", async () => {
      const user = userEvent.setup();
      const refusal = "manual refund mr-4 is part of approved month 2026-10; reopen 2026-10 first";
      fakeShell({ events: withManual(), manualRefunds: { "mr-4": entered }, deleteRefund: () => Promise.reject(refusal) });
      render(<MonthView active />);
      await waitFor(() => expect(deleteButtons()).toHaveLength(1));
      await user.click(deleteButtons()[0]!);
      const panel = screen.getByTestId("delete-refund");
      const summaries = calls("month_summary").length;
      await user.click(within(panel).getByRole("button", { name: "Delete refund" }));
      expect(await within(panel).findByTestId("delete-refund-error")).toHaveTextContent(`mr-4 was not deleted: ${refusal}`);
      expect(within(panel).getByRole("alert")).toBe(within(panel).getByTestId("delete-refund-error"));
      expect(within(panel).getByRole("button", { name: "Delete refund" })).toBeEnabled();
      expect(screen.queryByTestId("month-notice")).toBeNull();
      expect(calls("month_summary")).toHaveLength(summaries);
      expect(bodyRows("events-table")).toHaveLength(4);
    });

    it("says so when the refund cannot be read, and leaves the decision to the engine", async () => {
      const user = userEvent.setup();
      fakeShell({ events: withManual(), readRefund: () => Promise.reject("manual refund mr-4 was already deleted") });
      render(<MonthView active />);
      await waitFor(() => expect(deleteButtons()).toHaveLength(1));
      await user.click(deleteButtons()[0]!);
      const panel = screen.getByTestId("delete-refund");
      expect(await within(panel).findByRole("alert")).toHaveTextContent("The refund could not be read: manual refund mr-4 was already deleted");
      // What the line shows is still there.
      expect(panel).toHaveTextContent("Gross (USD)-1,250.00");
      expect(within(panel).getByTestId("delete-refund-reason")).toHaveTextContent("—");
    });
  });

  it("asks for the month-by-month series once, not again for each month looked at", async () => {
    const user = userEvent.setup();
    fakeShell({
      months: [monthInfo(), monthInfo({ month: "2026-09" })],
      summaries: { "2026-10": monthSummary(), "2026-09": monthSummary({ month: "2026-09" }) },
    });
    render(<MonthView active />);
    await screen.findByTestId("months-chart");
    expect(calls("month_series")).toHaveLength(1);
    await user.selectOptions(screen.getByLabelText("Month"), "2026-09");
    expect(await screen.findByText("2026-09 at a glance")).toBeInTheDocument();
    expect(screen.getByTestId("months-chart")).toBeInTheDocument();
    expect(calls("month_series")).toHaveLength(1);
    // A refresh may follow a change elsewhere: it asks again.
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(calls("month_series")).toHaveLength(2));
  });

  it("charts the months with the engine's figures, as text too", async () => {
    fakeShell();
    render(<MonthView active />);
    const chart = await screen.findByTestId("months-chart");
    const row = chart.querySelector('tr[data-month="2026-10"]')!;
    const s = monthSummary();
    expect(row.querySelector("td[data-value]")!.getAttribute("data-value")).toBe(s.totals.gross);
    expect(screen.getByTestId("month-state")).toHaveTextContent("2026-10 at a glance");
    expect(calls("month_series")[0]![1]).toEqual({ count: 12 });
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
      summaries: { "2026-10": monthSummary({ status: "approved" }) },
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
      summaries: { "2026-10": monthSummary({ status: "approved" }) },
      events: [eventLine({ state: "sent" }), eventLine({ id: "tx-2", state: "queued" })],
    });
    render(<MonthView active />);
    expect(await screen.findByTestId("approval")).toHaveTextContent("can no longer be reopened");
    expect(screen.queryByRole("button", { name: /Reopen/ })).toBeNull();
  });

  it("shows a submitted month at a glance as sent to Wix, from its outbox", async () => {
    fakeShell({
      months: [monthInfo({ status: "submitted" })],
      summaries: { "2026-10": monthSummary({ status: "submitted" }) },
      events: defaultEvents().map((e) => ({ ...e, state: "sent" })),
    });
    render(<MonthView active />);
    const glance = await screen.findByTestId("month-state");
    await waitFor(() => expect(glance.querySelector('[data-step="Sent to Wix"]')).toHaveTextContent("Sent to Wix 3 of 3"));
    expect(calls("outbox_counts")).toContainEqual(["outbox_counts", { month: "2026-10" }]);
    expect(screen.getByTestId("month-state-bar")).toHaveAttribute("aria-label", "Sent 3");
  });

  it("warns about payouts that do not match their items", async () => {
    fakeShell({
      summaries: {
        "2026-10": monthSummary({
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
