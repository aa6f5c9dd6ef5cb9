import { useMemo } from "react";
import type { MonthSummary } from "../../bindings/MonthSummary";
import type { StateCounts } from "../../bindings/StateCounts";
import { formatCount } from "../../format";
import { EChart, escapeHtml, type ChartOption } from "./EChart";

/** One part of the month's bar: a name, how many, its colour. */
export interface Part {
  key: string;
  label: string;
  count: number;
  color: string;
}

/**
 * A month at a glance, as counts the engine gave: while open, its events and the rows that
 * block approval; once approved, its events by outbox state (queued, sent, rejected, ...).
 */
export function monthParts(summary: MonthSummary, counts: StateCounts | null): Part[] {
  const exceptions = summary.exceptions.length;
  if (summary.status === "open" || counts === null) {
    return [
      { key: "draft", label: "Events ready", count: summary.totals.events, color: "#0f766e" },
      { key: "exceptions", label: "Exceptions", count: exceptions, color: "#b42318" },
    ];
  }
  return [
    { key: "queued", label: "Queued", count: counts.queued, color: "#64748b" },
    { key: "sending", label: "Sending", count: counts.sending, color: "#2563eb" },
    { key: "sent", label: "Sent", count: counts.sent, color: "#0f766e" },
    { key: "rejected", label: "Rejected", count: counts.rejected, color: "#b42318" },
    { key: "uncertain", label: "Uncertain", count: counts.uncertain, color: "#d97706" },
  ];
}

export function stateOption(parts: Part[]): ChartOption {
  const shown = parts.filter((p) => p.count > 0);
  return {
    animation: false,
    grid: { left: 8, right: 8, top: 28, bottom: 4 },
    legend: { top: 0, data: shown.map((p) => p.label) },
    tooltip: {
      trigger: "item",
      formatter: (x: unknown) => {
        const i = (x as { seriesIndex?: number }).seriesIndex ?? -1;
        const p = shown[i];
        return p ? `${escapeHtml(p.label)}: ${escapeHtml(formatCount(p.count))}` : "";
      },
    },
    xAxis: { type: "value", show: false },
    yAxis: { type: "category", data: [""], show: false },
    series: shown.map((p) => ({ name: p.label, type: "bar", stack: "month", data: [p.count], itemStyle: { color: p.color }, barWidth: 22 })),
  };
}

/** The steps of the month's job and where this month is. */
function steps(summary: MonthSummary, counts: StateCounts | null): Array<{ label: string; done: boolean; note: string }> {
  const approved = summary.status !== "open";
  const sent = counts?.sent ?? 0;
  const total = counts ? counts.queued + counts.sending + counts.sent + counts.rejected + counts.uncertain : 0;
  const n = summary.exceptions.length;
  return [
    { label: "Imported", done: summary.totals.events + n > 0, note: `${formatCount(summary.totals.events)} events` },
    { label: "Exceptions fixed", done: n === 0, note: n === 0 ? "none left" : `${formatCount(n)} to fix` },
    { label: "Approved", done: approved, note: approved ? "frozen" : "not yet" },
    { label: "Sent to Wix", done: summary.status === "submitted", note: approved ? `${formatCount(sent)} of ${formatCount(total)}` : "—" },
  ];
}

/** The month at a glance: its steps, and a bar of its events by state. */
export function MonthStateChart({ summary, counts }: { summary: MonthSummary; counts: StateCounts | null }) {
  const parts = monthParts(summary, counts);
  const option = useMemo(() => stateOption(parts), [JSON.stringify(parts)]);
  const any = parts.some((p) => p.count > 0);
  return (
    <figure className="chart month-state" data-testid="month-state">
      <figcaption>{summary.month} at a glance</figcaption>
      <ol className="steps">
        {steps(summary, counts).map((s) => (
          <li key={s.label} className={s.done ? "done" : "todo"} data-step={s.label}>
            <span className="step-mark" aria-hidden="true">
              {s.done ? "✓" : "•"}
            </span>
            <span className="step-label">{s.label}</span> <span className="muted small">{s.note}</span>
          </li>
        ))}
      </ol>
      {any && <EChart option={option} height={64} label={parts.map((p) => `${p.label} ${p.count}`).join(", ")} testId="month-state-canvas" />}
    </figure>
  );
}
