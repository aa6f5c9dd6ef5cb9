import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { Exception } from "../bindings/Exception";
import type { MonthInfo } from "../bindings/MonthInfo";
import { MonthPicker } from "./MonthPicker";
import type { PayoutCheck } from "../bindings/PayoutCheck";
import type { Report } from "../bindings/Report";
import { formatTimestamp } from "../format";
import { ShareChart } from "./ShareChart";

interface Notice {
  kind: "ok" | "error";
  text: string;
}

/** The month under review: picker, totals, instances, exceptions, approval. */
export function MonthView({ active }: { active: boolean }) {
  const [months, setMonths] = useState<MonthInfo[] | null>(null);
  const [monthsError, setMonthsError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [reportError, setReportError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [refusal, setRefusal] = useState<Exception[] | null>(null);
  const latest = useRef(0);

  const loadMonths = useCallback(async () => {
    try {
      const ms = await api.listMonths();
      setMonths(ms);
      setMonthsError(null);
      setSelected((cur) => (cur !== null && ms.some((m) => m.month === cur) ? cur : (ms[0]?.month ?? null)));
    } catch (e) {
      setMonthsError(api.errorMessage(e));
    }
  }, []);

  const loadReport = useCallback(async (month: string) => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const r = await api.monthReport(month);
      if (ticket !== latest.current) return;
      setReport(r);
      setReportError(null);
    } catch (e) {
      if (ticket !== latest.current) return;
      setReport(null);
      setReportError(api.errorMessage(e));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, []);

  // Fresh data every time the view is shown: imports may have changed the months.
  useEffect(() => {
    if (active) void loadMonths();
  }, [active, loadMonths]);

  useEffect(() => {
    if (active && selected !== null) void loadReport(selected);
  }, [active, selected, loadReport]);

  const refreshAll = useCallback(async () => {
    await loadMonths();
    if (selected !== null) await loadReport(selected);
  }, [loadMonths, loadReport, selected]);

  function choose(month: string) {
    setNotice(null);
    setRefusal(null);
    setSelected(month);
  }

  async function approve(month: string) {
    setNotice(null);
    setRefusal(null);
    try {
      const outcome = await api.approveMonth(month);
      if (outcome.outcome === "approved") {
        setReport(outcome.report);
        const n = outcome.report.totals.events;
        setNotice({ kind: "ok", text: `${month} approved: its ${n} ${n === 1 ? "event is" : "events are"} frozen and queued for Wix.` });
        await loadMonths();
      } else {
        setRefusal(outcome.exceptions);
        await loadReport(month);
      }
    } catch (e) {
      setNotice({ kind: "error", text: `${month} was not approved: ${api.errorMessage(e)}` });
    }
  }

  async function reopen(month: string, reason: string) {
    setNotice(null);
    setRefusal(null);
    await api.reopenMonth(month, reason);
    setNotice({ kind: "ok", text: `${month} reopened: its events are computed live again.` });
    await refreshAll();
  }

  async function assign(ex: Exception, instance: string, saveMapping: boolean) {
    await api.assignInstance(ex.txn_id!, instance, saveMapping);
    setNotice({
      kind: "ok",
      text: `${ex.source_id} assigned to ${instance}${saveMapping ? ", and its customer mapped" : ""}.`,
    });
    setRefusal(null);
    if (selected !== null) await loadReport(selected);
  }

  async function classify(ex: Exception, action: api.Classification) {
    setNotice(null);
    try {
      const out = await api.classifyException(ex.txn_id!, action);
      const rule = out.rule;
      const what = action === "ignore" ? "ignored" : `classified as ${action}`;
      let text = rule
        ? `Rows of type “${rule.type_name}” from ${rule.source} are ${what}: ${out.classified} ${out.classified === 1 ? "row" : "rows"} now, and later imports follow.`
        : `${ex.source_id} ${what}.`;
      if (out.disagreeing > 0) {
        text += ` ${out.disagreeing} ${out.disagreeing === 1 ? "row stays an exception" : "rows stay exceptions"}: their money goes the other way.`;
      }
      setNotice({ kind: "ok", text });
      setRefusal(null);
    } catch (e) {
      setNotice({ kind: "error", text: `${ex.source_id} was not classified: ${api.errorMessage(e)}` });
    }
    if (selected !== null) await loadReport(selected);
  }

  const info = months?.find((m) => m.month === selected) ?? null;

  return (
    <section className="card" aria-labelledby="month-title" data-testid="month-view">
      <div className="card-head">
        <h2 id="month-title">Month review</h2>
        <div className="head-tools">
          {months && months.length > 0 && (
            <MonthPicker months={months} value={selected} onChange={choose} testId="month-picker" />
          )}
          <button type="button" className="secondary" onClick={() => void refreshAll()}>
            Refresh
          </button>
        </div>
      </div>

      {monthsError ? (
        <div className="message error" role="alert">
          <strong>The months could not be read.</strong> {monthsError}
        </div>
      ) : months === null ? (
        <p className="muted" aria-busy="true">
          Loading the months…
        </p>
      ) : months.length === 0 ? (
        <div className="empty" data-testid="month-empty">
          <p className="empty-title">No months yet — import a processor export first</p>
          <p className="muted">A month appears here as soon as it has a charge, refund or dispute.</p>
        </div>
      ) : (
        <>
          {notice && (
            <p className={`message ${notice.kind === "ok" ? "ok" : "error"}`} role={notice.kind === "ok" ? "status" : "alert"} data-testid="month-notice">
              {notice.text}
            </p>
          )}
          {refusal && <Refusal month={selected ?? ""} exceptions={refusal} />}
          {reportError ? (
            <div className="message error" role="alert">
              <strong>The report could not be built.</strong> {reportError}
            </div>
          ) : report === null || report.month !== selected ? (
            <div aria-busy="true" className="loading-block">
              <p className="muted">Building the report for {selected}…</p>
              <div className="progress" role="progressbar" aria-label="Building the report">
                <div className="progress-bar" />
              </div>
            </div>
          ) : (
            <MonthReport
              report={report}
              info={info}
              busy={loading}
              onApprove={approve}
              onReopen={reopen}
              onAssign={assign}
              onClassify={classify}
            />
          )}
        </>
      )}
    </section>
  );
}

function Refusal({ month, exceptions }: { month: string; exceptions: Exception[] }) {
  const n = exceptions.length;
  return (
    <div className="message error" role="alert" data-testid="approval-refused">
      <strong>
        {month} was not approved: {n} {n === 1 ? "exception" : "exceptions"} to fix first.
      </strong>
      <ul className="reasons">
        {exceptions.map((e, i) => (
          <li key={`${e.source_id}-${i}`}>
            <span className="tag">{e.kind}</span> {e.source_id} ({e.file}): {e.detail}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface ReportProps {
  report: Report;
  info: MonthInfo | null;
  busy: boolean;
  onApprove: (month: string) => Promise<void>;
  onReopen: (month: string, reason: string) => Promise<void>;
  onAssign: (ex: Exception, instance: string, saveMapping: boolean) => Promise<void>;
  onClassify: (ex: Exception, action: api.Classification) => Promise<void>;
}

function MonthReport({ report, info, busy, onApprove, onReopen, onAssign, onClassify }: ReportProps) {
  const month = report.month ?? "";
  const t = report.totals;
  const totals: Array<[string, string, string]> = [
    ["Events", String(t.events), "events"],
    ["Gross (USD)", t.gross, "gross"],
    ["Expenses (USD)", t.expenses, "expenses"],
    ["Net (USD)", t.net, "net"],
    ["Wix share (USD)", t.wix_share, "wix_share"],
  ];
  return (
    <div className="month-report" aria-busy={busy} data-month={month} data-status={report.status}>
      <div className="status-line">
        <span className={`status status-${report.status}`} data-testid="month-status">
          {report.status}
        </span>
        {info?.approved_at && (
          <span className="muted">
            approved {formatTimestamp(info.approved_at)}
            {info.approved_by ? ` by ${info.approved_by}` : ""}
          </span>
        )}
        {report.app_name && <span className="muted">· {report.app_name}</span>}
      </div>

      <dl className="counts totals" data-testid="month-totals">
        {totals.map(([label, value, key]) => (
          <div key={key} data-col={key}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>

      <ApprovalPanel report={report} onApprove={onApprove} onReopen={onReopen} />

      <Exceptions exceptions={report.exceptions} onAssign={onAssign} onClassify={onClassify} />

      <Payouts payouts={report.payouts} />

      <h3 className="section-title">Instances</h3>
      {report.instances.length === 0 ? (
        <div className="empty small-empty" data-testid="instances-empty">
          <p className="empty-title">No billing events in {month}</p>
          <p className="muted">Rows without an instance are listed as exceptions above.</p>
        </div>
      ) : (
        <>
          <ShareChart instances={report.instances} />
          <div className="table-wrap">
            <table className="table" aria-label={`Instances of ${month}`} data-testid="instances-table">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col" className="num">Charges</th>
                  <th scope="col" className="num">Refunds</th>
                  <th scope="col" className="num">Gross</th>
                  <th scope="col" className="num">Expenses</th>
                  <th scope="col" className="num">Net</th>
                  <th scope="col" className="num">Wix share</th>
                </tr>
              </thead>
              <tbody>
                {report.instances.map((l) => (
                  <tr key={l.instance_id}>
                    <td>
                      <code>{l.instance_id}</code>
                    </td>
                    <td className="num">{l.charges}</td>
                    <td className="num">{l.refunds}</td>
                    <td className="num">{l.gross}</td>
                    <td className="num">{l.expenses}</td>
                    <td className="num">{l.net}</td>
                    <td className="num">{l.wix_share}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={3}>
                    Total ({t.events} {t.events === 1 ? "event" : "events"})
                  </th>
                  <td className="num">{t.gross}</td>
                  <td className="num">{t.expenses}</td>
                  <td className="num">{t.net}</td>
                  <td className="num">{t.wix_share}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function ApprovalPanel({
  report,
  onApprove,
  onReopen,
}: {
  report: Report;
  onApprove: (month: string) => Promise<void>;
  onReopen: (month: string, reason: string) => Promise<void>;
}) {
  const month = report.month ?? "";
  const [approving, setApproving] = useState(false);
  const [reopening, setReopening] = useState(false);
  const reasonsId = useId();

  if (report.status === "open") {
    const n = report.exceptions.length;
    const blocked = n > 0;
    return (
      <div className="approval" data-testid="approval">
        <button
          type="button"
          className="primary"
          data-testid="approve"
          disabled={blocked || approving}
          aria-describedby={blocked ? reasonsId : undefined}
          onClick={async () => {
            setApproving(true);
            try {
              await onApprove(month);
            } finally {
              setApproving(false);
            }
          }}
        >
          {approving ? "Approving…" : `Approve ${month}`}
        </button>
        {blocked ? (
          <div id={reasonsId} className="why" data-testid="approve-blocked">
            <strong>
              Approval is not possible yet: {n} {n === 1 ? "exception needs" : "exceptions need"} fixing.
            </strong>{" "}
            {summarise(report.exceptions)}
          </div>
        ) : (
          <p className="muted why">Approving freezes every event of {month} and queues it for Wix. It can be reopened while nothing is sent.</p>
        )}
      </div>
    );
  }

  const nothingSent = report.events.every((e) => e.state === "queued");
  if (report.status === "approved" && nothingSent) {
    return reopening ? (
      <ReopenForm month={month} onCancel={() => setReopening(false)} onReopen={onReopen} />
    ) : (
      <div className="approval" data-testid="approval">
        <button type="button" className="secondary" onClick={() => setReopening(true)} data-testid="reopen">
          Reopen {month}…
        </button>
        <p className="muted why">Approved and not sent yet: it can be reopened, with a reason.</p>
      </div>
    );
  }
  return (
    <div className="approval" data-testid="approval">
      <p className="muted why">
        {report.status === "submitted"
          ? `${month} was submitted to Wix. Correct it with a manual refund in an open month.`
          : `Some events of ${month} were sent to Wix (or are in doubt): it can no longer be reopened.`}
      </p>
    </div>
  );
}

/** "2 unresolved_instance, 1 no_rate" */
function summarise(exceptions: Exception[]): string {
  const counts = new Map<string, number>();
  for (const e of exceptions) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return `${Array.from(counts, ([k, n]) => `${n} ${k.replace(/_/g, " ")}`).join(", ")} — see Exceptions below.`;
}

function ReopenForm({
  month,
  onCancel,
  onReopen,
}: {
  month: string;
  onCancel: () => void;
  onReopen: (month: string, reason: string) => Promise<void>;
}) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => inputRef.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (reason.trim() === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onReopen(month, reason.trim());
    } catch (err) {
      setError(api.errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form
      className="approval reopen-form"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
      aria-label={`Reopen ${month}`}
      data-testid="reopen-form"
    >
      <div className="field grow">
        <label htmlFor={id}>Why reopen {month}? (required, kept in the audit log)</label>
        <input
          id={id}
          ref={inputRef}
          type="text"
          name="reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          disabled={busy}
          autoComplete="off"
        />
      </div>
      <button type="submit" className="danger" disabled={busy || reason.trim() === ""}>
        {busy ? "Reopening…" : "Reopen month"}
      </button>
      <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      {error && (
        <p className="message error full" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function Exceptions({
  exceptions,
  onAssign,
  onClassify,
}: {
  exceptions: Exception[];
  onAssign: (ex: Exception, instance: string, saveMapping: boolean) => Promise<void>;
  onClassify: (ex: Exception, action: api.Classification) => Promise<void>;
}) {
  const [assigning, setAssigning] = useState<number | null>(null);
  if (exceptions.length === 0) {
    return (
      <p className="message ok-quiet" data-testid="no-exceptions">
        No exceptions: every row has an instance and a rate.
      </p>
    );
  }
  return (
    <>
      <h3 className="section-title">
        Exceptions <span className="tag danger-tag">{exceptions.length}</span>
      </h3>
      <div className="table-wrap">
        <table className="table exceptions" aria-label="Exceptions" data-testid="exceptions-table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Source ID</th>
              <th scope="col">File:line</th>
              <th scope="col">Date</th>
              <th scope="col">Detail</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {exceptions.map((ex, i) => {
              const open = ex.txn_id !== null && assigning === ex.txn_id;
              return (
                <ExceptionRow
                  key={`${ex.source_id}-${ex.txn_id ?? "m"}-${i}`}
                  ex={ex}
                  open={open}
                  onOpen={() => setAssigning(ex.txn_id)}
                  onClose={() => setAssigning(null)}
                  onAssign={async (instance, save) => {
                    await onAssign(ex, instance, save);
                    setAssigning(null);
                  }}
                  onClassify={(action) => onClassify(ex, action)}
                />
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ExceptionRow({
  ex,
  open,
  onOpen,
  onClose,
  onAssign,
  onClassify,
}: {
  ex: Exception;
  open: boolean;
  onOpen: () => void;
  onClose: () => void;
  onAssign: (instance: string, saveMapping: boolean) => Promise<void>;
  onClassify: (action: api.Classification) => Promise<void>;
}) {
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (!open && wasOpen.current) buttonRef.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return (
    <>
      <tr data-testid="exception-row">
        <td>
          <span className="tag danger-tag">{ex.kind}</span>
        </td>
        <td>
          <code>{ex.source_id}</code>
        </td>
        <td className="file">{ex.file}</td>
        <td className="date">{formatTimestamp(ex.created_date)}</td>
        <td className="detail">{ex.detail}</td>
        <td className="actions">
          {ex.kind === "unclassified_type" && ex.txn_id !== null ? (
            <ClassifyButtons sourceId={ex.source_id} onClassify={onClassify} />
          ) : ex.txn_id !== null && !open && (
            <button
              type="button"
              className="secondary"
              ref={buttonRef}
              onClick={onOpen}
              aria-label={`Assign an instance to ${ex.source_id}`}
            >
              Assign instance
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="form-row">
          <td colSpan={6}>
            <AssignForm sourceId={ex.source_id} onCancel={onClose} onAssign={onAssign} />
          </td>
        </tr>
      )}
    </>
  );
}

/** An unclassified row's type, classified for its source: the engine applies it to every row. */
function ClassifyButtons({ sourceId, onClassify }: { sourceId: string; onClassify: (action: api.Classification) => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const choices: Array<[api.Classification, string]> = [
    ["charge", "Classify as charge"],
    ["refund", "Classify as refund"],
    ["ignore", "Ignore this type"],
  ];
  return (
    <div className="classify-actions" role="group" aria-label={`Classify the type of ${sourceId}`}>
      {choices.map(([action, label]) => (
        <button
          key={action}
          type="button"
          className="secondary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onClassify(action);
            } finally {
              setBusy(false);
            }
          }}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

function AssignForm({
  sourceId,
  onCancel,
  onAssign,
}: {
  sourceId: string;
  onCancel: () => void;
  onAssign: (instance: string, saveMapping: boolean) => Promise<void>;
}) {
  const [instance, setInstance] = useState("");
  const [save, setSave] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { guid: useId(), save: useId(), help: useId() };
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => inputRef.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (instance.trim() === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onAssign(instance.trim(), save);
    } catch (err) {
      setError(api.errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form
      className="assign-form"
      onSubmit={submit}
      aria-label={`Assign an instance to ${sourceId}`}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <div className="field grow">
        <label htmlFor={ids.guid}>Wix instance ID (GUID)</label>
        <input
          id={ids.guid}
          ref={inputRef}
          type="text"
          name="instance"
          value={instance}
          onChange={(e) => setInstance(e.target.value)}
          placeholder="6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"
          spellCheck={false}
          autoComplete="off"
          aria-describedby={ids.help}
          disabled={busy}
        />
      </div>
      <div className="field checkbox">
        <input id={ids.save} type="checkbox" checked={save} onChange={(e) => setSave(e.target.checked)} disabled={busy} />
        <label htmlFor={ids.save}>Also map this customer</label>
      </div>
      <button type="submit" className="primary" disabled={busy || instance.trim() === ""}>
        {busy ? "Assigning…" : "Assign"}
      </button>
      <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <p id={ids.help} className="muted small full">
        Mapping the customer also assigns their other rows, now and in later imports.
      </p>
      {error && (
        <p className="message error full" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function Payouts({ payouts }: { payouts: PayoutCheck[] }) {
  if (payouts.length === 0) return null;
  const off = payouts.filter((p) => !p.matches);
  if (off.length === 0) {
    return (
      <p className="muted small" data-testid="payouts-ok">
        {payouts.length} {payouts.length === 1 ? "payout matches" : "payouts match"} the sum of its items.
      </p>
    );
  }
  return (
    <div className="message warn" role="note" data-testid="payout-warnings">
      <strong>
        {off.length} {off.length === 1 ? "payout does" : "payouts do"} not match the sum of {off.length === 1 ? "its" : "their"} items
      </strong>{" "}
      — a file may be missing or partial.
      <ul className="reasons">
        {off.map((p) => (
          <li key={p.payout_id}>
            <code>{p.payout_id}</code> ({p.payout_date}, {p.currency}): paid {p.amount}, items net {p.items_net} ({p.items}{" "}
            {p.items === 1 ? "item" : "items"})
          </li>
        ))}
      </ul>
    </div>
  );
}
