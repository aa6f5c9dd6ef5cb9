import { useState, type FormEvent } from "react";
import type { ChargesAnswer } from "../../bindings/ChargesAnswer";
import { errorMessage } from "../../api";
import { formatAmount, formatTimestamp } from "../../format";
import { currencyError, dayError, hasErrors, instanceError, LEFT_OUT_WORDS, type Errors } from "./checks";
import { Field } from "./Field";

type K = "instance" | "currency" | "from" | "to";

interface Props {
  preview: (instance: string, currency: string, from: string, to: string) => Promise<ChargesAnswer>;
}

interface WixCharge {
  id: string;
  description: string;
  amount: string;
  usagePeriod?: { startDate: string; endDate: string };
}

/** The charges of an answer's body (amounts stay the strings Rust wrote). */
function chargesOf(body: string): WixCharge[] {
  try {
    const v = JSON.parse(body) as { charges?: WixCharge[] };
    return Array.isArray(v.charges) ? v.charges : [];
  } catch {
    return [];
  }
}

/** What Wix would be answered now for an instance, currency and period (DISPLAY_ONLY). */
export function PreviewForm({ preview }: Props) {
  const [instance, setInstance] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [errors, setErrors] = useState<Errors<K>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [answer, setAnswer] = useState<{ answer: ChargesAnswer; currency: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: Errors<K> = { instance: instanceError(instance, true), currency: currencyError(currency), from: dayError(from, true), to: dayError(to, true) };
    if (!found.from && !found.to && to.trim() <= from.trim()) found.to = "The period ends after it starts.";
    setErrors(found);
    setFailure(null);
    if (hasErrors(found) || busy) return;
    setBusy(true);
    try {
      const cur = currency.trim().toUpperCase();
      setAnswer({ answer: await preview(instance.trim(), cur, from.trim(), to.trim()), currency: cur });
    } catch (err) {
      setAnswer(null);
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const charges = answer ? chargesOf(answer.answer.body) : [];
  return (
    <div>
      <form className="import-form" onSubmit={(e) => void submit(e)} aria-label="Preview charges" noValidate>
        <Field label="Instance" value={instance} onChange={setInstance} error={errors.instance} placeholder="6f1c2a9e-…" disabled={busy} grow testId="preview-instance" />
        <Field label="Currency" value={currency} onChange={setCurrency} error={errors.currency} disabled={busy} />
        <Field label="From" value={from} onChange={setFrom} error={errors.from} placeholder="YYYY-MM-DD" disabled={busy} testId="preview-from" />
        <Field label="To (excluded)" value={to} onChange={setTo} error={errors.to} placeholder="YYYY-MM-DD" disabled={busy} testId="preview-to" />
        <button type="submit" className="primary" disabled={busy}>
          Preview
        </button>
      </form>
      {failure && (
        <p className="message error" role="alert">
          <strong>No preview.</strong> {failure}
        </p>
      )}
      {answer && (
        <div className="preview-result" data-testid="preview-result">
          {answer.answer.frozen === "before" && (
            <p className="message info" role="status">
              This period was invoiced: Wix gets these charges again, whatever usage arrived since.
            </p>
          )}
          {charges.length === 0 ? (
            <p className="muted">No charge for this instance and period ({answer.answer.usage_rows} usage row(s) not yet invoiced).</p>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Charge</th>
                    <th className="num">Amount</th>
                    <th>Usage from</th>
                    <th>to</th>
                  </tr>
                </thead>
                <tbody>
                  {charges.map((c) => (
                    <tr key={c.id}>
                      <td>{c.description}</td>
                      <td className="num">
                        {formatAmount(c.amount)} {answer.currency}
                      </td>
                      <td>{c.usagePeriod ? formatTimestamp(c.usagePeriod.startDate) : ""}</td>
                      <td>{c.usagePeriod ? formatTimestamp(c.usagePeriod.endDate) : ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {answer.answer.left_out.length > 0 && (
            <ul className="left-out" aria-label="Left out">
              {answer.answer.left_out.map((l, i) => (
                <li key={i}>
                  Left out: {l.metric} ({formatAmount(l.quantity)} units{l.amount ? `, ${formatAmount(l.amount)} ${answer.currency}` : ""}): {LEFT_OUT_WORDS[l.reason] ?? l.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
