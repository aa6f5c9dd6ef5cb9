// Type classifications: money that came in under a type the importer does not know is an
// exception until its type is classified once for its source (charge, refund or ignore). The
// types waiting, the saved rules (removable), and a form for a type not seen yet.
import { useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { ClassifyOutcome } from "../../bindings/ClassifyOutcome";
import type { UnclassifiedType } from "../../bindings/UnclassifiedType";
import { formatTimestamp, FORMATS } from "../../format";
import { FieldError, LoadState, plural, RemoveButton, useLoaded } from "./common";

const ACTIONS: ReadonlyArray<{ id: api.Classification; label: string }> = [
  { id: "charge", label: "Charge (money in)" },
  { id: "refund", label: "Refund (money out)" },
  { id: "ignore", label: "Ignore (not revenue)" },
];

/** What a saved or removed rule did, in words. */
export function outcomeText(o: ClassifyOutcome): string {
  const parts: string[] = [];
  if (o.rule && o.classified > 0) parts.push(`${plural(o.classified, "row")} classified as ${o.rule.action}`);
  if (o.disagreeing > 0) parts.push(`${plural(o.disagreeing, "row")} whose money goes the other way stay${o.disagreeing === 1 ? "s" : ""} an exception`);
  if (o.unclassified > 0) parts.push(`${plural(o.unclassified, "row")} unclassified again`);
  if (o.frozen > 0) parts.push(`${plural(o.frozen, "row")} of approved months left as ${o.frozen === 1 ? "it was" : "they were"}`);
  if (parts.length > 0) return `${parts.join("; ")}.`;
  return o.rule ? "No row of the ledger has this type yet; later imports use the rule." : "No row of the ledger had this type.";
}

export function Classifications() {
  const rules = useLoaded(api.listClassifications);
  const waiting = useLoaded(api.unclassifiedTypes);
  const mappings = useLoaded(api.listColumnMappings);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function after(o: ClassifyOutcome, what: string) {
    setNotice(`${what}: ${outcomeText(o)}`);
    setError(null);
    await Promise.all([rules.reload(), waiting.reload()]);
  }

  async function classify(t: UnclassifiedType, action: api.Classification) {
    setNotice(null);
    setBusy(`${t.source}|${t.type_name}`);
    try {
      await after(await api.classifyType(t.source, t.type_name, action), `“${t.type_name}” (${t.source})`);
    } catch (e) {
      setError(api.errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function remove(source: string, typeName: string) {
    setNotice(null);
    try {
      await after(await api.removeClassification(source, typeName), `Rule for “${typeName}” (${source}) removed`);
    } catch (e) {
      setError(api.errorMessage(e));
    }
  }

  const sources = [...FORMATS.map((f) => f.id), ...(mappings.data ?? []).map((m) => `mapped:${m.name}`)];

  return (
    <>
      <section className="card" aria-labelledby="waiting-title">
        <div className="card-head">
          <h2 id="waiting-title">Unknown types waiting</h2>
        </div>
        {waiting.data === null ? (
          <LoadState error={waiting.error} what="The unknown types" />
        ) : waiting.data.length === 0 ? (
          <div className="empty small-empty" data-testid="waiting-empty">
            <p className="empty-title">No unknown type is waiting</p>
            <p className="muted">Money that comes in under a type Partner Ledger does not know shows up here until you classify it.</p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="waiting-table">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Type</th>
                  <th scope="col" className="num">Rows</th>
                  <th scope="col">Classify as</th>
                </tr>
              </thead>
              <tbody>
                {waiting.data.map((t) => (
                  <tr key={`${t.source}|${t.type_name}`}>
                    <td>{t.source}</td>
                    <td>{t.type_name}</td>
                    <td className="num">{t.rows}</td>
                    <td className="actions">
                      <span className="classify-actions">
                        {ACTIONS.map((a) => (
                          <button
                            key={a.id}
                            type="button"
                            className="secondary"
                            disabled={busy !== null}
                            onClick={() => void classify(t, a.id)}
                            aria-label={`Classify ${t.type_name} (${t.source}) as ${a.id}`}
                          >
                            {a.id === "charge" ? "Charge" : a.id === "refund" ? "Refund" : "Ignore"}
                          </button>
                        ))}
                      </span>
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
        {error && (
          <p className="message error" role="alert">
            {error}
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="rules-title">
        <div className="card-head">
          <h2 id="rules-title">Saved classifications</h2>
        </div>
        {rules.data === null ? (
          <LoadState error={rules.error} what="The classifications" />
        ) : rules.data.length === 0 ? (
          <div className="empty small-empty" data-testid="rules-empty">
            <p className="empty-title">No classification yet</p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="rules-table">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Type</th>
                  <th scope="col">As</th>
                  <th scope="col">Saved</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.data.map((r) => (
                  <tr key={`${r.source}|${r.type_name}`}>
                    <td>{r.source}</td>
                    <td>{r.type_name}</td>
                    <td>{r.action}</td>
                    <td className="muted small">
                      {formatTimestamp(r.saved_at)} by {r.saved_by}
                    </td>
                    <td className="actions">
                      <RemoveButton what={`the rule for ${r.type_name} (${r.source})`} question="Remove?" onRemove={() => remove(r.source, r.type_name)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <RuleForm sources={sources} onSaved={after} />
      </section>
    </>
  );
}

function RuleForm(props: { sources: string[]; onSaved: (o: ClassifyOutcome, what: string) => Promise<void> }) {
  const [source, setSource] = useState("paypal-activity");
  const [typeName, setTypeName] = useState("");
  const [action, setAction] = useState<api.Classification>("charge");
  const [errors, setErrors] = useState<{ type?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const ids = { source: useId(), type: useId(), action: useId(), typeErr: useId(), formErr: useId() };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (typeName.trim() === "") {
      setErrors({ type: "Type the processor’s type as it appears in its files (case does not matter)." });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const o = await api.classifyType(source, typeName.trim(), action);
      await props.onSaved(o, `“${typeName.trim()}” (${source}) saved`);
      setTypeName("");
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="setup-form" onSubmit={onSubmit} noValidate aria-label="Classify a type">
      <div className="field">
        <label htmlFor={ids.source}>Source</label>
        <select id={ids.source} value={source} onChange={(e) => setSource(e.target.value)} data-testid="rule-source">
          {props.sources.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field grow">
        <label htmlFor={ids.type}>Type</label>
        <input
          id={ids.type}
          type="text"
          value={typeName}
          onChange={(e) => setTypeName(e.target.value)}
          placeholder="General Payment"
          autoComplete="off"
          aria-invalid={errors.type !== undefined}
          aria-describedby={errors.type ? ids.typeErr : undefined}
          data-testid="rule-type"
        />
        <FieldError id={ids.typeErr} message={errors.type ?? null} />
      </div>
      <div className="field">
        <label htmlFor={ids.action}>As</label>
        <select id={ids.action} value={action} onChange={(e) => setAction(e.target.value as api.Classification)} data-testid="rule-action">
          {ACTIONS.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={busy} data-testid="rule-save">
        {busy ? "Saving…" : "Save classification"}
      </button>
      <FieldError id={ids.formErr} message={errors.form ?? null} />
      <p className="muted small full">
        A rule applies to the rows already imported and to every later import of that source. Removing it makes its rows exceptions
        again, except in approved months.
      </p>
    </form>
  );
}
