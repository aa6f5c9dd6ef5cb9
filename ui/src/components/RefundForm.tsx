import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { FieldProblem } from "../bindings/FieldProblem";
import type { ManualRefundInfo } from "../bindings/ManualRefundInfo";
import type { RefundField } from "../bindings/RefundField";
import { displayTimeZone, todayInZone } from "../format";

interface Props {
  /** Prefilled fields (a correction after a submission: its instance and charge). */
  initial?: Partial<api.RefundRequest>;
  /** Why the form was opened, shown above it. */
  context?: string;
  onAdded: (refund: ManualRefundInfo) => void | Promise<void>;
  onCancel: () => void;
}

type Problems = Partial<Record<RefundField, string>>;

const FIELDS: Array<{ field: RefundField; key: keyof api.RefundRequest; label: string; hint: string; required: boolean }> = [
  { field: "instance", key: "instance", label: "Wix instance ID", hint: "The GUID of the site the money went back to.", required: true },
  { field: "date", key: "date", label: "Refund date", hint: "", required: true },
  { field: "amount", key: "amount", label: "Amount refunded (USD)", hint: "The refunded gross, without a sign, e.g. 29.00.", required: true },
  { field: "fee_returned", key: "feeReturned", label: "Fee returned (USD, optional)", hint: "What the processor gave back of its fee; empty for none.", required: false },
  { field: "charge", key: "charge", label: "Original charge (optional)", hint: "Its event id, e.g. tx-17: the refund is then checked against what remains of it.", required: false },
  { field: "reason", key: "reason", label: "Reason", hint: "Kept with the refund and in the audit log.", required: true },
];

/**
 * A manual refund (SPEC §5): the engine checks it and decides; the form shows what the engine
 * said next to each field. Only empty required fields are caught here, before asking.
 */
export function RefundForm({ initial, context, onAdded, onCancel }: Props) {
  const [values, setValues] = useState<api.RefundRequest>(() => ({
    instance: "",
    date: todayInZone(),
    amount: "",
    feeReturned: "",
    charge: "",
    reason: "",
    ...initial,
  }));
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The field to focus once the form is enabled again (the first one at fault).
  const [focusOn, setFocusOn] = useState<{ field: RefundField } | null>(null);
  const base = useId();
  const refs = useRef<Partial<Record<RefundField, HTMLInputElement | null>>>({});
  const id = (f: RefundField) => `${base}-${f}`;

  useEffect(() => {
    // The first field still to fill gets the focus.
    const first = FIELDS.find((f) => values[f.key].trim() === "") ?? FIELDS[0]!;
    refs.current[first.field]?.focus();
    // Only when the form opens.
  }, []);

  function set(key: keyof api.RefundRequest, field: RefundField, v: string) {
    setValues((cur) => ({ ...cur, [key]: v }));
    // A field's message is about what it held: editing it clears it.
    setProblems((p) => {
      if (!(field in p)) return p;
      const next = { ...p };
      delete next[field];
      return next;
    });
  }

  useEffect(() => {
    if (focusOn) refs.current[focusOn.field]?.focus();
  }, [focusOn]);

  function show(found: Problems) {
    setProblems(found);
    const first = FIELDS.find((f) => found[f.field] !== undefined);
    if (first) setFocusOn({ field: first.field });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const missing: Problems = {};
    for (const f of FIELDS) if (f.required && values[f.key].trim() === "") missing[f.field] = "Required.";
    if (Object.keys(missing).length > 0) {
      show(missing);
      return;
    }
    setBusy(true);
    try {
      const outcome = await api.addManualRefund(values);
      if (outcome.outcome === "refused") {
        setBusy(false);
        show(byField(outcome.problems));
        return;
      }
      await onAdded(outcome.refund);
    } catch (err) {
      setError(api.errorMessage(err));
      setBusy(false);
    }
  }

  const count = Object.keys(problems).length;
  return (
    <form
      className="refund-form"
      onSubmit={submit}
      noValidate
      aria-label="Manual refund"
      data-testid="refund-form"
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) onCancel();
      }}
    >
      <h3 className="section-title">Manual refund</h3>
      {context && <p className="muted small">{context}</p>}
      {count > 0 && (
        <p className="message error" role="alert" data-testid="refund-refused">
          The refund was not added: {count === 1 ? "one field needs" : `${count} fields need`} attention.
        </p>
      )}
      <div className="refund-grid">
        {FIELDS.map((f) => {
          const problem = problems[f.field];
          const hint = f.field === "date" ? `The day the money went back, in the ledger's time zone (${displayTimeZone()}).` : f.hint;
          return (
            <div className={`field${f.field === "reason" || f.field === "instance" ? " wide" : ""}`} key={f.field}>
              <label htmlFor={id(f.field)}>{f.label}</label>
              <input
                id={id(f.field)}
                ref={(el) => {
                  refs.current[f.field] = el;
                }}
                name={f.field}
                type={f.field === "date" ? "date" : "text"}
                inputMode={f.field === "amount" || f.field === "fee_returned" ? "decimal" : undefined}
                value={values[f.key]}
                onChange={(e) => set(f.key, f.field, e.target.value)}
                aria-invalid={problem !== undefined}
                aria-describedby={`${id(f.field)}-note`}
                aria-required={f.required}
                autoComplete="off"
                spellCheck={false}
                disabled={busy}
                placeholder={f.field === "instance" ? "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31" : f.field === "charge" ? "tx-17" : undefined}
              />
              <p id={`${id(f.field)}-note`} className={problem ? "field-error" : "muted small"} data-testid={problem ? `refund-error-${f.field}` : undefined}>
                {problem ?? hint}
              </p>
            </div>
          );
        })}
      </div>
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={busy} data-testid="refund-submit">
          {busy ? "Adding…" : "Add refund"}
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <span className="muted small">It becomes a REFUND event of the month of its date (a late event of the next open month when that month is approved).</span>
      </div>
      {error && (
        <p className="message error" role="alert">
          The refund was not added: {error}
        </p>
      )}
    </form>
  );
}

/** The engine's problems by field (the first of each field). */
export function byField(problems: FieldProblem[]): Problems {
  const out: Problems = {};
  for (const p of problems) if (out[p.field] === undefined) out[p.field] = p.message;
  return out;
}
