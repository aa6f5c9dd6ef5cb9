// Column mappings: for a CSV that is neither Stripe's nor PayPal's (Paddle, Braintree, a bank),
// a named mapping says which column is what. Load one from a file (or edit a saved one),
// preview what it reads from a sample export, then save it; list and remove saved ones.
import { useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { MappingPreview } from "../../bindings/MappingPreview";
import { baseName, formatAmount, formatTimestamp } from "../../format";
import { FieldError, LoadState, plural, RemoveButton, useLoaded } from "./common";

type Chooser = () => Promise<string | null>;

export function ColumnMappings(props: { chooseMappingFile?: Chooser; chooseSampleFile?: Chooser }) {
  const saved = useLoaded(api.listColumnMappings);
  const chooseMapping = props.chooseMappingFile ?? (() => api.chooseFile("Load a column mapping", { name: "Column mapping (TOML)", extensions: ["toml", "TOML"] }));
  const chooseSample = props.chooseSampleFile ?? (() => api.chooseFile("Choose a sample export", { name: "CSV export", extensions: ["csv", "CSV"] }));
  const [name, setName] = useState("");
  const [toml, setToml] = useState("");
  const [sample, setSample] = useState("");
  const [errors, setErrors] = useState<{ name?: string; toml?: string; sample?: string; form?: string }>({});
  const [preview, setPreview] = useState<MappingPreview | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<"load" | "preview" | "save" | null>(null);
  const ids = { name: useId(), toml: useId(), sample: useId(), nameErr: useId(), tomlErr: useId(), sampleErr: useId(), formErr: useId() };

  function required(withSample: boolean) {
    const e = {
      name: name.trim() === "" ? "Name the mapping: it is how imports refer to it (letters, digits, - and _)." : undefined,
      toml: toml.trim() === "" ? "Load the mapping from a file, or write it here." : undefined,
      sample: withSample && sample.trim() === "" ? "Choose a sample export to preview." : undefined,
    };
    setErrors(e);
    return !e.name && !e.toml && !e.sample;
  }

  async function loadFile() {
    setNotice(null);
    let chosen: string | null;
    try {
      chosen = await chooseMapping();
    } catch (e) {
      setErrors({ form: `The file chooser could not be opened: ${api.errorMessage(e)}` });
      return;
    }
    if (!chosen) return;
    setBusy("load");
    try {
      setToml(await api.readMappingFile(chosen));
      if (name.trim() === "") setName(baseName(chosen).replace(/\.toml$/i, "").replace(/[^A-Za-z0-9_-]/g, "-"));
      setErrors({});
      setPreview(null);
    } catch (e) {
      setErrors({ toml: api.errorMessage(e) });
    } finally {
      setBusy(null);
    }
  }

  async function chooseSampleFile() {
    try {
      const chosen = await chooseSample();
      if (chosen) setSample(chosen);
    } catch (e) {
      setErrors({ form: `The file chooser could not be opened: ${api.errorMessage(e)}` });
    }
  }

  async function runPreview(e?: FormEvent) {
    e?.preventDefault();
    setNotice(null);
    setPreview(null);
    if (!required(true)) return;
    setBusy("preview");
    try {
      setPreview(await api.previewColumnMapping(name.trim(), toml, sample.trim()));
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(null);
    }
  }

  async function save() {
    setNotice(null);
    if (!required(false)) return;
    setBusy("save");
    try {
      saved.set(await api.saveColumnMapping(name.trim(), toml));
      setNotice(`Mapping “${name.trim()}” saved: files with its columns are recognised from their header when you import them.`);
      setErrors({});
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(null);
    }
  }

  async function edit(n: string) {
    setNotice(null);
    try {
      setToml(await api.columnMapping(n));
      setName(n);
      setPreview(null);
      setErrors({});
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    }
  }

  async function remove(n: string) {
    setNotice(null);
    try {
      saved.set(await api.removeColumnMapping(n));
      setNotice(`Mapping “${n}” removed. The rows imported with it stay in the ledger.`);
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    }
  }

  return (
    <>
      <section className="card" aria-labelledby="mappings-title">
        <div className="card-head">
          <h2 id="mappings-title">Saved column mappings</h2>
        </div>
        {saved.data === null ? (
          <LoadState error={saved.error} what="The mappings" />
        ) : saved.data.length === 0 ? (
          <div className="empty small-empty" data-testid="mappings-empty">
            <p className="empty-title">No column mapping yet</p>
            <p className="muted">Only needed for exports other than Stripe’s and PayPal’s: add one below.</p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="mappings-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Saved</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {saved.data.map((m) => (
                  <tr key={m.name}>
                    <td>
                      <code>{m.name}</code>
                    </td>
                    <td className="muted small">
                      {formatTimestamp(m.saved_at)} by {m.saved_by}
                    </td>
                    <td className="actions">
                      <button type="button" className="secondary" onClick={() => void edit(m.name)} aria-label={`Edit mapping ${m.name}`}>
                        Edit
                      </button>{" "}
                      <RemoveButton what={`mapping ${m.name}`} onRemove={() => remove(m.name)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {notice && (
          <p className="message ok-quiet" role="status">
            {notice}
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="mapping-edit-title" aria-busy={busy !== null}>
        <div className="card-head">
          <h2 id="mapping-edit-title">Add or change a mapping</h2>
          <button type="button" className="secondary" onClick={() => void loadFile()} disabled={busy !== null} data-testid="mapping-load">
            Load from file…
          </button>
        </div>
        <form className="mapping-form" onSubmit={runPreview} noValidate>
          <div className="field">
            <label htmlFor={ids.name}>Name</label>
            <input
              id={ids.name}
              type="text"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="paddle"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.name !== undefined}
              aria-describedby={errors.name ? ids.nameErr : undefined}
              data-testid="mapping-name"
            />
            <FieldError id={ids.nameErr} message={errors.name ?? null} />
          </div>
          <div className="field full">
            <label htmlFor={ids.toml}>Mapping (TOML)</label>
            <textarea
              id={ids.toml}
              className="code-area"
              rows={9}
              value={toml}
              onChange={(e) => setToml(e.target.value)}
              spellCheck={false}
              placeholder={'id = "Transaction ID"\ndate = "Date"\ndate_format = "%Y-%m-%d"\namount = "Gross"\ncurrency = "Currency"'}
              aria-invalid={errors.toml !== undefined}
              aria-describedby={errors.toml ? ids.tomlErr : undefined}
              data-testid="mapping-toml"
            />
            <FieldError id={ids.tomlErr} message={errors.toml ?? null} />
          </div>
          <div className="field grow">
            <label htmlFor={ids.sample}>Sample export to preview</label>
            <input
              id={ids.sample}
              type="text"
              value={sample}
              onChange={(e) => setSample(e.target.value)}
              placeholder="/path/to/export.csv"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.sample !== undefined}
              aria-describedby={errors.sample ? ids.sampleErr : undefined}
              data-testid="mapping-sample"
            />
            <FieldError id={ids.sampleErr} message={errors.sample ?? null} />
          </div>
          <button type="button" className="secondary" onClick={() => void chooseSampleFile()} disabled={busy !== null}>
            Choose sample…
          </button>
          <button type="submit" className="secondary" disabled={busy !== null} data-testid="mapping-preview">
            {busy === "preview" ? "Reading…" : "Preview"}
          </button>
          <button type="button" className="primary" onClick={() => void save()} disabled={busy !== null} data-testid="mapping-save">
            {busy === "save" ? "Saving…" : "Save mapping"}
          </button>
        </form>
        <FieldError id={ids.formErr} message={errors.form ?? null} />
        {preview && <PreviewResult preview={preview} />}
      </section>
    </>
  );
}

function PreviewResult({ preview }: { preview: MappingPreview }) {
  const bad = preview.rows_failed > 0;
  return (
    <div className={`result ${bad ? "refused" : "ok"}`} data-testid="mapping-preview-result">
      <p className="headline">
        {baseName(preview.file)}: {plural(preview.rows_read, "row")} read, {plural(preview.rows_ok, "good row")}
        {bad ? `, ${plural(preview.rows_failed, "bad row")} (an import of this file would be refused)` : ""}.
      </p>
      <p className="muted small">
        {preview.kinds.map((k) => `${k.kind}: ${k.rows}`).join(" · ")} · numbers with a decimal {preview.number_style}. Nothing was
        saved or imported.
      </p>
      {preview.rows.length > 0 && (
        <div className="table-wrap preview-wrap">
          <table className="table preview-table" aria-label="What the mapping reads">
            <thead>
              <tr>
                <th scope="col" className="num">Line</th>
                <th scope="col">Kind</th>
                <th scope="col">Id</th>
                <th scope="col">Date (UTC)</th>
                <th scope="col">Currency</th>
                <th scope="col" className="num">Gross</th>
                <th scope="col" className="num">Fee</th>
                <th scope="col" className="num">Net</th>
                <th scope="col">Instance</th>
                <th scope="col">Customer</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((r) => (
                <tr key={r.line}>
                  <td className="num">{r.line}</td>
                  <td title={r.skip_reason ?? undefined}>{r.kind}</td>
                  <td>{r.source_id}</td>
                  <td>{formatTimestamp(r.occurred_at)}</td>
                  <td>{r.currency}</td>
                  <td className="num">{formatAmount(r.gross)}</td>
                  <td className="num">{formatAmount(r.fee)}</td>
                  <td className="num">{formatAmount(r.net)}</td>
                  <td>{r.instance ?? "—"}</td>
                  <td>{r.customer ?? "—"}</td>
                  <td>{r.type_name ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {preview.errors.length > 0 && (
        <>
          <h3 className="section-title">Bad rows{preview.rows_failed > preview.errors.length ? ` (the first ${preview.errors.length})` : ""}</h3>
          <table className="table rejected" data-testid="mapping-preview-errors">
            <thead>
              <tr>
                <th scope="col" className="num">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {preview.errors.map((e) => (
                <tr key={`${e.line}|${e.column ?? ""}`}>
                  <td className="num">{e.line}</td>
                  <td>{e.column ?? "—"}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
