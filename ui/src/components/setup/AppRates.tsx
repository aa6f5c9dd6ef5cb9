// The Wix app (id and name) and the revenue-share rate table: effective dates, the app's rate
// and per-instance overrides. A ledger without a rate shows "no rate" exceptions in the Month
// view; they are fixed here.
import { useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { AppInfo } from "../../bindings/AppInfo";
import type { RateInfo } from "../../bindings/RateInfo";
import { formatTimestamp } from "../../format";
import { FieldError, LoadState, RemoveButton, useLoaded } from "./common";

export function AppRates() {
  const app = useLoaded(api.appInfo);
  const rates = useLoaded(api.listRates);
  return (
    <>
      <section className="card" aria-labelledby="app-title">
        <div className="card-head">
          <h2 id="app-title">Wix app</h2>
        </div>
        {app.data === null ? <LoadState error={app.error} what="The app" /> : <AppForm app={app.data} onSaved={app.set} />}
      </section>
      <section className="card" aria-labelledby="rates-title">
        <div className="card-head">
          <h2 id="rates-title">Revenue-share rates</h2>
        </div>
        {rates.data === null ? (
          <LoadState error={rates.error} what="The rates" />
        ) : (
          <RatesTable rates={rates.data} onRemoved={rates.reload} />
        )}
        <RateForm onAdded={rates.reload} />
      </section>
    </>
  );
}

function AppForm(props: { app: AppInfo; onSaved: (app: AppInfo) => void }) {
  const [id, setId] = useState(props.app.id ?? "");
  const [name, setName] = useState(props.app.name ?? "");
  const [errors, setErrors] = useState<{ id?: string; name?: string; form?: string }>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { id: useId(), name: useId(), idErr: useId(), nameErr: useId(), formErr: useId() };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const missing = {
      id: id.trim() === "" ? "Enter the app id: the GUID of your app in Wix’s app dashboard." : undefined,
      name: name.trim() === "" ? "Enter the app’s name: it names the Wix report files." : undefined,
    };
    setErrors(missing);
    if (missing.id || missing.name) return;
    setBusy(true);
    try {
      const app = await api.setApp(id, name);
      props.onSaved(app);
      setId(app.id ?? "");
      setName(app.name ?? "");
      setSaved(true);
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="setup-form" onSubmit={onSubmit} noValidate aria-describedby={errors.form ? ids.formErr : undefined}>
      <div className="field grow">
        <label htmlFor={ids.id}>App id</label>
        <input
          id={ids.id}
          type="text"
          data-testid="app-id"
          value={id}
          onChange={(e) => setId(e.target.value)}
          placeholder="157f033e-c1ae-4418-adb0-79d2bcd9d4a8"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={errors.id !== undefined}
          aria-describedby={errors.id ? ids.idErr : undefined}
        />
        <FieldError id={ids.idErr} message={errors.id ?? null} />
      </div>
      <div className="field grow">
        <label htmlFor={ids.name}>App name</label>
        <input
          id={ids.name}
          type="text"
          data-testid="app-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Acme Forms"
          autoComplete="off"
          aria-invalid={errors.name !== undefined}
          aria-describedby={errors.name ? ids.nameErr : undefined}
        />
        <FieldError id={ids.nameErr} message={errors.name ?? null} />
      </div>
      <button type="submit" className="primary" data-testid="app-save" disabled={busy}>
        {busy ? "Saving…" : "Save app"}
      </button>
      <FieldError id={ids.formErr} message={errors.form ?? null} />
      {saved && (
        <p className="message ok-quiet full" role="status">
          Saved: {props.app.name} ({props.app.id}).
        </p>
      )}
    </form>
  );
}

function RatesTable(props: { rates: RateInfo[]; onRemoved: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  if (props.rates.length === 0) {
    return (
      <div className="empty small-empty" data-testid="rates-empty">
        <p className="empty-title">No rate yet</p>
        <p className="muted">
          Until a rate is in force, every event is a “no rate” exception and no month can be approved. Add the app’s rate
          from its first day below (0 % in an app’s first year and 20 % after is typical).
        </p>
      </div>
    );
  }
  async function remove(r: RateInfo) {
    setError(null);
    try {
      await api.removeRate(r.effective_from, r.instance_id);
      await props.onRemoved();
    } catch (e) {
      setError(api.errorMessage(e));
    }
  }
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="rates-table">
          <thead>
            <tr>
              <th scope="col">In force from</th>
              <th scope="col" className="num">Percent</th>
              <th scope="col">Applies to</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rates.map((r) => {
              const what = `the ${r.instance_id ? "instance" : "app"} rate from ${r.effective_from}`;
              return (
                <tr key={`${r.effective_from}|${r.instance_id ?? ""}`} data-testid="rate-row">
                  <td>{r.effective_from}</td>
                  <td className="num">{r.percent} %</td>
                  <td>{r.instance_id ? <code title="An instance's override wins over the app's rate">{r.instance_id}</code> : "The app"}</td>
                  <td className="muted small">
                    {formatTimestamp(r.added_at)} by {r.added_by}
                  </td>
                  <td className="actions">
                    <RemoveButton what={what} onRemove={() => remove(r)} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {error && (
        <p className="message error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function RateForm(props: { onAdded: () => Promise<void> }) {
  const [from, setFrom] = useState("");
  const [percent, setPercent] = useState("");
  const [instance, setInstance] = useState("");
  const [errors, setErrors] = useState<{ from?: string; percent?: string; form?: string }>({});
  const [added, setAdded] = useState<RateInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { from: useId(), percent: useId(), instance: useId(), fromErr: useId(), pctErr: useId(), formErr: useId(), help: useId() };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setAdded(null);
    const missing = {
      from: from.trim() === "" ? "Enter the first day the rate is in force (YYYY-MM-DD)." : undefined,
      percent: percent.trim() === "" ? "Enter the percent Wix takes (0 to 100)." : undefined,
    };
    setErrors(missing);
    if (missing.from || missing.percent) return;
    setBusy(true);
    try {
      const r = await api.addRate(from.trim(), percent.trim(), instance.trim() === "" ? null : instance.trim());
      setAdded(r);
      setFrom("");
      setPercent("");
      setInstance("");
      await props.onAdded();
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="setup-form" onSubmit={onSubmit} noValidate aria-label="Add a rate" aria-describedby={ids.help}>
      <div className="field">
        <label htmlFor={ids.from}>In force from</label>
        <input
          id={ids.from}
          type="text"
          data-testid="rate-from"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
          placeholder="YYYY-MM-DD"
          size={12}
          autoComplete="off"
          aria-invalid={errors.from !== undefined}
          aria-describedby={errors.from ? ids.fromErr : undefined}
        />
        <FieldError id={ids.fromErr} message={errors.from ?? null} />
      </div>
      <div className="field">
        <label htmlFor={ids.percent}>Percent</label>
        <input
          id={ids.percent}
          type="text"
          inputMode="decimal"
          data-testid="rate-percent"
          value={percent}
          onChange={(e) => setPercent(e.target.value)}
          placeholder="20"
          size={7}
          autoComplete="off"
          aria-invalid={errors.percent !== undefined}
          aria-describedby={errors.percent ? ids.pctErr : undefined}
        />
        <FieldError id={ids.pctErr} message={errors.percent ?? null} />
      </div>
      <div className="field grow">
        <label htmlFor={ids.instance}>Instance (optional: an override for one site)</label>
        <input
          id={ids.instance}
          type="text"
          data-testid="rate-instance"
          value={instance}
          onChange={(e) => setInstance(e.target.value)}
          placeholder="Empty: the app's rate"
          spellCheck={false}
          autoComplete="off"
        />
      </div>
      <button type="submit" className="primary" data-testid="rate-add" disabled={busy}>
        {busy ? "Adding…" : "Add rate"}
      </button>
      <FieldError id={ids.formErr} message={errors.form ?? null} />
      <p id={ids.help} className="muted small full">
        A rate is in force from its date until the next one. An instance’s override wins over the app’s rate. A rate for a
        date that already has one replaces it. Approved months keep the rates they were approved with.
      </p>
      {added && (
        <p className="message ok-quiet full" role="status">
          Added: {added.percent} % from {added.effective_from} for {added.instance_id ? `instance ${added.instance_id}` : "the app"}.
        </p>
      )}
    </form>
  );
}
