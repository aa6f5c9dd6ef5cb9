import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import * as api from "./api";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ImportReport } from "./bindings/ImportReport";
import { BatchesTable } from "./components/BatchesTable";
import { ImportPanel } from "./components/ImportPanel";
import { ImportResult } from "./components/ImportResult";
import { MonthView, type RefundRequest } from "./components/MonthView";
import { SubmissionView, type Correction } from "./components/SubmissionView";
import { setDisplayTimeZone } from "./format";
import { AuditView } from "./components/AuditView";
import { OperatorDialog } from "./components/setup/Operator";
import { SetupView } from "./components/setup/SetupView";
import { UsageView } from "./components/usage/UsageView";

const TABS = [
  { id: "imports", label: "Imports" },
  { id: "month", label: "Month" },
  { id: "submission", label: "Submission" },
  { id: "usage", label: "Usage" },
  { id: "setup", label: "Setup" },
  { id: "audit", label: "Audit" },
] as const;
type TabId = (typeof TABS)[number]["id"];

export function App() {
  const [dbPath, setDbPath] = useState<string | null>(null);
  const [batches, setBatches] = useState<BatchSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The reports of the last import, with its number (each import's results are new elements).
  const [reports, setReports] = useState<{ seq: number; list: ImportReport[] }>({ seq: 0, list: [] });
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<TabId>("imports");
  // A view is mounted the first time it is shown and then kept (a submission keeps running
  // and showing its progress while another view is open).
  const [visited, setVisited] = useState<ReadonlySet<TabId>>(() => new Set<TabId>(["imports"]));
  const tabRefs = useRef<Partial<Record<TabId, HTMLButtonElement | null>>>({});
  const [refundRequest, setRefundRequest] = useState<RefundRequest | null>(null);

  const show = useCallback((id: TabId, focus = false) => {
    // Dates are shown in the ledger's time zone: asked again with each view (a setting may have changed it).
    api.ledgerTimezone().then(setDisplayTimeZone, () => {});
    setTab(id);
    setVisited((v) => (v.has(id) ? v : new Set(v).add(id)));
    if (focus) tabRefs.current[id]?.focus();
  }, []);

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>) {
    // The WAI-ARIA tabs pattern: arrows move between tabs, Home/End to the ends.
    const i = TABS.findIndex((t) => t.id === tab);
    const to =
      e.key === "ArrowRight" ? (i + 1) % TABS.length
      : e.key === "ArrowLeft" ? (i - 1 + TABS.length) % TABS.length
      : e.key === "Home" ? 0
      : e.key === "End" ? TABS.length - 1
      : null;
    if (to === null) return;
    e.preventDefault();
    show(TABS[to]!.id, true);
  }

  const refresh = useCallback(async () => {
    try {
      setBatches(await api.listBatches());
      setLoadError(null);
    } catch (e) {
      setLoadError(api.errorMessage(e));
    }
  }, []);

  const correct = useCallback(
    (c: Correction) => {
      setRefundRequest((cur) => ({ seq: (cur?.seq ?? 0) + 1, initial: c.initial, context: c.context }));
      show("month", true);
    },
    [show],
  );

  useEffect(() => {
    api.ledgerTimezone().then(setDisplayTimeZone, () => {});
    api.ledgerInfo().then(setDbPath, () => setDbPath(null));
    void refresh();
  }, [refresh]);

  const onImported = useCallback(
    async (done: ImportReport[]) => {
      setReports((cur) => ({ seq: cur.seq + 1, list: done }));
      setNotice(null);
      await refresh();
    },
    [refresh],
  );

  const onUndo = useCallback(
    async (batch: BatchSummary) => {
      setNotice(null);
      try {
        await api.undoBatch(batch.id);
        setNotice(`Batch ${batch.id} (${batch.file_name}) was undone.`);
      } catch (e) {
        setNotice(`Batch ${batch.id} was not undone: ${api.errorMessage(e)}`);
      }
      await refresh();
    },
    [refresh],
  );

  return (
    <div className="app">
      <header className="app-header">
        <h1>Partner Ledger</h1>
        {dbPath && (
          <p className="db-path" title="The data file this window shows">
            Ledger: <code>{dbPath}</code>
          </p>
        )}
      </header>
      <nav className="tabs" role="tablist" aria-label="Views">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            data-testid={`tab-${t.id}`}
            aria-controls={`panel-${t.id}`}
            aria-selected={tab === t.id}
            tabIndex={tab === t.id ? 0 : -1}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            onClick={() => show(t.id)}
            onKeyDown={onTabKey}
          >
            {t.label}
          </button>
        ))}
      </nav>
      <main>
        <div role="tabpanel" id="panel-imports" aria-labelledby="tab-imports" hidden={tab !== "imports"}>
          <ImportPanel onImported={onImported} />
          {reports.list.length > 0 && (
            <div className="import-results" aria-label="Imported files">
              {reports.list.map((r, i) => (
                <ImportResult key={`${reports.seq}:${i}`} report={r} />
              ))}
            </div>
          )}
          <section className="card" aria-labelledby="batches-title">
            <div className="card-head">
              <h2 id="batches-title">Import batches</h2>
              <button type="button" className="secondary" onClick={() => void refresh()}>
                Refresh
              </button>
            </div>
            {notice && (
              <p className="message info" role="status">
                {notice}
              </p>
            )}
            {loadError ? (
              <div className="message error" role="alert">
                <strong>The ledger could not be read.</strong> {loadError}
              </div>
            ) : batches === null ? (
              <p className="muted" aria-busy="true">
                Loading…
              </p>
            ) : (
              <BatchesTable batches={batches} onUndo={onUndo} />
            )}
          </section>
        </div>
        {visited.has("month") && (
          <div role="tabpanel" id="panel-month" aria-labelledby="tab-month" hidden={tab !== "month"}>
            <MonthView active={tab === "month"} refundRequest={refundRequest} />
          </div>
        )}
        {visited.has("submission") && (
          <div role="tabpanel" id="panel-submission" aria-labelledby="tab-submission" hidden={tab !== "submission"}>
            <SubmissionView active={tab === "submission"} onCorrect={correct} />
          </div>
        )}
        {visited.has("setup") && (
          <div role="tabpanel" id="panel-setup" aria-labelledby="tab-setup" hidden={tab !== "setup"}>
            <SetupView />
          </div>
        )}
        {visited.has("audit") && (
          <div role="tabpanel" id="panel-audit" aria-labelledby="tab-audit" hidden={tab !== "audit"}>
            <AuditView active={tab === "audit"} />
          </div>
        )}
        {visited.has("usage") && (
          <div role="tabpanel" id="panel-usage" aria-labelledby="tab-usage" hidden={tab !== "usage"}>
            <UsageView active={tab === "usage"} />
          </div>
        )}
      </main>
      <OperatorDialog />
    </div>
  );
}
