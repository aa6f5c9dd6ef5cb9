import type { MonthSummary } from "../../bindings/MonthSummary";
import type { StateCounts } from "../../bindings/StateCounts";
import { formatCount } from "../../format";

/** One part of the month's bar: a name, how many, its colour. */
export interface Part {
  key: string;
  label: string;
  count: number;
}

/**
 * A month at a glance, as counts the engine gave: while open, its events and the rows that
 * block approval; once approved, its events by outbox state (queued, sent, rejected, ...).
 */
export function monthParts(summary: MonthSummary, counts: StateCounts | null): Part[] {
  const exceptions = summary.exceptions.length;
  if (summary.status === "open" || counts === null) {
    return [
      { key: "draft", label: "Events ready", count: summary.totals.events },
      { key: "exceptions", label: "Exceptions", count: exceptions },
    ];
  }
  return [
    { key: "queued", label: "Queued", count: counts.queued },
    { key: "sending", label: "Sending", count: counts.sending },
    { key: "sent", label: "Sent", count: counts.sent },
    { key: "rejected", label: "Rejected", count: counts.rejected },
    { key: "uncertain", label: "Uncertain", count: counts.uncertain },
  ];
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

/**
 * The month at a glance: its steps, and one bar of its events by state (a single bar, drawn
 * here: each part's length is its share of the counts).
 */
export function MonthStateChart({ summary, counts }: { summary: MonthSummary; counts: StateCounts | null }) {
  const parts = monthParts(summary, counts).filter((p) => p.count > 0);
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
      {parts.length > 0 && (
        <>
          <div className="state-bar" role="img" aria-label={parts.map((p) => `${p.label} ${formatCount(p.count)}`).join(", ")} data-testid="month-state-bar">
            {parts.map((p) => (
              <span key={p.key} className={`state-part part-${p.key}`} style={{ flexGrow: p.count }} title={`${p.label}: ${formatCount(p.count)}`} />
            ))}
          </div>
          <ul className="state-legend">
            {parts.map((p) => (
              <li key={p.key} data-part={p.key}>
                <span className={`swatch part-${p.key}`} aria-hidden="true" /> {p.label} <strong>{formatCount(p.count)}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </figure>
  );
}
