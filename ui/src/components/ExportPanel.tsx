import { useId, useState } from "react";
import * as api from "../api";
import type { ExportKind } from "../bindings/ExportKind";

const EXPORTS: Array<{ kind: ExportKind; label: string; title: string }> = [
  { kind: "wix", label: "Wix report CSV…", title: "Save the Wix Partner Billed report" },
  { kind: "instances", label: "Instance summary CSV…", title: "Save the instance summary" },
  { kind: "events", label: "Event lines CSV…", title: "Save the event lines" },
];

/** `2026-10` → `2026-Q4`. */
export function quarterOf(month: string): string | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return null;
  const n = Number(m[2]);
  return n >= 1 && n <= 12 ? `${m[1]}-Q${Math.ceil(n / 3)}` : null;
}

/**
 * The month's (or its quarter's) CSV exports, each saved where the operator chooses in the
 * system's save dialog, written by the engine (the same bytes as the command line's).
 */
export function ExportPanel({ month }: { month: string }) {
  const quarter = quarterOf(month);
  const [period, setPeriod] = useState<"month" | "quarter">("month");
  const [excel, setExcel] = useState(false);
  const [busy, setBusy] = useState<ExportKind | null>(null);
  const [done, setDone] = useState<{ ok: boolean; text: string } | null>(null);
  const ids = { period: useId(), excel: useId() };
  const label = period === "quarter" && quarter ? quarter : month;

  async function save(kind: ExportKind, title: string) {
    if (busy) return;
    setBusy(kind);
    setDone(null);
    try {
      const name = await api.exportFileName(label, kind);
      const path = await api.chooseSavePath(title, name);
      if (path === null) return;
      const written = await api.exportCsv(label, kind, path, excel);
      setDone({ ok: true, text: `Saved ${written}` });
    } catch (e) {
      setDone({ ok: false, text: `The export was not saved: ${api.errorMessage(e)}` });
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="export-panel" role="group" aria-label="Exports" data-testid="exports">
      <span className="export-title">Export</span>
      {quarter && (
        <div className="field inline">
          <label htmlFor={ids.period}>Period</label>
          <select id={ids.period} value={period} onChange={(e) => setPeriod(e.target.value as "month" | "quarter")} data-testid="export-period">
            <option value="month">{month}</option>
            <option value="quarter">the quarter {quarter}</option>
          </select>
        </div>
      )}
      {EXPORTS.map((x) => (
        <button key={x.kind} type="button" className="secondary" disabled={busy !== null} onClick={() => void save(x.kind, x.title)} data-testid={`export-${x.kind}`}>
          {busy === x.kind ? "Saving…" : x.label}
        </button>
      ))}
      <div className="field checkbox">
        <input id={ids.excel} type="checkbox" checked={excel} onChange={(e) => setExcel(e.target.checked)} />
        <label htmlFor={ids.excel}>For Excel</label>
      </div>
      {done && (
        <p className={`message ${done.ok ? "ok" : "error"} full`} role={done.ok ? "status" : "alert"} data-testid="export-done">
          {done.text}
        </p>
      )}
    </div>
  );
}
