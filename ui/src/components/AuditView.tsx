// The audit log: every change of data or state, who made it, when, and the values before and
// after. Newest first, by page (the engine filters by month in the ledger's time zone, by
// operator, by kind of change and by what changed); a row opens the entry whole.
import { useCallback, useEffect, useId, useRef, useState } from "react";
import * as api from "../api";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditFacets } from "../bindings/AuditFacets";
import type { AuditLine } from "../bindings/AuditLine";
import { useSettled } from "../settled";
import { PagedTable, type Column } from "./PagedTable";
import "./setup/setup.css";

const TABLE_H = 360;

const COLUMNS: Array<Column<AuditLine>> = [
  { id: "at", label: "When", width: 150, cell: (a) => a.at_local, title: (a) => a.at },
  { id: "who", label: "Who", width: 120, cell: (a) => a.who, title: (a) => a.who },
  { id: "action", label: "Change", width: 170, cell: (a) => <code>{a.action}</code> },
  { id: "entity", label: "What", width: 190, cell: (a) => a.entity, title: (a) => a.entity },
  {
    id: "values",
    label: "Before → after",
    width: 380,
    grow: true,
    cell: (a) => (
      <span className="audit-values">
        {a.before ?? "—"} → {a.after ?? "—"}
      </span>
    ),
    title: (a) => `${a.before ?? "—"} → ${a.after ?? "—"}`,
  },
];

/** A value as stored, for reading: JSON laid out, a string as itself. */
function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  return JSON.stringify(v, null, 2);
}

export function AuditView(props: { active: boolean }) {
  const [facets, setFacets] = useState<AuditFacets | null>(null);
  const [facetsError, setFacetsError] = useState<string | null>(null);
  const [month, setMonth] = useState("");
  const [who, setWho] = useState("");
  const [action, setAction] = useState("");
  const [search, setSearch] = useState("");
  const settled = useSettled(search);
  const [version, setVersion] = useState(0);
  const [timezone, setTimezone] = useState<string | null>(null);
  const [entry, setEntry] = useState<{ line: AuditLine; whole: AuditEntry } | null>(null);
  const [entryError, setEntryError] = useState<string | null>(null);
  const ids = { month: useId(), who: useId(), action: useId(), search: useId() };

  // Each time the view is shown again, the log may have grown: read it again.
  const shownBefore = useRef(false);
  useEffect(() => {
    if (!props.active) return;
    if (shownBefore.current) setVersion((v) => v + 1);
    shownBefore.current = true;
    api.auditFacets().then(
      (f) => {
        setFacets(f);
        setFacetsError(null);
      },
      (e) => setFacetsError(api.errorMessage(e)),
    );
  }, [props.active]);

  const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
  const fetchPage = useCallback(
    async (offset: number, limit: number) => {
      const page = await api.auditPage({ month: orNull(month), who: orNull(who), action: orNull(action), search: orNull(settled), offset, limit });
      setTimezone(page.timezone);
      return page;
    },
    [month, who, action, settled],
  );

  async function open(line: AuditLine) {
    setEntryError(null);
    try {
      setEntry({ line, whole: await api.auditEntry(line.id) });
    } catch (e) {
      setEntry(null);
      setEntryError(api.errorMessage(e));
    }
  }

  const filtered = month !== "" || who !== "" || action !== "" || settled.trim() !== "";
  return (
    <section className="card" aria-labelledby="audit-title">
      <div className="card-head">
        <h2 id="audit-title">Audit log</h2>
        {timezone && <span className="muted small">Times in {timezone}</span>}
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor={ids.month}>Month</label>
          <select id={ids.month} value={month} onChange={(e) => setMonth(e.target.value)} data-testid="audit-month">
            <option value="">All months</option>
            {facets?.months.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.who}>Operator</label>
          <select id={ids.who} value={who} onChange={(e) => setWho(e.target.value)} data-testid="audit-who">
            <option value="">Everyone</option>
            {facets?.operators.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.action}>Kind of change</label>
          <select id={ids.action} value={action} onChange={(e) => setAction(e.target.value)} data-testid="audit-action">
            <option value="">All kinds</option>
            {facets?.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field search">
          <label htmlFor={ids.search}>What changed</label>
          <input
            id={ids.search}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="batch:3, setting:timezone, customer:…"
            data-testid="audit-search"
          />
        </div>
      </div>
      {facetsError && (
        <p className="message error" role="alert">
          The filters could not be read: {facetsError}
        </p>
      )}
      <PagedTable
        label="Audit log"
        testId="audit-table"
        columns={COLUMNS}
        queryKey={`${month}|${who}|${action}|${settled}|${version}`}
        fetchPage={fetchPage}
        rowKey={(a) => String(a.id)}
        onActivate={(a) => void open(a)}
        isCurrent={(a) => entry?.line.id === a.id}
        height={TABLE_H}
        noun={["change", "changes"]}
        empty={
          <>
            <p className="empty-title">{filtered ? "No change matches these filters" : "No change recorded yet"}</p>
            <p className="muted">{filtered ? "Choose other filters, or all months." : "Imports, settings, approvals and submissions are recorded here."}</p>
          </>
        }
      />
      <p className="muted small">Select a line (click, or arrows and Enter) to read the change whole.</p>
      {entryError && (
        <p className="message error" role="alert">
          {entryError}
        </p>
      )}
      {entry && (
        <div className="audit-detail" data-testid="audit-detail" aria-live="polite">
          <h3 className="section-title">
            {entry.whole.action} · {entry.whole.entity} · {entry.whole.who} · {entry.line.at_local}
            <button type="button" className="link" onClick={() => setEntry(null)}>
              Close
            </button>
          </h3>
          <div className="audit-values-whole">
            <div>
              <p className="muted small">Before</p>
              <pre>{show(entry.whole.before)}</pre>
            </div>
            <div>
              <p className="muted small">After</p>
              <pre>{show(entry.whole.after)}</pre>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
