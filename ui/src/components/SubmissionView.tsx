import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { AttemptInfo } from "../bindings/AttemptInfo";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { StateCounts } from "../bindings/StateCounts";
import type { SubmitProgress } from "../bindings/SubmitProgress";
import type { SubmitReport } from "../bindings/SubmitReport";
import { formatAmount, formatCount, formatTimestamp, useDisplayTimeZone } from "../format";
import { useSettled } from "../settled";
import { MonthPicker } from "./MonthPicker";
import { PagedTable, type Column } from "./PagedTable";

const STATE_LABELS: Record<api.OutboxState, string> = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  rejected: "Rejected",
  uncertain: "Uncertain",
};

/** The outbox of an approved month: counts per state, the queue (by page), submit, uncertain events. */
/** What the refund form is opened with to correct an event Wix has. */
export interface Correction {
  initial: Partial<api.RefundRequest>;
  context: string;
}

export function SubmissionView({ active, onCorrect }: { active: boolean; onCorrect?: (c: Correction) => void }) {
  useDisplayTimeZone();
  const [months, setMonths] = useState<MonthInfo[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [filter, setFilter] = useState<api.OutboxState | "">("");
  const [search, setSearch] = useState("");
  const settled = useSettled(search.trim());
  const [counts, setCounts] = useState<StateCounts | null>(null);
  // Bumped whenever the outbox may have changed: the queue asks for its pages again.
  const [refresh, setRefresh] = useState(0);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [recovered, setRecovered] = useState(0);
  const [progress, setProgress] = useState<SubmitProgress | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<SubmitReport | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resolving, setResolving] = useState<OutboxEntry | null>(null);
  const latest = useRef(0);
  // What had the focus when a resolution was opened (its Resolve button): it gets it back.
  const opener = useRef<HTMLElement | null>(null);
  const ids = { filter: useId(), search: useId() };

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

  const loadCounts = useCallback(async (month: string) => {
    const ticket = ++latest.current;
    try {
      const c = await api.outboxCounts(month);
      if (ticket !== latest.current) return;
      setCounts(c);
      setLoadError(null);
      setRefresh((n) => n + 1);
    } catch (e) {
      if (ticket === latest.current) setLoadError(api.errorMessage(e));
    }
  }, []);

  // Fresh data every time the view is shown.
  useEffect(() => {
    if (active) void loadMonths();
  }, [active, loadMonths]);

  useEffect(() => {
    if (active && selected !== null) void loadCounts(selected);
  }, [active, selected, loadCounts]);

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
      await loadCounts(month);
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
    setResult(null);
    await loadMonths();
    if (selected !== null) await loadCounts(selected);
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
                setResolving(null);
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
              if (selected !== null) void loadCounts(selected);
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
                  <dd data-value={counts[s]}>{formatCount(counts[s])}</dd>
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
                  Send {formatCount(queued)} {queued === 1 ? "event" : "events"} of {selected} to Wix?
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
                    : `Submit ${formatCount(queued)} queued ${queued === 1 ? "event" : "events"}`}
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

          {info?.status === "submitted" && onCorrect && (
            <div className="message info" role="note" data-testid="submitted-note">
              {selected} is submitted: every event is with Wix. To correct one, enter a manual refund.{" "}
              <button
                type="button"
                className="link"
                data-testid="submission-correct"
                onClick={() => onCorrect({ initial: {}, context: `A correction of ${selected}, submitted to Wix: a manual refund counts in the month of its date.` })}
              >
                Correct it with a manual refund…
              </button>
            </div>
          )}

          {counts && counts.rejected > 0 && (
            <div className="message warn" role="note" data-testid="rejected-callout">
              <strong>
                {counts.rejected} {counts.rejected === 1 ? "event was" : "events were"} rejected by Wix:
              </strong>{" "}
              the last error says why. Fix the cause, then re-queue {counts.rejected === 1 ? "it" : "each"}: it goes out with the next submission.{" "}
              {filter !== "rejected" && (
                <button type="button" className="link" onClick={() => setFilter("rejected")}>
                  Show the rejected events
                </button>
              )}
            </div>
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
          <div className="filters">
            <div className="field search">
              <label htmlFor={ids.search}>Search the queue</label>
              <input
                id={ids.search}
                type="search"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                placeholder="Event id or instance id"
                spellCheck={false}
                autoComplete="off"
                data-testid="queue-search"
              />
            </div>
          </div>
          {counts === null ? (
            <p className="muted" aria-busy="true">
              Loading the queue…
            </p>
          ) : (
            <QueueTable
              month={selected}
              state={filter}
              search={settled}
              refresh={refresh}
              onResolveOpen={(e) => {
                opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
                setResolving(e);
              }}
              onCorrect={onCorrect ? (e) => onCorrect(correctionOf(e)) : undefined}
              disabled={submitting}
            />
          )}
          {resolving && (
            <ResolvePanel
              key={resolving.id}
              entry={resolving}
              onCancel={() => {
                setResolving(null);
                if (opener.current?.isConnected) opener.current.focus();
              }}
              onResolve={(how, reason) => resolve(resolving, how, reason)}
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
          ? `${formatCount(done)} of ${formatCount(total)} done — ${formatCount(progress.sent)} sent, ${formatCount(progress.rejected)} rejected, ${formatCount(progress.uncertain)} uncertain, ${formatCount(progress.retrying)} retried`
          : "Connecting to Wix…"}
      </p>
    </div>
  );
}

function RunResult({ report }: { report: SubmitReport }) {
  const c = report.counts;
  const summary = `${formatCount(c.sent)} sent, ${formatCount(c.rejected)} rejected, ${formatCount(c.uncertain)} uncertain, ${formatCount(c.queued)} queued (${formatCount(report.requests)} ${
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
  month: string;
  state: api.OutboxState | "";
  search: string;
  refresh: number;
  onResolveOpen: (e: OutboxEntry) => void;
  onCorrect?: (e: OutboxEntry) => void;
  disabled: boolean;
}

/** The refund form's prefill to correct a sent event: its instance, and the charge it was. */
export function correctionOf(e: OutboxEntry): Correction {
  const charge = e.billing_type === "CHARGE" && /^tx-\d+$/.test(e.id) ? e.id : "";
  return {
    initial: { instance: e.instance_id, charge },
    context: `A correction of ${e.id} (${e.billing_type}, ${formatAmount(e.gross)} USD), which Wix has: a manual refund${charge ? " of that charge" : ""}.`,
  };
}

/** The outbox of one month, by page: filtered by state and searched in the engine. */
function QueueTable({ month, state, search, refresh, onResolveOpen, onCorrect, disabled }: QueueProps) {
  const query = { month, state: state === "" ? null : state, search: search === "" ? null : search };
  const columns: Array<Column<OutboxEntry>> = [
    { id: "id", label: "Event", width: 80, cell: (e) => <code>{e.id}</code>, title: (e) => e.id },
    { id: "instance_id", label: "Instance", width: 104, cell: (e) => <code>{e.instance_id}</code>, title: (e) => e.instance_id },
    { id: "billing_type", label: "Type", width: 76, cell: (e) => e.billing_type },
    { id: "gross", label: "Gross", width: 96, num: true, cell: (e) => <span data-value={e.gross}>{formatAmount(e.gross)}</span> },
    { id: "wix_share", label: "Wix share", width: 88, num: true, cell: (e) => <span data-value={e.wix_share}>{formatAmount(e.wix_share)}</span> },
    { id: "state", label: "State", width: 90, cell: (e) => <span className={`state state-${e.state}`}>{e.state}</span> },
    { id: "attempts", label: "Attempts", width: 84, num: true, cell: (e) => e.attempts },
    { id: "last_attempt_at", label: "Last attempt", width: 176, cell: (e) => (e.last_attempt_at ? formatTimestamp(e.last_attempt_at) : "—") },
    { id: "last_error", label: "Last error", width: 90, grow: true, cell: (e) => e.last_error ?? "—", title: (e) => e.last_error ?? "" },
    {
      id: "actions",
      label: <span className="sr-only">Actions</span>,
      width: 112,
      className: "actions",
      cell: (e) =>
        e.state === "uncertain" || e.state === "rejected" ? (
          <button
            type="button"
            className="secondary"
            onClick={(ev) => {
              ev.stopPropagation();
              onResolveOpen(e);
            }}
            disabled={disabled}
            aria-label={e.state === "uncertain" ? `Resolve ${e.id}` : `Re-queue ${e.id}`}
          >
            {e.state === "uncertain" ? "Resolve…" : "Re-queue…"}
          </button>
        ) : e.state === "sent" && onCorrect ? (
          <button
            type="button"
            className="secondary"
            onClick={(ev) => {
              ev.stopPropagation();
              onCorrect(e);
            }}
            aria-label={`Correct ${e.id} with a manual refund`}
          >
            Refund…
          </button>
        ) : null,
    },
  ];
  return (
    <PagedTable<OutboxEntry>
      label="Outbox"
      testId="queue-table"
      columns={columns}
      queryKey={JSON.stringify([query, refresh])}
      fetchPage={(offset, limit) => api.outboxPage({ ...query, offset, limit })}
      rowKey={(e) => e.id}
      rowAttrs={(e) => ({ "data-testid": `outbox-row-${e.id}`, "data-state": e.state })}
      height={360}
      noun={["event", "events"]}
      empty={
        <div data-testid="queue-empty">
          <p className="empty-title">
            {search !== "" ? `No event of ${month} matches “${search}”` : state ? `No ${state} events in ${month}` : `No events in the outbox of ${month}`}
          </p>
        </div>
      }
    />
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
  const rejected = entry.state === "rejected";
  const [how, setHow] = useState<api.Resolution | null>(rejected ? "resend" : null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { sent: useId(), resend: useId(), reason: useId(), legend: useId() };
  const firstRef = useRef<HTMLInputElement>(null);
  const reasonRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    (rejected ? reasonRef : firstRef).current?.focus();
    api.outboxAttempts(entry.id).then(setAttempts, (e) => setAttemptsError(api.errorMessage(e)));
    // Once per entry.
  }, [entry.id, rejected]);

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
      <form className="resolve-form" onSubmit={submit} aria-label={rejected ? `Re-queue ${entry.id}` : `Resolve ${entry.id}`}>
        <fieldset disabled={busy}>
          {rejected ? (
            <p className="small">
              Wix rejected {entry.id}
              {entry.last_error ? `: “${entry.last_error}”` : ""}. Once the cause is fixed, queue it again: it goes out with the next
              submission.
            </p>
          ) : (
          <>
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
          </>
          )}
          <div className="field grow">
            <label htmlFor={ids.reason}>Reason (required, kept in the audit log)</label>
            <input
              id={ids.reason}
              ref={reasonRef}
              type="text"
              name="reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="e.g. seen in the Wix dashboard on 2026-11-03"
              autoComplete="off"
            />
          </div>
          <div className="form-buttons">
            <button type="submit" className="primary" disabled={how === null || reason.trim() === ""} data-testid="resolve-submit">
              {busy ? (rejected ? "Queuing…" : "Resolving…") : rejected ? "Re-queue" : "Resolve"}
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
