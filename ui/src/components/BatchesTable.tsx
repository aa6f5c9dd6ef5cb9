import { useEffect, useRef, useState } from "react";
import type { BatchSummary } from "../bindings/BatchSummary";
import { formatCount, formatTimestamp, rowsAdded, useDisplayTimeZone } from "../format";

interface Props {
  batches: BatchSummary[];
  onUndo: (batch: BatchSummary) => Promise<void>;
}

export function BatchesTable({ batches, onUndo }: Props) {
  useDisplayTimeZone();
  const [confirming, setConfirming] = useState<number | null>(null);
  const [undoing, setUndoing] = useState<number | null>(null);

  if (batches.length === 0) {
    return (
      <div className="empty" data-testid="batches-empty">
        <p className="empty-title">No imports yet — import a Stripe or PayPal export</p>
        <p className="muted">Use “Choose files…” above, drop files on this window, or type a file’s path and press Enter.</p>
      </div>
    );
  }

  async function confirmUndo(b: BatchSummary) {
    setUndoing(b.id);
    try {
      await onUndo(b);
    } finally {
      setUndoing(null);
      setConfirming(null);
    }
  }

  return (
    <div className="table-wrap">
      <table className="table batches" data-testid="batches-table">
        <thead>
          <tr>
            <th scope="col" className="num">ID</th>
            <th scope="col">File</th>
            <th scope="col">Format</th>
            <th scope="col">Imported at</th>
            <th scope="col" className="num">Rows read</th>
            <th scope="col" className="num">Imported</th>
            <th scope="col" className="num">Duplicates</th>
            <th scope="col" className="num">Skipped</th>
            <th scope="col">Undone</th>
            <th scope="col" className="actions-head"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <BatchRow
              key={b.id}
              batch={b}
              confirming={confirming === b.id}
              undoing={undoing === b.id}
              onAsk={() => setConfirming(b.id)}
              onCancel={() => setConfirming(null)}
              onConfirm={() => void confirmUndo(b)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  batch: BatchSummary;
  confirming: boolean;
  undoing: boolean;
  onAsk: () => void;
  onCancel: () => void;
  onConfirm: () => void;
}

function BatchRow({ batch: b, confirming, undoing, onAsk, onCancel, onConfirm }: RowProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    // The safe choice gets the focus; Escape backs out; backing out returns focus to Undo.
    if (confirming) cancelRef.current?.focus();
    else if (wasConfirming.current) undoRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  return (
    <tr
      className={b.undone_at ? "undone" : undefined}
      data-testid={`batch-row-${b.id}`}
      data-batch-id={b.id}
    >
      <td className="num">{b.id}</td>
      <td className="file" title={`SHA-256 ${b.sha256}`}>
        {b.file_name}
      </td>
      <td>
        <span className="tag">{b.format}</span>
      </td>
      <td className="when" title={`${b.imported_at} by ${b.imported_by}`}>{formatTimestamp(b.imported_at)}</td>
      <td className="num" data-col="rows_read">{formatCount(b.rows_read)}</td>
      <td className="num" data-col="imported">{formatCount(b.imported)}</td>
      <td className="num" data-col="duplicates">{formatCount(b.duplicates)}</td>
      <td className="num" data-col="skipped">{formatCount(b.skipped)}</td>
      <td className="when" data-col="undone">{b.undone_at ? formatTimestamp(b.undone_at) : "—"}</td>
      <td className="actions">
        {b.undone_at ? null : confirming ? (
          <span
            className="confirm"
            role="group"
            aria-label={`Confirm undo of batch ${b.id}`}
            onKeyDown={(e) => {
              if (e.key === "Escape") onCancel();
            }}
          >
            <span className="confirm-text">
              Undo {formatCount(rowsAdded(b))} {rowsAdded(b) === 1 ? "row" : "rows"}?
            </span>
            <button type="button" className="danger" onClick={onConfirm} disabled={undoing}>
              {undoing ? "Undoing…" : "Yes, undo"}
            </button>
            <button type="button" className="secondary" ref={cancelRef} onClick={onCancel} disabled={undoing}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="secondary" ref={undoRef} onClick={onAsk} aria-label={`Undo batch ${b.id}`}>
            Undo
          </button>
        )}
      </td>
    </tr>
  );
}
