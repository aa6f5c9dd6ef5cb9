import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import * as api from "../api";
import type { EventLine } from "../bindings/EventLine";
import type { EventSort } from "../bindings/EventSort";
import type { EventState } from "../bindings/EventState";
import type { Exception } from "../bindings/Exception";
import type { InstanceLine } from "../bindings/InstanceLine";
import type { InstanceSort } from "../bindings/InstanceSort";
import type { MonthInfo } from "../bindings/MonthInfo";
import type { MonthSummary } from "../bindings/MonthSummary";
import type { PayoutCheck } from "../bindings/PayoutCheck";
import type { StateCounts } from "../bindings/StateCounts";
import type { ManualRefundInfo } from "../bindings/ManualRefundInfo";
import { formatAmount, formatCount, formatDate, formatTimestamp, useDisplayTimeZone } from "../format";
import { useSettled } from "../settled";
import { MonthPicker } from "./MonthPicker";
import { PagedTable, type Column, type SortState } from "./PagedTable";
import { MonthStateChart } from "./charts/MonthStateChart";
import { MonthsChart, type SeriesCache } from "./charts/MonthsChart";
import { ExportPanel } from "./ExportPanel";
import { RefundForm } from "./RefundForm";
import { ShareChart } from "./ShareChart";

interface Notice {
  kind: "ok" | "error";
  text: string;
  /** The month and status it speaks of: once either changes, it is stale and not shown. */
  month: string | null;
  status: MonthSummary["status"] | null;
  /** A deleted manual refund: the notice offers to enter it again, prefilled. */
  again?: { initial: Partial<api.RefundRequest>; context: string };
}

/** A request to open the manual refund form, prefilled (from the Submission view). */
export interface RefundRequest {
  /** Bumped for each request, so the same prefill can be asked twice. */
  seq: number;
  initial: Partial<api.RefundRequest>;
  context: string;
}

/** What the Month view shows of one month: its summary, and its outbox counts once approved. */
interface Shown {
  summary: MonthSummary;
  /** The outbox's counts per state (approved and submitted months): what went to Wix yet. */
  counts: StateCounts | null;
}

