import { useCallback, useEffect, useId, useState } from "react";
import * as api from "../../api";
import type { ChargeCall } from "../../bindings/ChargeCall";
import type { ChargeLimitInfo } from "../../bindings/ChargeLimitInfo";
import type { PlanInfo } from "../../bindings/PlanInfo";
import type { UsageStatus } from "../../bindings/UsageStatus";
import { formatAmount, formatCount, formatTimestamp } from "../../format";
import { instanceError } from "./checks";
import { LimitForm } from "./LimitForm";
import { PlanForm } from "./PlanForm";
import { PreviewForm } from "./PreviewForm";

interface Props {
  /** The view is shown: read the ledger again. */
  active: boolean;
}

const LOG_LINES = 200;

/**
 * Custom Charges (usage billed by Wix): the app's public key, plans, charge limits, usage
 * imports, a preview of what Wix would be answered, and the log of Wix's calls.
 */
export function UsageView({ active }: Props) {
  const [status, setStatus] = useState<UsageStatus | null>(null);
  const [plans, setPlans] = useState<PlanInfo[] | null>(null);
  const [limits, setLimits] = useState<ChargeLimitInfo[] | null>(null);
  const [calls, setCalls] = useState<ChargeCall[] | null>(null);
  const [logInstance, setLogInstance] = useState("");
  const [logError, setLogError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const ids = { key: useId(), log: useId() };

  const loadLog = useCallback(async (instance: string) => {
    const bad = instanceError(instance, false);
    setLogError(bad ?? null);
    if (bad) return;
    try {
      setCalls(await api.chargeCalls(instance.trim() || null, LOG_LINES));
    } catch (e) {
      setLogError(api.errorMessage(e));
    }
  }, []);

  const load = useCallback(async () => {
    try {
      const [s, p, l] = await Promise.all([api.usageStatus(), api.listPlans(), api.listChargeLimits()]);
      setStatus(s);
      setPlans(p);
      setLimits(l);
      setLoadError(null);
    } catch (e) {
      setLoadError(api.errorMessage(e));
    }
  }, []);

  useEffect(() => {
    if (!active) return;
    void load();
    void loadLog(logInstance);
    // The log's filter is applied with its own button, not on every keystroke.
  }, [active, load, loadLog]);

  async function savePlan(plan: Parameters<typeof api.setPlan>[0]) {
    const p = await api.setPlan(plan);
    setNotice(`Price of ${p.metric} from ${p.effective_from} saved.`);
    await load();
  }

  async function saveLimit(instance: string | null, currency: string, amount: string) {
    const l = await api.setChargeLimit(instance, currency, amount);
    setNotice(`Charge limit ${formatAmount(l.amount)} ${l.currency} saved${l.instance_id ? ` for ${l.instance_id}` : " as the app's default"}.`);
    await load();
  }

  return (
    <div className="usage-view">
      {loadError && (
        <div className="message error" role="alert">
          <strong>The ledger could not be read.</strong> {loadError}
        </div>
      )}
      {notice && (
        <p className="message info" role="status">
          {notice}
        </p>
      )}
      <section className="card" aria-labelledby="usage-status-title">
        <div className="card-head">
          <h2 id="usage-status-title">Usage billed by Wix</h2>
          <button type="button" className="secondary" onClick={() => void load()}>
            Refresh
          </button>
        </div>
        {status === null ? (
          <p className="muted" aria-busy="true">
            Loading…
          </p>
        ) : (
          <p data-testid="usage-status">
            {formatCount(Number(status.counts.rows))} usage row(s), {formatCount(Number(status.counts.open))} not yet invoiced.{" "}
            {status.key_fingerprint ? (
              <>App key set (SHA-256 <code>{status.key_fingerprint.slice(0, 16)}…</code>).</>
            ) : (
              <strong>No public key yet: Wix's calls are refused until the app's key is set below.</strong>
            )}{" "}
            {status.app_id ? null : <strong>No app id yet.</strong>}
          </p>
        )}
        <KeyForm inputId={ids.key} onSaved={(fp) => { setNotice(`App key saved (SHA-256 ${fp.slice(0, 16)}…).`); void load(); }} />
        <UsageImport onImported={(msg) => { setNotice(msg); void load(); }} />
      </section>

      <section className="card" aria-labelledby="plans-title">
        <div className="card-head">
          <h2 id="plans-title">Plans</h2>
        </div>
        {plans === null ? null : plans.length === 0 ? (
          <p className="muted">No plan yet: a metric with no price in a currency is never charged in it.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="plans-table">
              <thead>
                <tr>
                  <th>Metric</th>
                  <th>Description</th>
                  <th>From</th>
                  <th>Unit prices</th>
                  <th>Instance</th>
                </tr>
              </thead>
              <tbody>
                {plans.map((p) => (
                  <tr key={`${p.metric}|${p.instance_id ?? ""}|${p.effective_from}`}>
                    <td>{p.metric}</td>
                    <td>{p.description}</td>
                    <td>{p.effective_from}</td>
                    <td>{p.prices.map((x) => `${formatAmount(x.unit_price)} ${x.currency}`).join(", ")}</td>
                    <td>{p.instance_id ?? "all instances"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <PlanForm onSave={savePlan} />
      </section>

      <section className="card" aria-labelledby="limits-title">
        <div className="card-head">
          <h2 id="limits-title">Charge limits</h2>
        </div>
        {limits === null ? null : limits.length === 0 ? (
          <p className="muted">No charge limit yet: with none, an invoice charges nothing.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="limits-table">
              <thead>
                <tr>
                  <th>Instance</th>
                  <th>Currency</th>
                  <th className="num">Limit</th>
                  <th>Set</th>
                </tr>
              </thead>
              <tbody>
                {limits.map((l) => (
                  <tr key={`${l.instance_id ?? ""}|${l.currency}`}>
                    <td>{l.instance_id ?? "app default"}</td>
                    <td>{l.currency}</td>
                    <td className="num">{formatAmount(l.amount)}</td>
                    <td>
                      {formatTimestamp(l.updated_at)} by {l.updated_by}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LimitForm onSave={saveLimit} />
      </section>

      <section className="card" aria-labelledby="preview-title">
        <div className="card-head">
          <h2 id="preview-title">Preview what Wix would be charged</h2>
        </div>
        <PreviewForm preview={api.previewCharges} />
      </section>

      <section className="card" aria-labelledby="log-title">
        <div className="card-head">
          <h2 id="log-title">Answers to Wix</h2>
          <form
            className="import-form"
            onSubmit={(e) => {
              e.preventDefault();
              void loadLog(logInstance);
            }}
          >
            <div className="field">
              <label htmlFor={ids.log}>Instance</label>
              <input id={ids.log} type="text" value={logInstance} onChange={(e) => setLogInstance(e.target.value)} placeholder="all instances" autoComplete="off" spellCheck={false} />
            </div>
            <button type="submit" className="secondary">
              Show
            </button>
          </form>
        </div>
        {logError && (
          <p className="message error" role="alert">
            {logError}
          </p>
        )}
        {calls === null ? null : calls.length === 0 ? (
          <p className="muted">No call from Wix yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="calls-table">
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Call</th>
                  <th className="num">Status</th>
                  <th>Instance</th>
                  <th>Intent</th>
                  <th>Period</th>
                  <th>Answer or reason</th>
                </tr>
              </thead>
              <tbody>
                {calls.map((c) => (
                  <tr key={c.id}>
                    <td>{formatTimestamp(c.received_at)}</td>
                    <td>{c.endpoint}</td>
                    <td className="num">{c.status}</td>
                    <td>{c.instance_id ?? "—"}</td>
                    <td>
                      {c.intent ?? "—"}
                      {c.frozen === "now" ? " (frozen)" : c.frozen === "before" ? " (frozen before)" : ""}
                    </td>
                    <td>{c.period_start && c.period_end ? `${formatTimestamp(c.period_start)} – ${formatTimestamp(c.period_end)}` : "—"}</td>
                    <td className="file">{c.note ?? c.answer ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

/** The app's public key from Wix's app dashboard (pasted as text). */
function KeyForm({ inputId, onSaved }: { inputId: string; onSaved: (fingerprint: string) => void }) {
  const [pem, setPem] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function save() {
    setError(null);
    if (pem.trim() === "") {
      setError("Paste the app's public key from Wix's app dashboard.");
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.setAppKey(pem));
      setPem("");
    } catch (e) {
      setError(api.errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="import-form">
      <div className="field grow">
        <label htmlFor={inputId}>App public key (from Wix's app dashboard)</label>
        <textarea id={inputId} rows={2} value={pem} onChange={(e) => setPem(e.target.value)} placeholder="-----BEGIN PUBLIC KEY----- …" spellCheck={false} disabled={busy} data-testid="key-pem" />
      </div>
      <button type="button" className="secondary" onClick={() => void save()} disabled={busy}>
        Save key
      </button>
      {error && (
        <p className="message error" role="alert">
          <strong>Key not saved.</strong> {error}
        </p>
      )}
    </div>
  );
}

/** Imports a usage CSV (id, instance_id, occurred_at, metric, quantity) chosen in the file dialog. */
function UsageImport({ onImported }: { onImported: (message: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [rejected, setRejected] = useState<{ line: number; column: string | null; reason: string }[]>([]);
  const [busy, setBusy] = useState(false);
  async function choose() {
    setError(null);
    setRejected([]);
    let path: string | null;
    try {
      path = await api.chooseCsvFile();
    } catch (e) {
      setError(api.errorMessage(e));
      return;
    }
    if (!path) return;
    setBusy(true);
    try {
      const r = await api.importUsage(path, false);
      if (r.rejected.length > 0) {
        setError(`Nothing was imported: ${r.rejected.length} bad row(s).`);
        setRejected(r.rejected);
      } else {
        onImported(`${r.source}: ${formatCount(r.imported)} usage row(s) imported, ${formatCount(r.duplicates)} already there.`);
      }
    } catch (e) {
      setError(api.errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="import-form">
      <button type="button" className="secondary" onClick={() => void choose()} disabled={busy}>
        Import usage file…
      </button>
      <span className="muted">Columns: id, instance_id, occurred_at, metric, quantity.</span>
      {error && (
        <div className="message error" role="alert">
          <strong>{error}</strong>
          {rejected.length > 0 && (
            <ul>
              {rejected.slice(0, 20).map((r, i) => (
                <li key={i}>
                  line {r.line}
                  {r.column ? `, ${r.column}` : ""}: {r.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
