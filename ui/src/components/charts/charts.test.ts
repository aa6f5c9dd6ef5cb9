// The charts are built from the engine's strings: bar lengths from the amounts, every figure
// shown (the legend under the cursor) as the engine wrote it, grouped.
import { describe, expect, it } from "vitest";
import type uPlot from "uplot";
import type { MonthPoint } from "../../bindings/MonthPoint";
import { monthSummary, stateCounts } from "../../test/fixtures";
import { monthParts } from "./MonthStateChart";
import { monthsSpec } from "./MonthsChart";

const point = (over: Partial<MonthPoint>): MonthPoint => ({ month: "2026-10", status: "open", events: 3, gross: "0.00", net: "0.00", wix_share: "0.00", exceptions: 0, ...over });

describe("monthsSpec", () => {
  it("draws gross and Wix share per month and shows the exact strings", () => {
    const spec = monthsSpec([point({ month: "2026-09", status: "submitted", gross: "299077770.00", wix_share: "59815554.00" }), point({ gross: "-5.00" })]);
    expect(spec.data).toEqual([[0, 1], [299077770, -5], [59815554, 0]]);
    const series = spec.opts.series;
    expect(series.map((s) => s.label)).toEqual(["Month", "Gross (USD)", "Wix share (USD)"]);
    const value = (i: number, idx: number | null) => (series[i]!.value as (u: uPlot, v: number, s: number, idx: number | null) => string)({} as uPlot, 0, i, idx);
    expect(value(0, 0)).toBe("2026-09");
    expect(value(1, 0)).toBe("299,077,770.00");
    expect(value(2, 0)).toBe("59,815,554.00");
    expect(value(1, 1)).toBe("-5.00");
    expect(value(1, null)).toBe("—");
    const xAxis = spec.opts.axes![0]!;
    expect((xAxis.values as (u: uPlot, s: number[]) => string[])({} as uPlot, [0, 1])).toEqual(["2026-09", "2026-10"]);
    const yAxis = spec.opts.axes![1]!;
    expect((yAxis.values as (u: uPlot, s: number[]) => string[])({} as uPlot, [0, 150000000])).toEqual(["0", "150,000,000"]);
  });
});

describe("monthParts", () => {
  it("shows an open month's events and exceptions, an approved one's outbox states", () => {
    const open = monthSummary();
    expect(monthParts(open, null).map((p) => [p.key, p.count])).toEqual([["draft", open.totals.events], ["exceptions", open.exceptions.length]]);
    const approved = { ...open, status: "approved" as const };
    const c = { ...stateCounts(), queued: 2, sent: 5, rejected: 1 };
    expect(monthParts(approved, c).map((p) => [p.key, p.count])).toEqual([["queued", 2], ["sending", 0], ["sent", 5], ["rejected", 1], ["uncertain", 0]]);
  });
});
