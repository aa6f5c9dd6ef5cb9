import { useCallback, useEffect, useState } from "react";
import * as api from "./api";
import type { BatchSummary } from "./bindings/BatchSummary";
import type { ImportReport } from "./bindings/ImportReport";
import { BatchesTable } from "./components/BatchesTable";
import { ImportPanel } from "./components/ImportPanel";
import { ImportResult } from "./components/ImportResult";

export function App() {
  const [dbPath, setDbPath] = useState<string | null>(null);
  const [batches, setBatches] = useState<BatchSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setBatches(await api.listBatches());
      setLoadError(null);
    } catch (e) {
      setLoadError(api.errorMessage(e));
    }
  }, []);

  useEffect(() => {
    api.ledgerInfo().then(setDbPath, () => setDbPath(null));
    void refresh();
  }, [refresh]);

  const onImport = useCallback(
    async (req: api.ImportRequest) => {
      setReport(null);
      setImportError(null);
      setNotice(null);
      try {
        const r = await api.importFile(req);
        setReport(r);
        if (r.batch_id !== null) await refresh();
      } catch (e) {
        setImportError(api.errorMessage(e));
      }
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
      <main>
        <ImportPanel onImport={onImport} chooseFile={api.chooseCsvFile} />
        {importError && (
          <div className="message error" role="alert">
            <strong>Import failed.</strong> {importError}
          </div>
        )}
        {report && <ImportResult report={report} />}
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
      </main>
    </div>
  );
}
