// The FX table: imported from a file (`date,currency,usd_per_unit`), whole or not at all, and
// summed up by currency.
import { useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { FxImportReport } from "../../bindings/FxImportReport";
import { baseName, formatAmount, formatCount } from "../../format";
import { FieldError, LoadState, plural, useLoaded } from "./common";

export function FxTable(props: { chooseFile?: () => Promise<string | null> }) {
  const summary = useLoaded(api.fxSummary);
  const choose = props.chooseFile ?? (() => api.chooseFile("Import an FX table", { name: "FX table (CSV)", extensions: ["csv", "CSV"] }));
  const [path, setPath] = useState("");
  const [report, setReport] = useState<FxImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { path: useId(), err: useId(), help: useId() };

  async function run(p: string) {
    setReport(null);
    setError(null);
    if (p.trim() === "") {
      setError("Choose the FX table file, or type its path.");
      return;
    }
    setBusy(true);
    try {
      const r = await api.importFx(p.trim());
      setReport(r);
      if (r.rejected.length === 0) await summary.reload();
    } catch (e) {
      setError(api.errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function onChoose() {
    let chosen: string | null;
    try {
      chosen = await choose();
    } catch (e) {
      setError(`The file chooser could not be opened: ${api.errorMessage(e)}`);
      return;
    }
    if (chosen) {
      setPath(chosen);
      await run(chosen);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void run(path);
  }

  return (
    <section className="card" aria-labelledby="fx-title" aria-busy={busy}>
      <div className="card-head">
        <h2 id="fx-title">FX table</h2>
        <button type="button" className="primary" onClick={() => void onChoose()} disabled={busy} data-testid="fx-choose">
          Import FX table…
        </button>
      </div>
      <form className="setup-form" onSubmit={onSubmit} noValidate aria-describedby={ids.help}>
        <div className="field grow">
          <label htmlFor={ids.path}>File path</label>
          <input
            id={ids.path}
            type="text"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/path/to/fx.csv"
            spellCheck={false}
            autoComplete="off"
            disabled={busy}
            aria-invalid={error !== null}
            aria-describedby={error ? ids.err : undefined}
            data-testid="fx-path"
          />
        </div>
        <button type="submit" className="secondary" disabled={busy}>
          {busy ? "Importing…" : "Import"}
        </button>
        <p id={ids.help} className="muted small full">
          A CSV with the header <code>date,currency,usd_per_unit</code> (dates YYYY-MM-DD). Needed only for payments settled in
          another currency than USD: an event uses the latest rate on or before its date, at most 7 days old. A rate for a date
          and currency already in the table replaces it; a file with any bad line imports nothing.
        </p>
      </form>
      <FieldError id={ids.err} message={error} />
      {report && report.rejected.length === 0 && (
        <p className="message ok-quiet" role="status">
          Imported {plural(report.rates, "rate")} from {baseName(report.file)}.
        </p>
      )}
      {report && report.rejected.length > 0 && (
        <div className="result refused" role="alert" data-testid="fx-rejected">
          <p className="headline">
            {baseName(report.file)} was refused: {plural(report.rejected.length, "bad line")}, nothing imported. Fix them and import
            the file again.
          </p>
          <table className="table rejected">
            <thead>
              <tr>
                <th scope="col" className="num">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {report.rejected.map((r) => (
                <tr key={`${r.line}|${r.column ?? ""}`}>
                  <td className="num">{r.line}</td>
                  <td>{r.column ?? "—"}</td>
                  <td>{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="section-title">In the table</h3>
      {summary.data === null ? (
        <LoadState error={summary.error} what="The FX table" />
      ) : summary.data.length === 0 ? (
        <div className="empty small-empty" data-testid="fx-empty">
          <p className="empty-title">No FX rates yet</p>
          <p className="muted">Only needed when a processor settles in another currency than USD.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="fx-summary">
            <thead>
              <tr>
                <th scope="col">Currency</th>
                <th scope="col" className="num">Rates</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col" className="num">Latest (USD per unit)</th>
              </tr>
            </thead>
            <tbody>
              {summary.data.map((c) => (
                <tr key={c.currency}>
                  <td>{c.currency}</td>
                  <td className="num">{formatCount(c.rates)}</td>
                  <td>{c.first}</td>
                  <td>{c.last}</td>
                  <td className="num">{formatAmount(c.last_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
