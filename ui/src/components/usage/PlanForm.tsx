import { useState, type FormEvent } from "react";
import type { NewPlan } from "../../bindings/NewPlan";
import { errorMessage } from "../../api";
import { dayError, hasErrors, instanceError, metricError, pricesError, type Errors } from "./checks";
import { Field } from "./Field";

type K = "metric" | "prices" | "from" | "instance";

interface Props {
  /** Saves the entry; the form shows the engine's message when it refuses. */
  onSave: (plan: NewPlan) => Promise<void>;
}

/** A plan entry: a metric's unit prices per currency, from a day, for the app or one instance. */
export function PlanForm({ onSave }: Props) {
  const [metric, setMetric] = useState("");
  const [prices, setPrices] = useState("");
  const [description, setDescription] = useState("");
  const [from, setFrom] = useState("");
  const [instance, setInstance] = useState("");
  const [errors, setErrors] = useState<Errors<K>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: Errors<K> = { metric: metricError(metric), prices: pricesError(prices), from: dayError(from, false), instance: instanceError(instance, false) };
    setErrors(found);
    setFailure(null);
    if (hasErrors(found) || busy) return;
    setBusy(true);
    try {
      await onSave({ metric: metric.trim(), prices: prices.trim(), description: description.trim() || null, from: from.trim() || null, instance: instance.trim() || null });
      setMetric("");
      setPrices("");
      setDescription("");
      setFrom("");
      setInstance("");
    } catch (err) {
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="import-form" onSubmit={(e) => void submit(e)} aria-label="Set a plan price" noValidate>
      <Field label="Metric" value={metric} onChange={setMetric} error={errors.metric} placeholder="emails" disabled={busy} testId="plan-metric" />
      <Field label="Unit prices" value={prices} onChange={setPrices} error={errors.prices} placeholder="USD=0.02,EUR=0.018" disabled={busy} testId="plan-prices" />
      <Field label="Description" value={description} onChange={setDescription} placeholder="Emails sent" disabled={busy} />
      <Field label="From (optional)" value={from} onChange={setFrom} error={errors.from} placeholder="YYYY-MM-DD" disabled={busy} />
      <Field label="Instance (optional)" value={instance} onChange={setInstance} error={errors.instance} placeholder="all instances" disabled={busy} grow />
      <button type="submit" className="primary" disabled={busy}>
        Save price
      </button>
      {failure && (
        <p className="message error" role="alert">
          <strong>Not saved.</strong> {failure}
        </p>
      )}
    </form>
  );
}
