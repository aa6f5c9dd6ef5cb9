import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { FilePreview } from "../bindings/FilePreview";
import type { ImportFileRequest } from "../bindings/ImportFileRequest";
import type { ImportPreview } from "../bindings/ImportPreview";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import { DATE_ORDERS, FORMATS, formatCount, rowsAdded } from "../format";
import { ImportCounts, RejectedRows } from "./ImportResult";

interface Props {
  /** The files were imported (one report per file written): the batches changed. */
  onImported: (reports: ImportReport[]) => void | Promise<void>;
}

type Busy = null | "preview" | "commit";

/** The most rejected rows listed per file (the count says how many more). */
const REJECTED_SHOWN = 200;

/**
 * Import as a reviewable step: files are chosen (dialog), dropped on the window or typed; the
 * engine previews what each would do (nothing written), the operator fixes what it asks
 * (a date order) or removes files, then imports them all — exactly what the preview showed,
 * or nothing if the ledger or a file changed in between (a new preview then shows why).
 */
export function ImportPanel({ onImported }: Props) {
  const [files, setFiles] = useState<ImportFileRequest[]>([]);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [busy, setBusy] = useState<Busy>(null);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [path, setPath] = useState("");
  const [pathError, setPathError] = useState<string | null>(null);
  const [dragOver, setDragOver] = useState(false);
  const ids = { path: useId(), help: useId() };
  // The latest run: an answer to an older one (files changed meanwhile) is dropped.
  const run = useRef(0);
  const busyRef = useRef<Busy>(null);
  busyRef.current = busy;
  const filesRef = useRef(files);
  filesRef.current = files;

  const runPreview = useCallback(async (next: ImportFileRequest[]) => {
    const ticket = ++run.current;
    setFiles(next);
    setPreview(null);
    setError(null);
    if (next.length === 0) {
      setBusy(null);
      return;
    }
    setBusy("preview");
    setProgress(null);
    try {
      const p = await api.previewImports(next, (pr) => {
        if (ticket === run.current) setProgress(pr);
      });
      if (ticket !== run.current) return;
      setPreview(p);
    } catch (e) {
      if (ticket !== run.current) return;
      setError(`The files could not be previewed: ${api.errorMessage(e)}`);
    } finally {
      if (ticket === run.current) {
        setBusy(null);
        setProgress(null);
      }
    }
  }, []);

  const addPaths = useCallback(
    (paths: string[]) => {
      if (busyRef.current === "commit") return;
      const have = new Set(filesRef.current.map((f) => f.path));
      const fresh = paths.map((p) => p.trim()).filter((p) => p !== "" && !have.has(p));
      setNotice(null);
      if (fresh.length === 0) return;
      void runPreview([...filesRef.current, ...fresh.map((p) => ({ path: p, format: null, date_order: null }))]);
    },
    [runPreview],
  );

  // Files dropped on the window join the set.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let gone = false;
    void api.onFilesDropped(addPaths, setDragOver).then((un) => {
      if (gone) un();
      else stop = un;
    });
    return () => {
      gone = true;
      stop?.();
    };
  }, [addPaths]);

  async function choose() {
    setPathError(null);
    try {
      addPaths(await api.chooseCsvFiles());
    } catch (e) {
      setPathError(`The file chooser could not be opened: ${api.errorMessage(e)}`);
    }
  }

  function onAddTyped(e: FormEvent) {
    e.preventDefault();
    const p = path.trim();
    if (p === "") {
      setPathError("Type the path of a CSV export, or use “Choose files…”.");
      return;
    }
    setPathError(null);
    setPath("");
    addPaths([p]);
  }

  function change(i: number, patch: Partial<ImportFileRequest>) {
    void runPreview(files.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  }

  function remove(i: number) {
    setNotice(null);
    void runPreview(files.filter((_, j) => j !== i));
  }

  function clear() {
    run.current += 1;
    setFiles([]);
    setPreview(null);
    setError(null);
    setNotice(null);
    setBusy(null);
  }

  async function commit() {
    if (!preview || busy) return;
    const ticket = ++run.current;
    setBusy("commit");
    setProgress(null);
    setError(null);
    setNotice(null);
    try {
      const reports = await api.commitImports(preview, (pr) => {
        if (ticket === run.current) setProgress(pr);
      });
      if (ticket !== run.current) return;
      setFiles([]);
      setPreview(null);
      setBusy(null);
      await onImported(reports);
    } catch (e) {
      if (ticket !== run.current) return;
      const message = api.errorMessage(e);
      setBusy(null);
      if (/cancelled/.test(message)) {
        setError(`Nothing was imported: ${message}.`);
        return;
      }
      // The ledger or a file changed since the preview: show why, and what it would do now.
      setNotice(message);
      await runPreview(files);
    } finally {
      if (ticket === run.current) setProgress(null);
    }
  }

  const importable = preview?.files.filter(isImportable) ?? [];
  const leftOut = (preview?.files.length ?? 0) - importable.length;

  return (
    <section className={`card import-panel${dragOver ? " drag-over" : ""}`} aria-labelledby="import-title" aria-busy={busy !== null} data-testid="import-panel">
      <div className="card-head">
        <h2 id="import-title">Import processor exports</h2>
        <button type="button" className="primary" onClick={() => void choose()} disabled={busy === "commit"} data-testid="import-choose">
          Choose files…
        </button>
      </div>
      <form className="import-form" onSubmit={onAddTyped}>
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
            aria-invalid={pathError !== null}
            disabled={busy === "commit"}
          />
        </div>
        <button type="submit" className="secondary" data-testid="import-add" disabled={busy === "commit"}>
          Add
        </button>
      </form>
      <p id={ids.help} className="muted small drop-hint">
        Drop Stripe or PayPal CSV exports anywhere on this window, choose them, or type a path and press Enter. Each file is
        previewed first; nothing is written until you import.
      </p>
      {pathError && (
        <p className="message error" role="alert">
          {pathError}
        </p>
      )}
      {notice && (
        <div className="message warn" role="alert" data-testid="import-changed">
          <strong>Not imported.</strong> {notice}
        </div>
      )}
      {error && (
        <p className="message error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
      {files.length > 0 && (
        <div className="import-set" data-testid="import-preview">
          <h3 className="section-title">
            {busy === "preview" ? "Previewing" : preview ? "Preview" : "Files"} — {files.length} {files.length === 1 ? "file" : "files"}
          </h3>
          {files.map((f, i) => (
            <FileCard
              key={`${i}:${f.path}`}
              request={f}
              preview={preview?.files[i] ?? null}
              disabled={busy !== null}
              onChange={(patch) => change(i, patch)}
              onRemove={() => remove(i)}
            />
          ))}
        </div>
      )}
      {busy && <RunProgress busy={busy} progress={progress} />}
      {preview && !busy && files.length > 0 && (
        <div className="import-actions" role="group" aria-label="Import or cancel">
          <button type="button" className="primary" onClick={() => void commit()} disabled={importable.length === 0} data-testid="import-commit">
            {importable.length === 0 ? "Nothing to import" : `Import ${importable.length} ${importable.length === 1 ? "file" : "files"}`}
          </button>
          <button type="button" className="secondary" onClick={clear} data-testid="import-cancel">
            Cancel
          </button>
          {leftOut > 0 && (
            <span className="muted small">
              {leftOut} {leftOut === 1 ? "file is" : "files are"} left out (see above); remove or fix {leftOut === 1 ? "it" : "them"}, or
              import the others.
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function isImportable(f: FilePreview): boolean {
  return f.error === null && f.report !== null && f.report.rejected.length === 0;
}

function RunProgress({ busy, progress }: { busy: Exclude<Busy, null>; progress: ImportProgress | null }) {
  const verb = busy === "preview" ? "Previewing" : "Importing";
  const pct = progress && progress.estimated_rows > 0 ? Math.min(99, Math.floor((progress.rows / progress.estimated_rows) * 100)) : null;
  return (
    <div className="run-progress" data-testid="import-progress">
      <div
        className={`progress${pct !== null ? " determinate" : ""}`}
        role="progressbar"
        aria-label={verb}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        aria-valuetext={progress ? `${progress.file_name}: ${progress.rows} rows` : "Starting"}
      >
        {pct !== null ? <div className="progress-fill" style={{ width: `${pct}%` }} /> : <div className="progress-bar" />}
      </div>
      <p className="muted small" aria-live="polite">
        {progress
          ? `${verb} file ${progress.file + 1} of ${progress.files}, ${progress.file_name}: ${formatCount(progress.rows)} of about ${formatCount(progress.estimated_rows)} rows`
          : `${verb}…`}{" "}
        <button type="button" className="link" onClick={() => void api.cancelImport()} data-testid="import-stop">
          Stop
        </button>
      </p>
    </div>
  );
}

interface FileCardProps {
  request: ImportFileRequest;
  preview: FilePreview | null;
  disabled: boolean;
  onChange: (patch: Partial<ImportFileRequest>) => void;
  onRemove: () => void;
}

function FileCard({ request, preview, disabled, onChange, onRemove }: FileCardProps) {
  const ids = { format: useId(), order: useId() };
  const name = preview?.file_name ?? request.path.split(/[\\/]/).pop() ?? request.path;
  const r = preview?.report ?? null;
  const refused = r !== null && r.rejected.length > 0;
  let headline: string;
  let tone: "ok" | "refused" | "pending" = "ok";
  if (preview === null) {
    headline = "Waiting for the preview…";
    tone = "pending";
  } else if (preview.error !== null) {
    headline = preview.needs_date_order ? "Choose the date order of this file" : "This file cannot be imported";
    tone = "refused";
  } else if (refused) {
    const n = r.rejected.length;
    headline = `Refused: ${n} ${n === 1 ? "row needs" : "rows need"} fixing; the file is left out.`;
    tone = "refused";
  } else if (r === null) {
    headline = "";
  } else if (rowsAdded(r) === 0) {
    headline = "Nothing new: every row is already in the ledger.";
  } else {
    // Every row the import writes, then those of them that are not money of a known type.
    const added = rowsAdded(r);
    const besides = ([
      [r.unclassified, "of a type not known yet"],
      [r.sent, "sent"],
      [r.skipped, "skipped"],
    ] as Array<[number, string]>)
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${formatCount(n)} ${what}`);
    headline = `${formatCount(added)} new ${added === 1 ? "row" : "rows"} to import${besides.length > 0 ? ` (${besides.join(", ")})` : ""}.`;
  }
  const showOrder = preview?.needs_date_order === true || request.date_order !== null;
  const counts: Array<[string, number]> = r
    ? [
        ["Rows read", r.rows_read],
        ["Known types", r.imported],
        ["Duplicates", r.duplicates],
        ["Skipped", r.skipped],
        ["Sent", r.sent],
        ["Unclassified", r.unclassified],
      ]
    : [];
  return (
    <article className={`file-card ${tone}`} data-testid="import-preview-file" data-file={name} aria-label={`Preview of ${name}`}>
      <header className="file-card-head">
        <h4 title={request.path}>
          {name} {r && <span className="tag">{r.format}</span>}
        </h4>
        <div className="file-options">
          <div className="field inline">
            <label htmlFor={ids.format}>Format</label>
            <select id={ids.format} value={request.format ?? ""} onChange={(e) => onChange({ format: e.target.value || null })} disabled={disabled}>
              <option value="">Detect from header</option>
              {FORMATS.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.label}
                </option>
              ))}
            </select>
          </div>
          {showOrder && (
            <div className="field inline">
              <label htmlFor={ids.order}>Date order</label>
              <select
                id={ids.order}
                value={request.date_order ?? ""}
                onChange={(e) => onChange({ date_order: e.target.value || null })}
                disabled={disabled}
                data-testid="import-date-order"
                aria-invalid={preview?.needs_date_order === true}
              >
                <option value="">Choose…</option>
                {DATE_ORDERS.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            </div>
          )}
          <button type="button" className="secondary" onClick={onRemove} disabled={disabled} aria-label={`Remove ${name} from the import`}>
            Remove
          </button>
        </div>
      </header>
      <p className={`headline${tone === "refused" ? " refused-text" : ""}`} role={tone === "refused" ? "alert" : undefined}>
        {headline}
      </p>
      {preview?.error && <p className="message error">{preview.error}</p>}
      {r && (
        <ImportCounts counts={counts}>
          {preview && preview.conflicts > 0 && (
            <div className="has-rejected">
              <dt>Conflicts</dt>
              <dd>{formatCount(preview.conflicts)}</dd>
            </div>
          )}
        </ImportCounts>
      )}
      {preview && preview.skipped.length > 0 && !refused && (
        <p className="small reasons-line">
          <strong>Skipped:</strong> {preview.skipped.map((s) => `${formatCount(s.rows)} × ${s.what || "no reason given"}`).join("; ")}
        </p>
      )}
      {preview && preview.unclassified_types.length > 0 && !refused && (
        <p className="small reasons-line">
          <strong>Types not known yet</strong> (exceptions of their month until classified in the Month view):{" "}
          {preview.unclassified_types.map((u) => `“${u.what}” × ${formatCount(u.rows)}`).join("; ")}
        </p>
      )}
      {r && r.sent > 0 && !refused && <p className="small muted">Sent rows are money the account paid out: kept and shown, never reported to Wix.</p>}
      {refused && (
        <div className="table-wrap rejected-wrap">
          <RejectedRows rows={r.rejected.slice(0, REJECTED_SHOWN)} label={`Rejected rows of ${name}`} />
          {r.rejected.length > REJECTED_SHOWN && (
            <p className="muted small">and {formatCount(r.rejected.length - REJECTED_SHOWN)} more rejected rows.</p>
          )}
        </div>
      )}
    </article>
  );
}
