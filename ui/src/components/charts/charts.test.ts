// The charts' options are built from the engine's strings: bar lengths from the amounts, every
// figure a tooltip shows as the engine wrote it, grouped.
import { describe, expect, it } from "vitest";
import type { MonthPoint } from "../../bindings/MonthPoint";
import { monthSummary, stateCounts } from "../../test/fixtures";
import { escapeHtml } from "./EChart";
import { monthParts, stateOption } from "./MonthStateChart";
import { monthsOption } from "./MonthsChart";

const point = (over: Partial<MonthPoint>): MonthPoint => ({ month: "2026-10", status: "open", events: 3, gross: "0.00", net: "0.00", wix_share: "0.00", exceptions: 0, ...over });

describe("monthsOption", () => {
  it("draws gross and Wix share per month and shows the exact strings", () => {
    const o = monthsOption([point({ month: "2026-09", status: "submitted", gross: "299077770.00", wix_share: "59815554.00", events: 1234567 }), point({ exceptions: 2, gross: "-5.00" })]) as {
      xAxis: { data: string[] };
      series: Array<{ name: string; data: number[] }>;
      tooltip: { formatter: (p: unknown) => string };
    };
    expect(o.xAxis.data).toEqual(["2026-09", "2026-10"]);
    expect(o.series.map((s) => s.name)).toEqual(["Gross", "Wix share"]);
    expect(o.series[0]!.data).toEqual([299077770, -5]);
    const tip = o.tooltip.formatter([{ dataIndex: 0 }]);
    expect(tip).toContain("Gross 299,077,770.00 USD");
    expect(tip).toContain("Wix share 59,815,554.00 USD");
    expect(tip).toContain("1,234,567 events");
    expect(o.tooltip.formatter([{ dataIndex: 1 }])).toContain("2 exceptions");
    expect(o.tooltip.formatter([{ dataIndex: 7 }])).toBe("");
  });

  it("escapes what it puts in a tooltip", () => {
    expect(escapeHtml(`<b a="x">&'`)).toBe("&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
  });
});

describe("monthParts", () => {
  it("shows an open month's events and exceptions, an approved one's outbox states", () => {
    const open = monthSummary();
    expect(monthParts(open, null).map((p) => [p.key, p.count])).toEqual([["draft", open.totals.events], ["exceptions", open.exceptions.length]]);
    const approved = { ...open, status: "approved" as const };
    const c = { ...stateCounts(), queued: 2, sent: 5, rejected: 1 };
    expect(monthParts(approved, c).map((p) => [p.key, p.count])).toEqual([["queued", 2], ["sending", 0], ["sent", 5], ["rejected", 1], ["uncertain", 0]]);
    const o = stateOption(monthParts(approved, c)) as { series: Array<{ name: string; data: number[] }> };
    expect(o.series.map((s) => [s.name, s.data[0]])).toEqual([["Queued", 2], ["Sent", 5], ["Rejected", 1]]);
  });
});
