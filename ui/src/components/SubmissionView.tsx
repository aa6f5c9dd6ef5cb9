import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { AttemptInfo } from "../bindings/AttemptInfo";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { StateCounts } from "../bindings/StateCounts";
import type { SubmitProgress } from "../bindings/SubmitProgress";
import type { SubmitReport } from "../bindings/SubmitReport";
import { formatTimestamp } from "../format";
import { MonthPicker } from "./MonthPicker";

const STATE_LABELS: Record<api.OutboxState, string> = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  rejected: "Rejected",
  uncertain: "Uncertain",
};

/** The outbox of an approved month: counts per state, the queue, submit, uncertain events. */
export function SubmissionView({ active }: { active: boolean }) {
  const [months, setMonths] = useState<MonthInfo[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [filter, setFilter] = useState<api.OutboxState | "">("");
  const [counts, setCounts] = useState<StateCounts | null>(null);
  const [entries, setEntries] = useState<OutboxEntry[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [recovered, setRecovered] = useState(0);
  const [progress, setProgress] = useState<SubmitProgress | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<SubmitReport | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resolving, setResolving] = useState<string | null>(null);
  const latest = useRef(0);
  const ids = { filter: useId() };

  const loadMonths = useCallback(async () => {
    try {
      // Events a crashed run left `sending` become `uncertain` first (nothing while a run is on).
      const n = await api.recoverOutbox();
      if (n > 0) setRecovered(n);
      const ms = (await api.listMonths()).filter((m) => m.status !== "open");
      setMonths(ms);
      setLoadError(null);
      setSelected((cur) => (cur !== null && ms.some((m) => m.month === cur) ? cur : (ms[0]?.month ?? null)));
    } catch (e) {
      setLoadError(api.errorMessage(e));
    }
  }, []);

  const loadQueue = useCallback(async (month: string, state: api.OutboxState | "") => {
    const ticket = ++latest.current;
    try {
      const [c, list] = await Promise.all([api.outboxCounts(month), api.listOutbox(month, state || undefined)]);
      if (ticket !== latest.current) return;
      setCounts(c);
      setEntries(list);
      setLoadError(null);
    } catch (e) {
      if (ticket === latest.current) setLoadError(api.errorMessage(e));
    }
  }, []);

  // Fresh data every time the view is shown.
  useEffect(() => {
    if (active) void loadMonths();
  }, [active, loadMonths]);

  useEffect(() => {
    if (active && selected !== null) void loadQueue(selected, filter);
  }, [active, selected, filter, loadQueue]);

  async function submit(month: string) {
    setConfirming(false);
    setSubmitting(true);
    setResult(null);
    setSubmitError(null);
    setNotice(null);
    setProgress(null);
    try {
      const r = await api.submitMonth(month, setProgress);
      setResult(r);
    } catch (e) {
      setSubmitError(api.errorMessage(e));
    } finally {
      setSubmitting(false);
      await loadMonths();
      await loadQueue(month, filter);
    }
  }

  async function resolve(entry: OutboxEntry, how: api.Resolution, reason: string) {
    const e = await api.resolveEvent(entry.id, how, reason);
    setResolving(null);
    setNotice(
      how === "sent"
        ? `${e.id} is marked sent (${reason}).`
        : `${e.id} is queued again and goes out with the next submission (${reason}).`,
    );
    await loadMonths();
    if (selected !== null) await loadQueue(selected, filter);
  }

  if (loadError && months === null) {
    return (
      <section className="card" aria-labelledby="submission-title">
        <h2 id="submission-title">Submission to Wix</h2>
        <div className="message error" role="alert">
          <strong>The outbox could not be read.</strong> {loadError}
        </div>
      </section>
    );
  }

  const info = months?.find((m) => m.month === selected) ?? null;
  const queued = counts?.queued ?? 0;

  return (
    <section className="card" aria-labelledby="submission-title" data-testid="submission-view" aria-busy={submitting}>
      <div className="card-head">
        <h2 id="submission-title">Submission to Wix</h2>
        <div className="head-tools">
          {months && months.length > 0 && (
            <MonthPicker
              months={months}
              value={selected}
              testId="submission-month"
              disabled={submitting}
              onChange={(month) => {
                setResult(null);
                setSubmitError(null);
                setNotice(null);
                setSelected(month);
              }}
            />
          )}
          <button
            type="button"
            className="secondary"
            disabled={submitting}
            onClick={() => {
              void loadMonths();
              if (selected !== null) void loadQueue(selected, filter);
            }}
          >
            Refresh
          </button>
        </div>
      </div>

      {recovered > 0 && (
        <p className="message warn" role="status">
          {recovered} {recovered === 1 ? "event was" : "events were"} being sent when the app last stopped: {recovered === 1 ? "it is" : "they are"} now
          uncertain. Check {recovered === 1 ? "it" : "them"} in Wix, then resolve below.
        </p>
      )}

      {months === null ? (
        <p className="muted" aria-busy="true">
          Loading the outbox…
        </p>
      ) : months.length === 0 || selected === null ? (
        <div className="empty" data-testid="submission-empty">
          <p className="empty-title">Nothing to submit yet — approve a month first</p>
          <p className="muted">Approving a month in the Month view freezes its events and queues them here.</p>
        </div>
      ) : (
        <>
          {loadError && (
            <div className="message error" role="alert">
              {loadError}
            </div>
          )}
          <div className="status-line">
            <span className={`status status-${info?.status ?? "approved"}`} data-testid="submission-status">
              {info?.status ?? ""}
            </span>
            {info?.approved_at && (
              <span className="muted">
                approved {formatTimestamp(info.approved_at)}
                {info.approved_by ? ` by ${info.approved_by}` : ""}
              </span>
            )}
          </div>

          {counts && (
            <dl className="counts state-counts" data-testid="state-counts">
              {api.OUTBOX_STATES.map((s) => (
                <div key={s} data-state={s} className={counts[s] > 0 ? `has-${s}` : undefined}>
                  <dt>{STATE_LABELS[s]}</dt>
                  <dd>{counts[s]}</dd>
                </div>
              ))}
            </dl>
          )}

          <div className="submit-bar">
            {confirming ? (
              <span
                className="confirm"
                role="group"
                aria-label="Confirm the submission"
                onKeyDown={(e) => {
                  if (e.key === "Escape") setConfirming(false);
                }}
              >
                <span className="confirm-text neutral">
                  Send {queued} {queued === 1 ? "event" : "events"} of {selected} to Wix?
                </span>
                <button type="button" className="primary" onClick={() => void submit(selected)} data-testid="submit-confirm">
                  Yes, submit
                </button>
                <ConfirmCancel onCancel={() => setConfirming(false)} />
              </span>
            ) : (
              <button
                type="button"
                className="primary"
                data-testid="submit"
                disabled={submitting || queued === 0}
                onClick={() => setConfirming(true)}
              >
                {submitting
                  ? "Submitting…"
                  : queued === 0
                    ? "Submit to Wix"
                    : `Submit ${queued} queued ${queued === 1 ? "event" : "events"}`}
              </button>
            )}
            {!submitting && queued === 0 && counts && (
              <span className="muted">Nothing queued in {selected}.</span>
            )}
          </div>

          {submitting && <RunProgress progress={progress} />}

          {submitError && (
            <div className="message error" role="alert" data-testid="submit-error">
              <strong>The submission did not run.</strong> {submitError}
            </div>
          )}
          {result && <RunResult report={result} />}
          {notice && (
            <p className="message ok" role="status">
              {notice}
            </p>
          )}

          {counts && counts.uncertain > 0 && (
            <div className="message warn" role="note" data-testid="uncertain-callout">
              <strong>
                {counts.uncertain} {counts.uncertain === 1 ? "event is" : "events are"} uncertain:
              </strong>{" "}
              Wix may or may not have {counts.uncertain === 1 ? "it" : "them"}, and nothing re-sends an uncertain event by
              itself. Check each in the Wix dashboard, then resolve it as sent, or resend it.{" "}
              {filter !== "uncertain" && (
                <button type="button" className="link" onClick={() => setFilter("uncertain")}>
                  Show the uncertain events
                </button>
              )}
            </div>
          )}

          <div className="card-head sub">
            <h3 className="section-title">Queue</h3>
            <div className="field inline">
              <label htmlFor={ids.filter}>Show</label>
              <select
                id={ids.filter}
                data-testid="state-filter"
                value={filter}
                onChange={(e) => setFilter(e.target.value as api.OutboxState | "")}
              >
                <option value="">All states</option>
                {api.OUTBOX_STATES.map((s) => (
                  <option key={s} value={s}>
                    {STATE_LABELS[s]}
                    {counts ? ` (${counts[s]})` : ""}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {entries === null ? (
            <p className="muted" aria-busy="true">
              Loading the queue…
            </p>
          ) : entries.length === 0 ? (
            <div className="empty small-empty" data-testid="queue-empty">
              <p className="empty-title">
                {filter ? `No ${filter} events in ${selected}` : `No events in the outbox of ${selected}`}
              </p>
            </div>
          ) : (
            <QueueTable
              entries={entries}
              resolving={resolving}
              onResolveOpen={setResolving}
              onResolve={resolve}
              disabled={submitting}
            />
          )}
        </>
      )}
    </section>
  );
}

function ConfirmCancel({ onCancel }: { onCancel: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <button type="button" className="secondary" ref={ref} onClick={onCancel}>
      Cancel
    </button>
  );
}

function RunProgress({ progress }: { progress: SubmitProgress | null }) {
  const total = progress?.total ?? 0;
  const done = progress?.done ?? 0;
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="run-progress" data-testid="submit-progress">
      <div
        className="progress determinate"
        role="progressbar"
        aria-label="Submitting to Wix"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={progress ? `${done} of ${total} events done` : "Starting"}
      >
        {progress ? <div className="progress-fill" style={{ width: `${pct}%` }} /> : <div className="progress-bar" />}
      </div>
      <p className="muted small" aria-live="polite">
        {progress
          ? `${done} of ${total} done — ${progress.sent} sent, ${progress.rejected} rejected, ${progress.uncertain} uncertain, ${progress.retrying} retried`
          : "Connecting to Wix…"}
      </p>
    </div>
  );
}

function RunResult({ report }: { report: SubmitReport }) {
  const c = report.counts;
  const summary = `${c.sent} sent, ${c.rejected} rejected, ${c.uncertain} uncertain, ${c.queued} queued (${report.requests} ${
    report.requests === 1 ? "request" : "requests"
  } in this run).`;
  if (report.stopped) {
    return (
      <div className="message error" role="alert" data-testid="submit-stopped">
        <strong>Wix stopped the run:</strong> {report.stopped}
        <p className="small">
          This is a configuration problem, not a problem with the events: the remaining events stay queued. Fix it, then
          submit again. {summary}
        </p>
      </div>
    );
  }
  return (
    <div className={`message ${c.uncertain + c.rejected > 0 ? "warn" : "ok"}`} role="status" data-testid="submit-result">
      <strong>Run finished: {report.month} is {report.status}.</strong> {summary}
      {report.recovered_uncertain > 0 &&
        ` ${report.recovered_uncertain} event(s) left in flight by an earlier run became uncertain.`}
    </div>
  );
}

interface QueueProps {
  entries: OutboxEntry[];
  resolving: string | null;
  onResolveOpen: (id: string | null) => void;
  onResolve: (e: OutboxEntry, how: api.Resolution, reason: string) => Promise<void>;
  disabled: boolean;
}

function QueueTable({ entries, resolving, onResolveOpen, onResolve, disabled }: QueueProps) {
  return (
    <div className="table-wrap">
      <table className="table queue" aria-label="Outbox" data-testid="queue-table">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Instance</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">Gross</th>
            <th scope="col" className="num">Wix share</th>
            <th scope="col">State</th>
            <th scope="col" className="num">Attempts</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Last error</th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <QueueRow
              key={e.id}
              entry={e}
              open={resolving === e.id}
              onOpen={() => onResolveOpen(e.id)}
              onClose={() => onResolveOpen(null)}
              onResolve={(how, reason) => onResolve(e, how, reason)}
              disabled={disabled}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function QueueRow({
  entry: e,
  open,
  onOpen,
  onClose,
  onResolve,
  disabled,
}: {
  entry: OutboxEntry;
  open: boolean;
  onOpen: () => void;
  onClose: () => void;
  onResolve: (how: api.Resolution, reason: string) => Promise<void>;
  disabled: boolean;
}) {
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (!open && wasOpen.current) buttonRef.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return (
    <>
      <tr data-testid={`outbox-row-${e.id}`} data-state={e.state}>
        <td>
          <code>{e.id}</code>
        </td>
        <td>
          <code title={e.instance_id}>{e.instance_id}</code>
        </td>
        <td>{e.billing_type}</td>
        <td className="num">{e.gross}</td>
        <td className="num">{e.wix_share}</td>
        <td data-col="state">
          <span className={`state state-${e.state}`}>{e.state}</span>
        </td>
        <td className="num">{e.attempts}</td>
        <td>{e.last_attempt_at ? formatTimestamp(e.last_attempt_at) : "—"}</td>
        <td className="detail">{e.last_error ?? "—"}</td>
        <td className="actions">
          {e.state === "uncertain" && !open && (
            <button
              type="button"
              className="secondary"
              ref={buttonRef}
              onClick={onOpen}
              disabled={disabled}
              aria-label={`Resolve ${e.id}`}
            >
              Resolve…
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="form-row">
          <td colSpan={10}>
            <ResolvePanel entry={e} onCancel={onClose} onResolve={onResolve} />
          </td>
        </tr>
      )}
    </>
  );
}

function ResolvePanel({
  entry,
  onCancel,
  onResolve,
}: {
  entry: OutboxEntry;
  onCancel: () => void;
  onResolve: (how: api.Resolution, reason: string) => Promise<void>;
}) {
  const [attempts, setAttempts] = useState<AttemptInfo[] | null>(null);
  const [attemptsError, setAttemptsError] = useState<string | null>(null);
  const [how, setHow] = useState<api.Resolution | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { sent: useId(), resend: useId(), reason: useId(), legend: useId() };
  const firstRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    firstRef.current?.focus();
    api.outboxAttempts(entry.id).then(setAttempts, (e) => setAttemptsError(api.errorMessage(e)));
  }, [entry.id]);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (how === null || reason.trim() === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onResolve(how, reason.trim());
    } catch (err) {
      setError(api.errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <div
      className="resolve-panel"
      data-testid="resolve-panel"
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <h4>Attempts of {entry.id}</h4>
      {attemptsError ? (
        <p className="message error" role="alert">
          {attemptsError}
        </p>
      ) : attempts === null ? (
        <p className="muted" aria-busy="true">
          Loading the attempts…
        </p>
      ) : attempts.length === 0 ? (
        <p className="muted">No attempt recorded.</p>
      ) : (
        <table className="table attempts" aria-label={`Attempts of ${entry.id}`}>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">HTTP</th>
              <th scope="col">Auth</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a, i) => (
              <tr key={i}>
                <td>{formatTimestamp(a.started_at)}</td>
                <td>{a.finished_at ? formatTimestamp(a.finished_at) : "—"}</td>
                <td>{a.outcome ?? "in flight"}</td>
                <td className="num">{a.http_status ?? "—"}</td>
                <td>{a.auth_flow ?? "—"}</td>
                <td className="detail">{a.message ?? a.response ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="resolve-form" onSubmit={submit} aria-label={`Resolve ${entry.id}`}>
        <fieldset disabled={busy}>
          <legend id={ids.legend}>What happened to it at Wix?</legend>
          <div className="field checkbox">
            <input
              id={ids.sent}
              ref={firstRef}
              type="radio"
              name={`how-${entry.id}`}
              value="sent"
              checked={how === "sent"}
              onChange={() => setHow("sent")}
            />
            <label htmlFor={ids.sent}>Wix has it — mark it sent</label>
          </div>
          <div className="field checkbox">
            <input
              id={ids.resend}
              type="radio"
              name={`how-${entry.id}`}
              value="resend"
              checked={how === "resend"}
              onChange={() => setHow("resend")}
            />
            <label htmlFor={ids.resend}>Wix does not have it — send it again with the next submission</label>
          </div>
          <div className="field grow">
            <label htmlFor={ids.reason}>Reason (required, kept in the audit log)</label>
            <input
              id={ids.reason}
              type="text"
              name="reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="e.g. seen in the Wix dashboard on 2026-11-03"
              autoComplete="off"
            />
          </div>
          <div className="form-buttons">
            <button type="submit" className="primary" disabled={how === null || reason.trim() === ""}>
              {busy ? "Resolving…" : "Resolve"}
            </button>
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </fieldset>
        {error && (
          <p className="message error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
