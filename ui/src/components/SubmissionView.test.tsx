import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AttemptInfo } from "../bindings/AttemptInfo";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { OutboxQuery } from "../bindings/OutboxQuery";
import type { StateCounts } from "../bindings/StateCounts";
import type { SubmitProgress } from "../bindings/SubmitProgress";
import type { SubmitReport } from "../bindings/SubmitReport";
import { cellTexts, INSTANCE_A, INSTANCE_B, monthInfo, outboxEntry, outboxPageOf, stateCounts } from "../test/fixtures";

// The shell is replaced at the module boundary; a Channel is a plain object whose
// `onmessage` the fake shell calls, as Tauri does with the Rust side's messages.
const invoke = vi.fn();
class FakeChannel<T> {
  onmessage: (m: T) => void = () => {};
}
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: FakeChannel }));

const { SubmissionView } = await import("./SubmissionView");
const { ROW_H } = await import("./PagedTable");

interface Shell {
  months?: MonthInfo[];
  entries?: OutboxEntry[];
  recovered?: number;
  attempts?: AttemptInfo[];
  /** Runs the submission: gets the progress callback, returns the report. */
  submit?: (progress: (p: SubmitProgress) => void) => Promise<SubmitReport>;
}

function countsOf(entries: OutboxEntry[]): StateCounts {
  const c = stateCounts();
  for (const e of entries) c[e.state as keyof StateCounts] += 1;
  return c;
}

