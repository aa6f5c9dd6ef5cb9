import { useEffect, useMemo, useState } from "react";
import * as api from "../../api";
import type { MonthPoint } from "../../bindings/MonthPoint";
import { formatAmount } from "../../format";
import { uPlot, UPlotChart, type ChartSpec } from "./UPlotChart";

/** How many months the chart shows at most (the newest). */
export const SERIES_MONTHS = 12;

/** A bar's length from Rust's decimal string: drawing only, never a shown amount. */
function length(s: string): number {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
}

const GROSS = "#0f766e";
const SHARE = "#d97706";

/**
 * Gross and Wix share month by month, as bars side by side. The bars are sized from the
 * amounts; the values the legend shows under the cursor are the engine's strings, grouped.
 */
export function monthsSpec(points: MonthPoint[]): ChartSpec {
  const at = (idx: number | null | undefined) => (idx === null || idx === undefined ? undefined : points[idx]);
  const bars = (align: -1 | 1) => uPlot.paths.bars!({ size: [0.36, 36], align, gap: 1 });
  return {
    opts: {
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: [-0.6, Math.max(0, points.length - 1) + 0.6] } },
      axes: [
        { splits: () => points.map((_, i) => i), values: (_u, splits) => splits.map((i) => at(i)?.month ?? "") },
        { size: 86, values: (_u, vals) => vals.map((v) => formatAmount(String(Math.round(v)))) },
      ],
      series: [
        { label: "Month", value: (_u, _v, _s, idx) => at(idx)?.month ?? "—" },
        { label: "Gross (USD)", stroke: GROSS, fill: GROSS, width: 0, paths: bars(-1), points: { show: false }, value: (_u, _v, _s, idx) => formatAmount(at(idx)?.gross ?? "—") },
        { label: "Wix share (USD)", stroke: SHARE, fill: SHARE, width: 0, paths: bars(1), points: { show: false }, value: (_u, _v, _s, idx) => formatAmount(at(idx)?.wix_share ?? "—") },
      ],
    },
    data: [points.map((_, i) => i), points.map((p) => length(p.gross)), points.map((p) => length(p.wix_share))],
  };
}

/** The last series the engine gave, and the version of the ledger it was asked for. */
export interface SeriesCache {
  current: { version: number; points: MonthPoint[] } | null;
}

/**
 * Gross and Wix share of the last months, asked of the engine once per `version` (a new
 * version when the ledger may have changed; looking at another month asks nothing: the answer
 * is kept in `cache`, which outlives the chart).
 */
export function MonthsChart({ version, cache }: { version: number; cache: SeriesCache }) {
  const [points, setPoints] = useState<MonthPoint[] | null>(() => (cache.current?.version === version ? cache.current.points : null));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const kept = cache.current;
    if (kept?.version === version) {
      setPoints(kept.points);
      return;
    }
    let current = true;
    api.monthSeries(SERIES_MONTHS).then(
      (p) => {
        cache.current = { version, points: p };
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
  }, [version, cache]);
  const spec = useMemo(() => monthsSpec(points ?? []), [points]);
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
      <UPlotChart spec={spec} height={190} label="Gross and Wix share month by month" testId="months-chart-canvas" />
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
