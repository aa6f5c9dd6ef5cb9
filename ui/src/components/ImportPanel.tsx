import { useId, useState, type FormEvent } from "react";
import type { ImportRequest } from "../api";
import { DATE_ORDERS, FORMATS } from "../format";

interface Props {
  /** Runs one import; the panel is busy until the promise settles. */
  onImport: (req: ImportRequest) => Promise<void>;
  /** Opens the native file chooser; null when cancelled. */
  chooseFile: () => Promise<string | null>;
}

export function ImportPanel({ onImport, chooseFile }: Props) {
  const [path, setPath] = useState("");
  const [format, setFormat] = useState("");
  const [dateOrder, setDateOrder] = useState("");
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [chooserError, setChooserError] = useState<string | null>(null);
  const ids = { path: useId(), format: useId(), dates: useId(), dry: useId(), help: useId() };

  async function run(p: string) {
    if (busy || p.trim() === "") return;
    setBusy(true);
    try {
      await onImport({ path: p.trim(), format: format || undefined, dateOrder: dateOrder || undefined, dryRun });
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void run(path);
  }

  async function onChoose() {
    setChooserError(null);
    let chosen: string | null;
    try {
      chosen = await chooseFile();
    } catch (e) {
      setChooserError(typeof e === "string" ? e : "The file chooser could not be opened.");
      return;
    }
    if (chosen) {
      setPath(chosen);
      await run(chosen);
    }
  }

  return (
    <section className="card" aria-labelledby="import-title" aria-busy={busy}>
      <div className="card-head">
        <h2 id="import-title">Import a processor export</h2>
        <button type="button" className="primary" onClick={() => void onChoose()} disabled={busy}>
          Import file…
        </button>
      </div>
      <form className="import-form" onSubmit={onSubmit}>
        <div className="field grow">
          <label htmlFor={ids.path}>File path</label>
          <input
            id={ids.path}
            name="path"
            type="text"
            data-testid="import-path"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/path/to/export.csv"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={ids.help}
            disabled={busy}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.format}>Format</label>
          <select
            id={ids.format}
            name="format"
            value={format}
            onChange={(e) => setFormat(e.target.value)}
            disabled={busy}
          >
            <option value="">Detect from header</option>
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.dates}>Dates</label>
          <select
            id={ids.dates}
            name="dateOrder"
            value={dateOrder}
            onChange={(e) => setDateOrder(e.target.value)}
            disabled={busy}
            title="Only needed when a file's slash dates cannot tell day from month"
          >
            <option value="">Decide from the file</option>
            {DATE_ORDERS.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field checkbox">
          <input
            id={ids.dry}
            name="dryRun"
            type="checkbox"
            checked={dryRun}
            onChange={(e) => setDryRun(e.target.checked)}
            disabled={busy}
          />
          <label htmlFor={ids.dry}>Dry run</label>
        </div>
        <button type="submit" className="primary" data-testid="import-submit" disabled={busy || path.trim() === ""}>
          {busy ? "Importing…" : "Import"}
        </button>
      </form>
      <p id={ids.help} className="muted small">
        Stripe or PayPal CSV export. A dry run checks the file and imports nothing. A file with any
        invalid row is refused whole.
      </p>
      {busy && (
        <div className="progress" role="progressbar" aria-label="Importing" data-testid="import-progress">
          <div className="progress-bar" />
        </div>
      )}
      {chooserError && (
        <p className="message error" role="alert">
          {chooserError}
        </p>
      )}
    </section>
  );
}