function fakeShell(opts: Shell = {}) {
  const months = opts.months ?? [monthInfo({ month: "2026-11" }), monthInfo({ status: "approved", approved_at: "2026-11-02T09:00:00Z", approved_by: "ana" })];
  let entries = opts.entries ?? [outboxEntry(), outboxEntry({ id: "tx-2", instance_id: INSTANCE_B, gross: "99.00", wix_share: "19.17" })];
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    switch (cmd) {
      case "recover_outbox":
        return opts.recovered ?? 0;
      case "list_months":
        return months;
      case "outbox_counts":
        return countsOf(entries.filter((e) => e.month === args!.month));
      case "outbox_page":
        return outboxPageOf(entries, args!.query as OutboxQuery);
      case "outbox_attempts":
        return opts.attempts ?? [];
      case "resolve_event": {
        const state = args!.resolution === "sent" ? "sent" : "queued";
        entries = entries.map((e) => (e.id === args!.eventId ? { ...e, state, last_error: null } : e));
        return entries.find((e) => e.id === args!.eventId);
      }
      case "submit_month": {
        const channel = args!.onProgress as FakeChannel<SubmitProgress>;
        const report = await opts.submit!((p) => channel.onmessage(p));
        if (!report.stopped) entries = entries.map((e) => ({ ...e, state: "sent", attempts: 1 }));
        return report;
      }
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

/** The queries of the outbox pages asked for, in order. */
function pageQueries(): OutboxQuery[] {
  return calls("outbox_page").map((c) => (c[1] as { query: OutboxQuery }).query);
}

function queueRows(): HTMLTableRowElement[] {
  return Array.from(screen.getByTestId("queue-table").querySelectorAll<HTMLTableRowElement>("tbody tr"));
}

function count(state: string): string | null {
  return screen.getByTestId("state-counts").querySelector(`[data-state="${state}"] dd`)!.textContent;
}

function report(over: Partial<SubmitReport> = {}): SubmitReport {
  return {
    month: "2026-10",
    status: "submitted",
    requests: 2,
    recovered_uncertain: 0,
    stopped: null,
    counts: stateCounts({ sent: 2 }),
    ...over,
  };
}

beforeEach(() => {
  invoke.mockReset();
});

describe("SubmissionView", () => {
  it("says to approve a month first when none is approved", async () => {
    fakeShell({ months: [monthInfo()] });
    render(<SubmissionView active />);
    expect(await screen.findByText("Nothing to submit yet — approve a month first")).toBeInTheDocument();
    expect(calls("recover_outbox")).toHaveLength(1);
  });

  it("shows the approved month's counts per state and its queue", async () => {
    fakeShell();
    render(<SubmissionView active />);
    const table = await screen.findByRole("grid", { name: "Outbox" });
    await waitFor(() => expect(queueRows()).toHaveLength(2));
    // Only approved months are offered.
    const picker = screen.getByLabelText("Month");
    expect(within(picker).getAllByRole("option").map((o) => o.textContent)).toEqual(["2026-10 — approved"]);
    expect(pageQueries()[0]).toEqual({ month: "2026-10", state: null, search: null, offset: 0, limit: 200 });
    expect([count("queued"), count("sending"), count("sent"), count("rejected"), count("uncertain")]).toEqual(["2", "0", "0", "0", "0"]);
    const rows = within(table).getAllByRole("row");
    expect(cellTexts(rows[1])).toEqual(["tx-1", "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31", "CHARGE", "49.00", "9.46", "queued", "0", "—", "—", ""]);
    expect(screen.getByRole("button", { name: "Submit 2 queued events" })).toBeEnabled();
  });

  it("filters the queue by state", async () => {
    const user = userEvent.setup();
    fakeShell({ entries: [outboxEntry(), outboxEntry({ id: "tx-2", state: "sent" })] });
    render(<SubmissionView active />);
    await screen.findByTestId("outbox-row-tx-1");
    await user.selectOptions(screen.getByLabelText("Show"), "sent");
    await waitFor(() => expect(screen.queryByTestId("outbox-row-tx-1")).toBeNull());
    expect(screen.getByTestId("outbox-row-tx-2")).toBeInTheDocument();
    expect(pageQueries().at(-1)).toEqual({ month: "2026-10", state: "sent", search: null, offset: 0, limit: 200 });
    await user.selectOptions(screen.getByLabelText("Show"), "rejected");
    expect(await screen.findByText("No rejected events in 2026-10")).toBeInTheDocument();
  });

  it("submits after a confirmation, with a progress bar, then shows the result", async () => {
    const user = userEvent.setup();
    let step!: (p: SubmitProgress) => void;
    let finish!: (r: SubmitReport) => void;
    fakeShell({
      submit: (progress) => {
        step = progress;
        return new Promise((res) => (finish = res));
      },
    });
    render(<SubmissionView active />);
    await user.click(await screen.findByRole("button", { name: "Submit 2 queued events" }));
    expect(screen.getByText("Send 2 events of 2026-10 to Wix?")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(calls("submit_month")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Submit 2 queued events" }));
    await user.click(screen.getByRole("button", { name: "Yes, submit" }));
    expect(calls("submit_month")[0]![1]).toMatchObject({ month: "2026-10" });
    const bar = await screen.findByRole("progressbar", { name: "Submitting to Wix" });
    expect(screen.getByRole("button", { name: "Submitting…" })).toBeDisabled();

    act(() => step({ total: 2, done: 0, sent: 0, rejected: 0, uncertain: 0, retrying: 0 }));
    expect(bar).toHaveAttribute("aria-valuemax", "2");
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    act(() => step({ total: 2, done: 1, sent: 1, rejected: 0, uncertain: 0, retrying: 1 }));
    expect(bar).toHaveAttribute("aria-valuenow", "1");
    expect(screen.getByTestId("submit-progress")).toHaveTextContent("1 of 2 done — 1 sent, 0 rejected, 0 uncertain, 1 retried");

    finish(report());
    const result = await screen.findByTestId("submit-result");
    expect(result).toHaveTextContent("Run finished: 2026-10 is submitted. 2 sent, 0 rejected, 0 uncertain, 0 queued (2 requests in this run).");
    expect(screen.queryByRole("progressbar")).toBeNull();
    await waitFor(() => expect(count("sent")).toBe("2"));
    expect(screen.getByRole("button", { name: "Submit to Wix" })).toBeDisabled();
    expect(screen.getByText("Nothing queued in 2026-10.")).toBeInTheDocument();
  });

  it("shows Wix's message when it stops the run", async () => {
    const user = userEvent.setup();
    fakeShell({
      submit: async () =>
        report({
          status: "approved",
          requests: 1,
          stopped: "Wix refused the app's credentials (401 UNAUTHENTICATED): check WIX_APP_SECRET",
          counts: stateCounts({ queued: 2 }),
        }),
    });
    render(<SubmissionView active />);
    await user.click(await screen.findByRole("button", { name: "Submit 2 queued events" }));
    await user.click(screen.getByRole("button", { name: "Yes, submit" }));
    const alert = await screen.findByTestId("submit-stopped");
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent("Wix stopped the run: Wix refused the app's credentials (401 UNAUTHENTICATED): check WIX_APP_SECRET");
    expect(alert).toHaveTextContent("the remaining events stay queued");
  });

  it("shows why a submission could not start", async () => {
    const user = userEvent.setup();
    fakeShell({ submit: () => Promise.reject("no Wix credentials: set WIX_APP_SECRET (OAuth), or WIX_API_KEY and WIX_ACCOUNT_ID") });
    render(<SubmissionView active />);
    await user.click(await screen.findByRole("button", { name: "Submit 2 queued events" }));
    await user.click(screen.getByRole("button", { name: "Yes, submit" }));
    expect(await screen.findByTestId("submit-error")).toHaveTextContent("The submission did not run. no Wix credentials");
  });

  it("resolves an uncertain event with its attempts shown and a required reason", async () => {
    const user = userEvent.setup();
    fakeShell({
      recovered: 1,
      entries: [
        outboxEntry({ state: "sent", attempts: 1 }),
        outboxEntry({ id: "tx-2", state: "uncertain", attempts: 1, last_error: "no answer within 30 s", last_attempt_at: "2026-11-03T08:00:05Z" }),
      ],
      attempts: [
        {
          started_at: "2026-11-03T08:00:05Z",
          finished_at: "2026-11-03T08:00:35Z",
          outcome: "uncertain",
          http_status: 504,
          auth_flow: "oauth",
          response: null,
          message: "Wix did not answer in time: it may have the event",
        },
      ],
    });
    render(<SubmissionView active />);
    expect(await screen.findByText(/1 event was being sent when the app last stopped/)).toBeInTheDocument();
    const callout = await screen.findByTestId("uncertain-callout");
    expect(callout).toHaveTextContent("1 event is uncertain");
    await user.click(within(callout).getByRole("button", { name: "Show the uncertain events" }));
    await waitFor(() => expect(screen.queryByTestId("outbox-row-tx-1")).toBeNull());

    // Only the uncertain event has a Resolve action.
    await user.click(screen.getByRole("button", { name: "Resolve tx-2" }));
    const panel = screen.getByTestId("resolve-panel");
    const attempts = await within(panel).findByRole("table", { name: "Attempts of tx-2" });
    expect(cellTexts(within(attempts).getAllByRole("row")[1])).toEqual([
      "2026-11-03 08:00 UTC", "2026-11-03 08:00 UTC", "uncertain", "504", "oauth", "Wix did not answer in time: it may have the event",
    ]);
    expect(calls("outbox_attempts")).toEqual([["outbox_attempts", { eventId: "tx-2" }]]);

    const resolveButton = within(panel).getByRole("button", { name: "Resolve" });
    expect(resolveButton).toBeDisabled();
    await user.click(within(panel).getByLabelText("Wix has it — mark it sent"));
    expect(resolveButton).toBeDisabled();
    await user.type(within(panel).getByLabelText(/Reason/), "seen in the Wix dashboard");
    await user.click(resolveButton);

    expect(calls("resolve_event")).toEqual([
      ["resolve_event", { eventId: "tx-2", resolution: "sent", reason: "seen in the Wix dashboard" }],
    ]);
    expect(await screen.findByText("tx-2 is marked sent (seen in the Wix dashboard).")).toBeInTheDocument();
    expect(await screen.findByText("No uncertain events in 2026-10")).toBeInTheDocument();
    expect(screen.queryByTestId("uncertain-callout")).toBeNull();
  });

  it("re-queues a rejected event with a required reason", async () => {
    const user = userEvent.setup();
    fakeShell({
      entries: [
        outboxEntry({ state: "sent", attempts: 1 }),
        outboxEntry({ id: "tx-2", state: "rejected", attempts: 1, last_error: "Wix refused the event: instance not installed", last_attempt_at: "2026-11-03T08:00:05Z" }),
      ],
    });
    render(<SubmissionView active />);
    const callout = await screen.findByTestId("rejected-callout");
    expect(callout).toHaveTextContent("1 event was rejected by Wix");
    await user.click(within(callout).getByRole("button", { name: "Show the rejected events" }));
    await waitFor(() => expect(screen.queryByTestId("outbox-row-tx-1")).toBeNull());

    await user.click(screen.getByRole("button", { name: "Re-queue tx-2" }));
    const panel = screen.getByTestId("resolve-panel");
    expect(panel).toHaveTextContent("Wix rejected tx-2: “Wix refused the event: instance not installed”");
    // No "mark it sent" for a rejected event: it can only go again.
    expect(within(panel).queryByLabelText("Wix has it — mark it sent")).toBeNull();
    const reason = within(panel).getByLabelText(/Reason/);
    expect(reason).toHaveFocus();
    const button = within(panel).getByRole("button", { name: "Re-queue" });
    expect(button).toBeDisabled();
    await user.type(reason, "instance reinstalled{Enter}");
    expect(calls("resolve_event")).toEqual([["resolve_event", { eventId: "tx-2", resolution: "resend", reason: "instance reinstalled" }]]);
    expect(await screen.findByText("tx-2 is queued again and goes out with the next submission (instance reinstalled).")).toBeInTheDocument();
    expect(screen.queryByTestId("rejected-callout")).toBeNull();
    expect(count("queued")).toBe("1");
  });

  it("leads to the manual refund form to correct a sent event", async () => {
    const user = userEvent.setup();
    fakeShell({
      months: [monthInfo({ status: "submitted", approved_at: "2026-11-02T09:00:00Z", approved_by: "ana" })],
      entries: [outboxEntry({ state: "sent", attempts: 1 }), outboxEntry({ id: "mr-3", billing_type: "REFUND", gross: "-5.00", state: "sent", attempts: 1 })],
    });
    const onCorrect = vi.fn();
    render(<SubmissionView active onCorrect={onCorrect} />);
    const note = await screen.findByTestId("submitted-note");
    await user.click(within(note).getByRole("button", { name: "Correct it with a manual refund…" }));
    expect(onCorrect).toHaveBeenLastCalledWith(expect.objectContaining({ initial: {} }));
    await user.click(await screen.findByRole("button", { name: "Correct tx-1 with a manual refund" }));
    expect(onCorrect.mock.lastCall![0].initial).toEqual({ instance: INSTANCE_A, charge: "tx-1" });
    expect(onCorrect.mock.lastCall![0].context).toContain("tx-1 (CHARGE, 49.00 USD)");
    // A refund is no charge to refund: the instance only.
    await user.click(screen.getByRole("button", { name: "Correct mr-3 with a manual refund" }));
    expect(onCorrect.mock.lastCall![0].initial).toEqual({ instance: INSTANCE_A, charge: "" });
  });

  it("shows the engine's refusal of a resolution in the panel", async () => {
    const user = userEvent.setup();
    fakeShell({ entries: [outboxEntry({ state: "uncertain" })] });
    const base = invoke.getMockImplementation()!;
    invoke.mockImplementation((cmd: string, args?: unknown) =>
      cmd === "resolve_event" ? Promise.reject("event tx-1 is sent; only uncertain or rejected events are resolved") : base(cmd, args),
    );
    render(<SubmissionView active />);
    await user.click(await screen.findByRole("button", { name: "Resolve tx-1" }));
    await user.click(screen.getByLabelText(/send it again/));
    await user.type(screen.getByLabelText(/Reason/), "not in Wix{Enter}");
    expect(calls("resolve_event")[0]![1]).toMatchObject({ resolution: "resend" });
    expect(await within(screen.getByTestId("resolve-panel")).findByRole("alert")).toHaveTextContent("only uncertain or rejected");
  });

  it("pages the outbox as it scrolls and searches it in the engine", async () => {
    const user = userEvent.setup();
    const entries = Array.from({ length: 450 }, (_, i) => outboxEntry({ id: `tx-${i}`, instance_id: i === 321 ? INSTANCE_B : "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31" }));
    fakeShell({ entries });
    render(<SubmissionView active />);
    await screen.findByTestId("outbox-row-tx-0");
    expect(screen.getByTestId("queue-table-count")).toHaveTextContent("450 events");
    expect(queueRows().length).toBeLessThan(30);
    expect(pageQueries().map((q) => q.offset)).toEqual([0]);

    const box = screen.getByTestId("queue-table");
    box.scrollTop = 440 * ROW_H;
    fireEvent.scroll(box);
    expect(await screen.findByTestId("outbox-row-tx-449")).toHaveAttribute("data-index", "449");
    expect(pageQueries().map((q) => q.offset)).toEqual([0, 400]);
    expect(screen.queryByTestId("outbox-row-tx-0")).toBeNull();

    await user.type(screen.getByLabelText("Search the queue"), INSTANCE_B.slice(0, 8));
    await waitFor(() => expect(pageQueries().at(-1)).toEqual({ month: "2026-10", state: null, search: INSTANCE_B.slice(0, 8), offset: 0, limit: 200 }));
    await waitFor(() => expect(queueRows().map((r) => r.dataset.testid)).toEqual(["outbox-row-tx-321"]));
    await user.selectOptions(screen.getByLabelText("Show"), "sent");
    expect(await screen.findByText(`No event of 2026-10 matches “${INSTANCE_B.slice(0, 8)}”`)).toBeInTheDocument();
    expect(pageQueries().at(-1)).toEqual({ month: "2026-10", state: "sent", search: INSTANCE_B.slice(0, 8), offset: 0, limit: 200 });
  });
});
