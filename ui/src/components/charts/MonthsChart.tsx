import { useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import type { MonthPoint } from "../../bindings/MonthPoint";
import { formatAmount, formatCount } from "../../format";
import { EChart, escapeHtml, type ChartOption } from "./EChart";

/** How many months the chart shows at most (the newest). */
export const SERIES_MONTHS = 12;

/** A bar's length from Rust's decimal string: drawing only, never a shown amount. */
function length(s: string): number {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
}

/**
 * The chart of gross and Wix share month by month. The bars are sized from the amounts; every
 * figure shown (axis aside) is the engine's string, grouped by thousands.
 */
export function monthsOption(points: MonthPoint[]): ChartOption {
  const tip = (i: number) => {
    const p = points[i];
    if (!p) return "";
    return [
      `<strong>${escapeHtml(p.month)}</strong> (${escapeHtml(p.status)})`,
      `Gross ${escapeHtml(formatAmount(p.gross))} USD`,
      `Wix share ${escapeHtml(formatAmount(p.wix_share))} USD`,
      `${escapeHtml(formatCount(p.events))} events${p.exceptions > 0 ? `, ${escapeHtml(formatCount(p.exceptions))} exceptions` : ""}`,
    ].join("<br/>");
  };
  return {
    animation: false,
    grid: { left: 64, right: 16, top: 32, bottom: 28 },
    legend: { top: 0, data: ["Gross", "Wix share"] },
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: (params: unknown) => {
        const first = Array.isArray(params) ? (params[0] as { dataIndex?: number } | undefined) : (params as { dataIndex?: number });
        return tip(first?.dataIndex ?? -1);
      },
    },
    xAxis: { type: "category", data: points.map((p) => p.month) },
    yAxis: { type: "value", axisLabel: { formatter: (v: number) => formatAmount(String(Math.round(v))) } },
    series: [
      { name: "Gross", type: "bar", data: points.map((p) => length(p.gross)), itemStyle: { color: "#0f766e" } },
      { name: "Wix share", type: "bar", data: points.map((p) => length(p.wix_share)), itemStyle: { color: "#d97706" } },
    ],
  };
}

/** Gross and Wix share of the last months, asked of the engine (`refresh` asks again). */
export function MonthsChart({ refresh }: { refresh: number }) {
  const [points, setPoints] = useState<MonthPoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api.monthSeries(SERIES_MONTHS).then(
      (p) => {
        if (!current) return;
        setPoints(p);
        setError(null);
      },
      (e: unknown) => {
        if (current) setError(api.errorMessage(e));
      },
    );
    return () => {
      current = false;
    };
  }, [refresh]);
  const option = useMemo(() => monthsOption(points ?? []), [points]);
  if (error !== null) {
    return (
      <p className="message error" role="alert">
        The month-by-month chart could not be drawn: {error}
      </p>
    );
  }
  if (points === null) {
    return (
      <p className="muted small" aria-busy="true">
        Summing the months…
      </p>
    );
  }
  if (points.length === 0) return null;
  return (
    <figure className="chart" data-testid="months-chart">
      <figcaption>Gross and Wix share, month by month (USD)</figcaption>
      <EChart option={option} height={200} label="Gross and Wix share month by month" testId="months-chart-canvas" />
      <table className="sr-only" aria-label="Gross and Wix share month by month">
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col">Status</th>
            <th scope="col">Gross</th>
            <th scope="col">Wix share</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.month} data-month={p.month}>
              <td>{p.month}</td>
              <td>{p.status}</td>
              <td data-value={p.gross}>{formatAmount(p.gross)}</td>
              <td data-value={p.wix_share}>{formatAmount(p.wix_share)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