/** The month under review: picker, totals, exceptions, approval, instances and events by page. */
export function MonthView({ active, refundRequest = null }: { active: boolean; refundRequest?: RefundRequest | null }) {
  const [months, setMonths] = useState<MonthInfo[] | null>(null);
  const [monthsError, setMonthsError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [summaryError, setSummaryError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [refusal, setRefusal] = useState<Exception[] | null>(null);
  const [refund, setRefund] = useState<{ initial: Partial<api.RefundRequest>; context?: string } | null>(null);
  // Bumped whenever the month may have changed: the tables ask for their pages again.
  const [refresh, setRefresh] = useState(0);
  // Bumped whenever the months' totals may have changed (the month-by-month chart asks again
  // then, and not when another month is only looked at).
  const [version, setVersion] = useState(0);
  const seriesCache = useRef<SeriesCache["current"]>(null);
  const latest = useRef(0);
  const againRef = useRef<HTMLButtonElement>(null);

  const loadMonths = useCallback(async () => {
    try {
      const ms = await api.listMonths();
      setMonths(ms);
      setVersion((v) => v + 1);
      setMonthsError(null);
      setSelected((cur) => (cur !== null && ms.some((m) => m.month === cur) ? cur : (ms[0]?.month ?? null)));
    } catch (e) {
      setMonthsError(api.errorMessage(e));
    }
  }, []);

  const show = useCallback(async (month: string, given?: MonthSummary) => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const summary = given ?? (await api.monthSummary(month));
      // Approved and submitted months have an outbox: the glance shows how far it is with Wix.
      const counts = summary.status === "open" ? null : await api.outboxCounts(month);
      if (ticket !== latest.current) return;
      setShown({ summary, counts });
      setSummaryError(null);
      setRefresh((n) => n + 1);
    } catch (e) {
      if (ticket !== latest.current) return;
      setShown(null);
      setSummaryError(api.errorMessage(e));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (refundRequest) setRefund({ initial: refundRequest.initial, context: refundRequest.context });
  }, [refundRequest]);

  // Fresh data every time the view is shown: imports may have changed the months.
  useEffect(() => {
    if (active) void loadMonths();
  }, [active, loadMonths]);

  useEffect(() => {
    if (active && selected !== null) void show(selected);
  }, [active, selected, show]);

  const refreshAll = useCallback(async () => {
    await loadMonths();
    if (selected !== null) await show(selected);
  }, [loadMonths, show, selected]);

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
        const n = outcome.summary.totals.events;
        setNotice({ kind: "ok", month, status: "approved", text: `${month} approved: its ${formatCount(n)} ${n === 1 ? "event is" : "events are"} frozen and queued for Wix.` });
        await show(month, outcome.summary);
        await loadMonths();
      } else {
        setRefusal(outcome.exceptions);
        await show(month);
      }
    } catch (e) {
      setNotice({ kind: "error", month, status: "open", text: `${month} was not approved: ${api.errorMessage(e)}` });
    }
  }

  async function reopen(month: string, reason: string) {
    setNotice(null);
    setRefusal(null);
    await api.reopenMonth(month, reason);
    setNotice({ kind: "ok", month, status: "open", text: `${month} reopened: its events are computed live again.` });
    await refreshAll();
  }

  async function assign(ex: Exception, instance: string, saveMapping: boolean) {
    await api.assignInstance(ex.txn_id!, instance, saveMapping);
    setNotice({
      kind: "ok",
      month: selected,
      status: "open",
      text: `${ex.source_id} assigned to ${instance}${saveMapping ? ", and its customer mapped" : ""}.`,
    });
    setRefusal(null);
    setVersion((v) => v + 1);
    if (selected !== null) await show(selected);
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
      setNotice({ kind: "ok", month: selected, status: "open", text });
      setRefusal(null);
    } catch (e) {
      setNotice({ kind: "error", month: selected, status: "open", text: `${ex.source_id} was not classified: ${api.errorMessage(e)}` });
    }
    setVersion((v) => v + 1);
    if (selected !== null) await show(selected);
  }

  async function refundAdded(r: ManualRefundInfo) {
    setRefund(null);
    setRefusal(null);
    setNotice({
      kind: "ok",
      month: null,
      status: null,
      text: `Manual refund ${r.id} added: ${formatAmount(r.amount)} USD back to ${r.instance_id} on ${r.date}${r.charge ? ` (charge ${r.charge})` : ""}. It counts in the month of its date, or as a late event of the next open month when that month is approved.`,
    });
    await refreshAll();
  }

  async function refundDeleted(r: ManualRefundInfo) {
    setRefusal(null);
    setNotice({
      kind: "ok",
      month: selected,
      status: "open",
      text: `Manual refund ${r.id} deleted: ${formatAmount(r.amount)} USD back to ${r.instance_id} on ${r.date}${r.charge ? ` (charge ${r.charge})` : ""} no longer counts. The deletion is in the audit log.`,
      again: {
        initial: { instance: r.instance_id, date: r.date, amount: r.amount, feeReturned: r.fee_returned === "0.00" ? "" : r.fee_returned, charge: r.charge ?? "", reason: r.reason },
        context: `Entering ${r.id} again, as it was before it was deleted: correct what was wrong, then add it (it gets a new id).`,
      },
    });
    await refreshAll();
  }

  const info = months?.find((m) => m.month === selected) ?? null;
  const status = shown?.summary.month === selected ? shown.summary.status : null;
  const showNotice = notice !== null && (notice.month === null || notice.month === selected) && (notice.status === null || notice.status === status);
  // The deleted refund's row is gone with the focus it had: the notice's next step takes it.
  const againShown = showNotice && notice?.again !== undefined;
  useEffect(() => {
    if (againShown) againRef.current?.focus();
  }, [againShown, notice]);

  return (
    <section className="card" aria-labelledby="month-title" data-testid="month-view">
      <div className="card-head">
        <h2 id="month-title">Month review</h2>
        <div className="head-tools">
          {months && months.length > 0 && (
            <MonthPicker months={months} value={selected} onChange={choose} testId="month-picker" />
          )}
          <button type="button" className="secondary" onClick={() => setRefund({ initial: {} })} disabled={refund !== null} data-testid="open-refund">
            Manual refund…
          </button>
          <button type="button" className="secondary" onClick={() => void refreshAll()}>
            Refresh
          </button>
        </div>
      </div>
      {refund && (
        <RefundForm key={JSON.stringify(refund.initial)} initial={refund.initial} context={refund.context} onAdded={refundAdded} onCancel={() => setRefund(null)} />
      )}

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
          {notice && showNotice && (
            <p className={`message ${notice.kind === "ok" ? "ok" : "error"}`} role={notice.kind === "ok" ? "status" : "alert"} data-testid="month-notice">
              {notice.text}
              {notice.again && (
                <>
                  {" "}
                  <button
                    type="button"
                    className="link"
                    ref={againRef}
                    disabled={refund !== null}
                    onClick={() => setRefund({ initial: notice.again!.initial, context: notice.again!.context })}
                    data-testid="refund-again"
                  >
                    Enter it again…
                  </button>
                </>
              )}
            </p>
          )}
          {refusal && <Refusal month={selected ?? ""} exceptions={refusal} />}
          {summaryError ? (
            <div className="message error" role="alert">
              <strong>The month could not be read.</strong> {summaryError}
            </div>
          ) : shown === null || shown.summary.month !== selected ? (
            <div aria-busy="true" className="loading-block">
              <p className="muted">Building the summary of {selected}…</p>
              <div className="progress" role="progressbar" aria-label="Building the month summary">
                <div className="progress-bar" />
              </div>
            </div>
          ) : (
            <MonthDetails
              key={shown.summary.month}
              summary={shown.summary}
              counts={shown.counts}
              info={info}
              busy={loading}
              refresh={refresh}
              version={version}
              seriesCache={seriesCache}
              onApprove={approve}
              onReopen={reopen}
              onAssign={assign}
              onClassify={classify}
              onRefundDeleted={refundDeleted}
              onRefund={() => setRefund({ initial: {}, context: `${selected} was submitted: a correction is a manual refund, which counts in the month of its date (a late event of the next open month).` })}
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

interface DetailsProps {
  summary: MonthSummary;
  counts: StateCounts | null;
  info: MonthInfo | null;
  busy: boolean;
  refresh: number;
  /** See MonthView's `version`. */
  version: number;
  seriesCache: SeriesCache;
  onApprove: (month: string) => Promise<void>;
  onReopen: (month: string, reason: string) => Promise<void>;
  onAssign: (ex: Exception, instance: string, saveMapping: boolean) => Promise<void>;
  onClassify: (ex: Exception, action: api.Classification) => Promise<void>;
  onRefund: () => void;
  /** A manual refund was deleted from the events table. */
  onRefundDeleted: (r: ManualRefundInfo) => Promise<void>;
}

/** A number of the summary: shown grouped, its exact value in `data-value` (for scripts). */
function Figure({ label, value, col }: { label: string; value: string; col: string }) {
  return (
    <div data-col={col}>
      <dt>{label}</dt>
      <dd data-value={value}>{formatAmount(value)}</dd>
    </div>
  );
}

function MonthDetails({ summary, counts, info, busy, refresh, version, seriesCache, onApprove, onReopen, onAssign, onClassify, onRefund, onRefundDeleted }: DetailsProps) {
  useDisplayTimeZone();
  const month = summary.month;
  const t = summary.totals;
  const [instance, setInstance] = useState<string | null>(null);
  const eventsRef = useRef<HTMLDivElement>(null);

  function filterEvents(id: string | null) {
    setInstance(id);
    if (id !== null) eventsRef.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }

  return (
    <div className="month-report" aria-busy={busy} data-month={month} data-status={summary.status}>
      <div className="status-line">
        <span className={`status status-${summary.status}`} data-testid="month-status">
          {summary.status}
        </span>
        {info?.approved_at && (
          <span className="muted">
            approved {formatTimestamp(info.approved_at)}
            {info.approved_by ? ` by ${info.approved_by}` : ""}
          </span>
        )}
        {summary.app_name && <span className="muted">· {summary.app_name}</span>}
      </div>

      <dl className="counts totals" data-testid="month-totals">
        <Figure label="Events" value={String(t.events)} col="events" />
        <Figure label="Gross (USD)" value={t.gross} col="gross" />
        <Figure label="Expenses (USD)" value={t.expenses} col="expenses" />
        <Figure label="Net (USD)" value={t.net} col="net" />
        <Figure label="Wix share (USD)" value={t.wix_share} col="wix_share" />
      </dl>
      <dl className="counts month-counts" data-testid="month-counts">
        <Figure label="Charges" value={String(summary.charges)} col="charges" />
        <Figure label="Refunds" value={String(summary.refunds)} col="refunds" />
        <Figure label="Late" value={String(summary.late)} col="late" />
        <Figure label="Instances" value={String(summary.instances)} col="instances" />
      </dl>

      <div className="overview">
        <MonthStateChart summary={summary} counts={counts} />
        <MonthsChart version={version} cache={seriesCache} />
      </div>

      <ApprovalPanel summary={summary} counts={counts} onApprove={onApprove} onReopen={onReopen} onRefund={onRefund} />

      <ExportPanel month={month} />

      <Exceptions exceptions={summary.exceptions} onAssign={onAssign} onClassify={onClassify} />

      <Payouts payouts={summary.payouts} />

      {t.events === 0 ? (
        <>
          <h3 className="section-title">Instances</h3>
          <div className="empty small-empty" data-testid="instances-empty">
            <p className="empty-title">No billing events in {month}</p>
            <p className="muted">Rows without an instance are listed as exceptions above.</p>
          </div>
        </>
      ) : (
        <>
          <h3 className="section-title">Instances</h3>
          <TopShares month={month} count={summary.instances} refresh={refresh} />
          <InstancesTable summary={summary} refresh={refresh} current={instance} onPick={(id) => filterEvents(id === instance ? null : id)} />
          <div ref={eventsRef}>
            <h3 className="section-title">Events</h3>
            <EventsTable
              month={month}
              refresh={refresh}
              instance={instance}
              onInstance={filterEvents}
              onRefundDeleted={summary.status === "open" ? onRefundDeleted : undefined}
            />
          </div>
        </>
      )}
    </div>
  );
}

/** The ten instances with the largest Wix share, asked of the engine. */
function TopShares({ month, count, refresh }: { month: string; count: number; refresh: number }) {
  const [top, setTop] = useState<InstanceLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api
      .instancePage({ month, search: null, sort: "wix_share", descending: true, offset: 0, limit: 10 })
      .then(
        (page) => {
          if (!current) return;
          setTop(page.rows);
          setError(null);
        },
        (e: unknown) => {
          if (current) setError(api.errorMessage(e));
        },
      );
    return () => {
      current = false;
    };
  }, [month, refresh]);
  if (error !== null) {
    return (
      <p className="message error" role="alert">
        The chart could not be drawn: {error}
      </p>
    );
  }
  return top === null ? null : <ShareChart top={top} count={count} />;
}

function SearchBox({ label, value, onChange, placeholder, testId }: { label: string; value: string; onChange: (v: string) => void; placeholder: string; testId: string }) {
  const id = useId();
  return (
    <div className="field search">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        data-testid={testId}
      />
    </div>
  );
}

function Select<T extends string>({ label, value, options, onChange, testId }: { label: string; value: T; options: Array<[T, string]>; onChange: (v: T) => void; testId: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T)} data-testid={testId}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

const num = (s: string) => <span data-value={s}>{formatAmount(s)}</span>;

const INSTANCE_COLUMNS: Array<Column<InstanceLine, InstanceSort>> = [
  { id: "instance_id", label: "Instance", width: 290, grow: true, sort: "instance_id", cell: (l) => <code>{l.instance_id}</code>, title: (l) => l.instance_id },
  // A count of events, not money: the only sum the window makes.
  { id: "events", label: "Events", width: 66, num: true, sort: "events", firstDescending: true, cell: (l) => formatCount(l.charges + l.refunds) },
  { id: "charges", label: "Charges", width: 72, num: true, cell: (l) => formatCount(l.charges) },
  { id: "refunds", label: "Refunds", width: 72, num: true, cell: (l) => formatCount(l.refunds) },
  { id: "gross", label: "Gross", width: 122, num: true, sort: "gross", firstDescending: true, cell: (l) => num(l.gross) },
  { id: "expenses", label: "Expenses", width: 112, num: true, sort: "expenses", firstDescending: true, cell: (l) => num(l.expenses) },
  { id: "net", label: "Net", width: 122, num: true, sort: "net", firstDescending: true, cell: (l) => num(l.net) },
  { id: "wix_share", label: "Wix share", width: 112, num: true, sort: "wix_share", firstDescending: true, cell: (l) => num(l.wix_share) },
];

function InstancesTable({ summary, refresh, current, onPick }: { summary: MonthSummary; refresh: number; current: string | null; onPick: (id: string) => void }) {
  const month = summary.month;
  const t = summary.totals;
  const [search, setSearch] = useState("");
  const settled = useSettled(search.trim());
  const [sort, setSort] = useState<SortState<InstanceSort>>({ by: "instance_id", descending: false });
  const query = { month, search: settled === "" ? null : settled, sort: sort.by, descending: sort.descending };
  return (
    <>
      <div className="filters">
        <SearchBox label="Search instances" value={search} onChange={setSearch} placeholder="Part of an instance id" testId="instances-search" />
        <p className="muted small">Click an instance (or press Enter on it) to see its events below.</p>
      </div>
      <PagedTable<InstanceLine, InstanceSort>
        label={`Instances of ${month}`}
        testId="instances-table"
        columns={INSTANCE_COLUMNS}
        queryKey={JSON.stringify([query, refresh])}
        fetchPage={(offset, limit) => api.instancePage({ ...query, offset, limit })}
        rowKey={(l) => l.instance_id}
        rowAttrs={(l) => ({ "data-instance": l.instance_id })}
        sort={sort}
        onSort={setSort}
        onActivate={(l) => onPick(l.instance_id)}
        isCurrent={(l) => l.instance_id === current}
        height={268}
        noun={["instance", "instances"]}
        empty={<p className="empty-title">No instance of {month} matches “{settled}”</p>}
        footer={{
          instance_id: `Month total (${formatCount(t.events)} ${t.events === 1 ? "event" : "events"})`,
          gross: num(t.gross),
          expenses: num(t.expenses),
          net: num(t.net),
          wix_share: num(t.wix_share),
        }}
      />
    </>
  );
}


const EVENT_STATES: EventState[] = ["draft", "queued", "sending", "sent", "rejected", "uncertain"];

const EVENT_COLUMNS: Array<Column<EventLine, EventSort>> = [
  { id: "created_date", label: "Date", width: 96, sort: "report", cell: (e) => formatDate(e.created_date), title: (e) => `${formatTimestamp(e.created_date)} (${e.created_date})` },
  { id: "id", label: "Event", width: 76, cell: (e) => <code>{e.id}</code>, title: (e) => e.id },
  { id: "instance_id", label: "Instance", width: 100, sort: "instance", cell: (e) => <code>{e.instance_id}</code>, title: (e) => e.instance_id },
  { id: "billing_type", label: "Type", width: 76, cell: (e) => e.billing_type },
  // Event, Instance and Source ID are narrow at 1100 px (their tooltips and the search have them
  // whole), so that an open month's actions column fits beside the others; Source ID takes what
  // a wider window leaves.
  { id: "source_id", label: "Source ID", width: 84, grow: true, cell: (e) => <code>{e.source_id ?? "—"}</code>, title: (e) => `${e.source}: ${e.source_id ?? "manual"}` },
  { id: "gross", label: "Gross", width: 100, num: true, sort: "gross", firstDescending: true, cell: (e) => num(e.gross) },
  { id: "expenses", label: "Expenses", width: 84, num: true, cell: (e) => num(e.expenses), title: (e) => e.expense_note },
  { id: "net", label: "Net", width: 100, num: true, sort: "net", firstDescending: true, cell: (e) => num(e.net) },
  { id: "wix_share", label: "Wix share", width: 90, num: true, sort: "wix_share", firstDescending: true, cell: (e) => num(e.wix_share), title: (e) => `${e.rate}% — ${e.rate_basis}` },
  { id: "late", label: "Late", width: 56, cell: (e) => (e.late ? <span className="tag">late</span> : "") },
  { id: "state", label: "State", width: 86, cell: (e) => <span className={`state state-${e.state}`}>{e.state}</span> },
];

/** A line the operator may delete: a manual refund (`mr-<n>`) not frozen in an approval. */
function deletable(e: EventLine): boolean {
  return e.source === "manual" && /^mr-\d+$/.test(e.id) && e.state === "draft";
}

/** The events' columns; with `onDelete` (an open month), a manual refund's line has Delete…. */
function eventColumns(onDelete?: (e: EventLine) => void): Array<Column<EventLine, EventSort>> {
  if (!onDelete) return EVENT_COLUMNS;
  return [
    ...EVENT_COLUMNS,
    {
      id: "actions",
      label: <span className="sr-only">Actions</span>,
      // Wide enough for its button: a pinned cell's overflow would be cut at the box's edge.
      width: 80,
      className: "actions events-actions",
      cell: (e) =>
        deletable(e) ? (
          <button
            type="button"
            className="secondary"
            onClick={(ev) => {
              ev.stopPropagation();
              onDelete(e);
            }}
            aria-label={`Delete manual refund ${e.id}`}
            data-testid={`delete-${e.id}`}
          >
            Delete…
          </button>
        ) : null,
    },
  ];
}

type Choice<T extends string> = T | "";

/** The events of one instance, typed (or picked in the instances table above). */
function InstanceFilter({ value, onChange }: { value: string | null; onChange: (id: string | null) => void }) {
  const [text, setText] = useState(value ?? "");
  const settled = useSettled(text.trim());
  // A pick in the instances table shows here.
  useEffect(() => setText(value ?? ""), [value]);
  useEffect(() => {
    if (settled !== (value ?? "")) onChange(settled === "" ? null : settled);
    // Only a settled edit of the field filters (not a pick, which already did).
  }, [settled]);
  return <SearchBox label="Instance" value={text} onChange={setText} placeholder="Instance id" testId="events-instance-filter" />;
}

function EventsTable({
  month,
  refresh,
  instance,
  onInstance,
  onRefundDeleted,
}: {
  month: string;
  refresh: number;
  instance: string | null;
  onInstance: (id: string | null) => void;
  /** Given while the month is open: its manual refunds can be deleted. */
  onRefundDeleted?: (r: ManualRefundInfo) => Promise<void>;
}) {
  const [deleting, setDeleting] = useState<EventLine | null>(null);
  // What had the focus when the confirmation opened (the line's Delete… button): it gets it back.
  const opener = useRef<HTMLElement | null>(null);
  const [billing, setBilling] = useState<Choice<"CHARGE" | "REFUND">>("");
  const [late, setLate] = useState<Choice<"late" | "on-time">>("");
  const [state, setState] = useState<Choice<EventState>>("");
  const [search, setSearch] = useState("");
  const settled = useSettled(search.trim());
  const [sort, setSort] = useState<SortState<EventSort>>({ by: "report", descending: false });
  const query = {
    month,
    instance,
    billing_type: billing === "" ? null : billing,
    late: late === "" ? null : late === "late",
    state: state === "" ? null : state,
    search: settled === "" ? null : settled,
    sort: sort.by,
    descending: sort.descending,
  };
  const filtered = instance !== null || billing !== "" || late !== "" || state !== "" || settled !== "";
  return (
    <>
      <div className="filters" role="group" aria-label="Filter the events">
        <SearchBox label="Search events" value={search} onChange={setSearch} placeholder="Event id, source id or instance id" testId="events-search" />
        <InstanceFilter value={instance} onChange={onInstance} />
        <Select<Choice<"CHARGE" | "REFUND">>
          label="Type"
          value={billing}
          onChange={setBilling}
          testId="events-type"
          options={[["", "All types"], ["CHARGE", "Charges"], ["REFUND", "Refunds"]]}
        />
        <Select<Choice<"late" | "on-time">>
          label="Late"
          value={late}
          onChange={setLate}
          testId="events-late"
          options={[["", "Late or not"], ["late", "Late only"], ["on-time", "Not late"]]}
        />
        <Select<Choice<EventState>>
          label="State"
          value={state}
          onChange={setState}
          testId="events-state"
          options={[["", "All states"], ...EVENT_STATES.map((s): [EventState, string] => [s, s])]}
        />
      </div>
      {instance !== null && (
        <p className="filter-chip" data-testid="events-instance">
          <span>
            Instance <code>{instance}</code>
          </span>
          <button type="button" className="secondary" onClick={() => onInstance(null)} aria-label="Show the events of every instance">
            ✕
          </button>
        </p>
      )}
      <PagedTable<EventLine, EventSort>
        label={`Events of ${month}`}
        testId="events-table"
        columns={eventColumns(
          onRefundDeleted
            ? (e) => {
                opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
                setDeleting(e);
              }
            : undefined,
        )}
        queryKey={JSON.stringify([query, refresh])}
        fetchPage={(offset, limit) => api.eventPage({ ...query, offset, limit })}
        rowKey={(e) => e.id}
        rowAttrs={(e) => ({ "data-event": e.id, "data-state": e.state })}
        sort={sort}
        onSort={setSort}
        height={360}
        noun={["event", "events"]}
        empty={<p className="empty-title">{filtered ? "No event matches these filters" : `No events in ${month}`}</p>}
      />
      {deleting && onRefundDeleted && (
        <DeleteRefundPanel
          key={deleting.id}
          line={deleting}
          month={month}
          onCancel={() => {
            setDeleting(null);
            if (opener.current?.isConnected) opener.current.focus();
          }}
          onDeleted={async (r) => {
            setDeleting(null);
            await onRefundDeleted(r);
          }}
        />
      )}
    </>
  );
}

/**
 * Asks before deleting a manual refund: what goes (the line as the table shows it, and the
 * refund as it was entered, its reason included), that the audit log records it, and that
 * there is no undo. The engine decides; its refusal is shown here.
 */
function DeleteRefundPanel({
  line,
  month,
  onCancel,
  onDeleted,
}: {
  line: EventLine;
  month: string;
  onCancel: () => void;
  onDeleted: (r: ManualRefundInfo) => Promise<void>;
}) {
  const [entered, setEntered] = useState<ManualRefundInfo | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();

  useEffect(() => {
    // The safe choice has the focus.
    cancelRef.current?.focus();
    let current = true;
    api.manualRefund(line.id).then(
      (r) => {
        if (current) setEntered(r);
      },
      (e: unknown) => {
        if (current) setReadError(api.errorMessage(e));
      },
    );
    return () => {
      current = false;
    };
  }, [line.id]);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    let deleted: ManualRefundInfo;
    try {
      deleted = await api.deleteManualRefund(line.id);
    } catch (e) {
      setError(api.errorMessage(e));
      setBusy(false);
      return;
    }
    await onDeleted(deleted);
  }

  return (
    <form
      className="delete-refund"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) onCancel();
      }}
      aria-labelledby={titleId}
      data-testid="delete-refund"
    >
      <h4 id={titleId}>Delete manual refund {line.id}?</h4>
      <dl className="refund-facts">
        <div>
          <dt>Instance</dt>
          <dd>
            <code>{line.instance_id}</code>
          </dd>
        </div>
        <div>
          <dt>Date</dt>
          <dd>{entered?.date ?? formatDate(line.created_date)}</dd>
        </div>
        <div>
          <dt>Gross (USD)</dt>
          <dd data-value={line.gross}>{formatAmount(line.gross)}</dd>
        </div>
        <div>
          <dt>Wix share (USD)</dt>
          <dd data-value={line.wix_share}>{formatAmount(line.wix_share)}</dd>
        </div>
        {entered && entered.fee_returned !== "0.00" && (
          <div>
            <dt>Fee returned (USD)</dt>
            <dd data-value={entered.fee_returned}>{formatAmount(entered.fee_returned)}</dd>
          </div>
        )}
        {entered?.charge && (
          <div>
            <dt>Original charge</dt>
            <dd>
              <code>{entered.charge}</code>
            </dd>
          </div>
        )}
        <div className="reason">
          <dt>Reason</dt>
          <dd data-testid="delete-refund-reason">{entered ? entered.reason : readError === null ? "Loading…" : "—"}</dd>
        </div>
      </dl>
      {readError !== null && (
        <p className="message error" role="alert">
          The refund could not be read: {readError}
        </p>
      )}
      <p className="small">
        It will no longer count in {month}. The deletion is recorded in the audit log, with the refund as it was. There is no undo: to restore
        it, enter it again (the notice after the deletion offers to).
      </p>
      <div className="form-buttons">
        <button type="submit" className="danger" disabled={busy} data-testid="delete-refund-confirm">
          {busy ? "Deleting…" : "Delete refund"}
        </button>
        <button type="button" className="secondary" ref={cancelRef} onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
      {error !== null && (
        <p className="message error" role="alert" data-testid="delete-refund-error">
          {line.id} was not deleted: {error}
        </p>
      )}
    </form>
  );
}

