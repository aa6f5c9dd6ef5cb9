import { useState, type FormEvent } from "react";
import { errorMessage } from "../../api";
import { amountError, currencyError, hasErrors, instanceError, type Errors } from "./checks";
import { Field } from "./Field";

type K = "instance" | "currency" | "amount";

interface Props {
  onSave: (instance: string | null, currency: string, amount: string) => Promise<void>;
}

/** A charge limit for one instance and currency, or the app's default (no instance). */
export function LimitForm({ onSave }: Props) {
  const [instance, setInstance] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [amount, setAmount] = useState("");
  const [errors, setErrors] = useState<Errors<K>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: Errors<K> = { instance: instanceError(instance, false), currency: currencyError(currency), amount: amountError(amount) };
    setErrors(found);
    setFailure(null);
    if (hasErrors(found) || busy) return;
    setBusy(true);
    try {
      await onSave(instance.trim() || null, currency.trim().toUpperCase(), amount.trim());
      setAmount("");
    } catch (err) {
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="import-form" onSubmit={(e) => void submit(e)} aria-label="Set a charge limit" noValidate>
      <Field label="Instance (empty: the app's default)" value={instance} onChange={setInstance} error={errors.instance} placeholder="all instances" disabled={busy} grow />
      <Field label="Currency" value={currency} onChange={setCurrency} error={errors.currency} disabled={busy} testId="limit-currency" />
      <Field label="Limit" value={amount} onChange={setAmount} error={errors.amount} placeholder="100.00" disabled={busy} testId="limit-amount" />
      <button type="submit" className="primary" disabled={busy}>
        Save limit
      </button>
      {failure && (
        <p className="message error" role="alert">
          <strong>Not saved.</strong> {failure}
        </p>
      )}
    </form>
  );
}
