import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditLine } from "../bindings/AuditLine";
import type { AuditQuery } from "../bindings/AuditQuery";
import { answer, argsOf, refuse, type Handler } from "../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { AuditView } = await import("./AuditView");

function line(id: number, over: Partial<AuditLine> = {}): AuditLine {
  return {
    id,
    at: "2026-11-02T08:00:00Z",
    at_local: "2026-11-02 09:00",
    who: "ana",
    action: "batch.import",
    entity: `batch:${id}`,
    before: null,
    after: `{"rows":${id}}`,
    ...over,
  };
}

const LOG = [line(3), line(2, { who: "ben", action: "rate.set", entity: "rate:2026-10-01", before: '"10"', after: '"20"' }), line(1)];

function shell(over: Record<string, Handler> = {}) {
  answer(invoke, {
    audit_facets: () => ({ months: ["2026-11", "2026-10"], operators: ["ana", "ben"], actions: ["batch.import", "rate.set"] }),
    audit_page: (a) => {
      const q = a.query as AuditQuery;
      const hits = LOG.filter((l) => (q.who === null || l.who === q.who) && (q.action === null || l.action === q.action));
      return { total: hits.length, offset: q.offset, timezone: "Europe/Berlin", rows: hits.slice(q.offset, q.offset + q.limit) };
    },
    audit_entry: (a) => ({ id: a.id, at: "2026-11-02T08:00:00Z", who: "ben", action: "rate.set", entity: "rate:2026-10-01", before: "10", after: { percent: "20" } }),
    ...over,
  });
}

function rows(): HTMLTableRowElement[] {
  return Array.from(screen.getByTestId("audit-table").querySelectorAll<HTMLTableRowElement>("tbody tr:not(.placeholder)"));
}

function lastQuery(): AuditQuery {
  return argsOf(invoke, "audit_page").at(-1)!.query as AuditQuery;
}

beforeEach(() => {
  invoke.mockReset();
});

describe("AuditView", () => {
  it("lists the log newest first with times in the ledger's time zone", async () => {
    shell();
    render(<AuditView active />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[1]).toHaveTextContent('2026-11-02 09:00benrate.setrate:2026-10-01"10" → "20"');
    expect(rows()[0]).toHaveTextContent('— → {"rows":3}');
    expect(screen.getByText("Times in Europe/Berlin")).toBeInTheDocument();
    expect(lastQuery()).toEqual({ month: null, who: null, action: null, search: null, offset: 0, limit: 200 });
  });

  it("filters by month, operator and kind of change in the engine", async () => {
    const user = userEvent.setup();
    shell();
    render(<AuditView active />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(screen.getByTestId("audit-month")).getAllByRole("option").map((o) => o.textContent)).toEqual(["All months", "2026-11", "2026-10"]);
    await user.selectOptions(screen.getByTestId("audit-month"), "2026-10");
    await user.selectOptions(screen.getByTestId("audit-who"), "ben");
    await user.selectOptions(screen.getByTestId("audit-action"), "rate.set");
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(lastQuery()).toEqual({ month: "2026-10", who: "ben", action: "rate.set", search: null, offset: 0, limit: 200 });
    await user.type(screen.getByTestId("audit-search"), "rate:");
    await waitFor(() => expect(lastQuery().search).toBe("rate:"));
    await user.selectOptions(screen.getByTestId("audit-who"), "ana");
    expect(await screen.findByText("No change matches these filters")).toBeInTheDocument();
  });

  it("opens an entry whole from the keyboard", async () => {
    const user = userEvent.setup();
    shell();
    render(<AuditView active />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    screen.getByRole("grid", { name: "Audit log" }).focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    const detail = await screen.findByTestId("audit-detail");
    expect(argsOf(invoke, "audit_entry")).toEqual([{ id: 2 }]);
    expect(detail).toHaveTextContent("rate.set · rate:2026-10-01 · ben · 2026-11-02 09:00");
    expect(within(detail).getAllByText(/./, { selector: "pre" }).map((p) => p.textContent)).toEqual(["10", '{\n  "percent": "20"\n}']);
    await user.click(within(detail).getByRole("button", { name: "Close" }));
    expect(screen.queryByTestId("audit-detail")).toBeNull();
  });

  it("explains an empty log and a log that cannot be read", async () => {
    answer(invoke, {
      audit_facets: refuse("cannot open the ledger"),
      audit_page: (a) => ({ total: 0, offset: (a.query as AuditQuery).offset, timezone: "UTC", rows: [] }),
    });
    render(<AuditView active />);
    expect(await screen.findByText("No change recorded yet")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("The filters could not be read: cannot open the ledger");
  });

  it("reads the log again each time it is shown", async () => {
    shell();
    const { rerender } = render(<AuditView active />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    const before = argsOf(invoke, "audit_page").length;
    rerender(<AuditView active={false} />);
    rerender(<AuditView active />);
    await waitFor(() => expect(argsOf(invoke, "audit_page").length).toBeGreaterThan(before));
    expect(argsOf(invoke, "audit_facets")).toHaveLength(2);
  });
});