function ApprovalPanel({
  summary,
  counts,
  onApprove,
  onReopen,
  onRefund,
}: {
  summary: MonthSummary;
  counts: StateCounts | null;
  onApprove: (month: string) => Promise<void>;
  onReopen: (month: string, reason: string) => Promise<void>;
  onRefund: () => void;
}) {
  const month = summary.month;
  const [approving, setApproving] = useState(false);
  const [reopening, setReopening] = useState(false);
  const reasonsId = useId();

  if (summary.status === "open") {
    const n = summary.exceptions.length;
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
            {summarise(summary.exceptions)}
          </div>
        ) : (
          <p className="muted why">Approving freezes every event of {month} and queues it for Wix. It can be reopened while nothing is sent.</p>
        )}
      </div>
    );
  }

  // Reopening is possible while every event is still queued: nothing left for Wix.
  const nothingSent = counts !== null && counts.sending + counts.sent + counts.rejected + counts.uncertain === 0;
  if (summary.status === "approved" && nothingSent) {
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
        {summary.status === "submitted"
          ? `${month} was submitted to Wix: it can no longer change. A correction is a manual refund.`
          : `Some events of ${month} were sent to Wix (or are in doubt): it can no longer be reopened; a correction is a manual refund.`}
      </p>
      <button type="button" className="secondary" onClick={onRefund} data-testid="correct-with-refund">
        Correct with a manual refund…
      </button>
    </div>
  );
}

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
              <th scope="col" className="actions-head"><span className="sr-only">Actions</span></th>
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
        <td className="source">
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
            <code>{p.payout_id}</code> ({p.payout_date}, {p.currency}): paid {formatAmount(p.amount)}, items net {formatAmount(p.items_net)} ({p.items}{" "}
            {p.items === 1 ? "item" : "items"})
          </li>
        ))}
      </ul>
    </div>
  );
}
