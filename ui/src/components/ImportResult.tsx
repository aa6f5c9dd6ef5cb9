import { useId, type ReactNode } from "react";
import type { ImportReport } from "../bindings/ImportReport";
import type { RejectedRow } from "../bindings/RejectedRow";
import { baseName, formatCount } from "../format";

/** A file's counts, label by label (`children`: further items of the same list). */
export function ImportCounts({ counts, children }: { counts: Array<[string, number]>; children?: ReactNode }) {
  return (
    <dl className="counts">
      {counts.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{formatCount(value)}</dd>
        </div>
      ))}
      {children}
    </dl>
  );
}

/** The rows that made a file refused: line, column, reason. */
export function RejectedRows({ rows, label }: { rows: RejectedRow[]; label: string }) {
  return (
    <table className="table rejected" aria-label={label}>
      <thead>
        <tr>
          <th scope="col" className="num">
            Line
          </th>
          <th scope="col">Column</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((x, i) => (
          <tr key={`${x.line}-${i}`}>
            <td className="num">{x.line}</td>
            <td>{x.column ?? "—"}</td>
            <td className="detail">{x.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ImportResult({ report }: { report: ImportReport }) {
  const titleId = useId();
  const refused = report.rejected.length > 0;
  const counts: Array<[string, number]> = [
    ["Rows read", report.rows_read],
    ["Imported", report.imported],
    ["Duplicates", report.duplicates],
    ["Skipped", report.skipped],
    // Money paid out (a purchase, a payment to a supplier): kept, never reported to Wix.
    ["Sent", report.sent],
    // Money in under a type nobody classified: exceptions until classified in Month review.
    ["Unclassified", report.unclassified],
  ];
  let headline: string;
  if (refused) {
    const n = report.rejected.length;
    headline = `File refused: nothing was imported. ${n} ${n === 1 ? "row needs" : "rows need"} fixing.`;
  } else if (report.dry_run) {
    headline = "Dry run: the file is valid; nothing was imported.";
  } else if (report.batch_id !== null) {
    headline = `Imported as batch ${report.batch_id}.`;
  } else {
    headline = "Nothing new: every row was already in the ledger.";
  }

  return (
    <section
      className={`card result ${refused ? "refused" : "ok"}`}
      aria-labelledby={titleId}
      data-testid="import-result"
    >
      <h2 id={titleId}>
        {baseName(report.file)} <span className="tag">{report.format}</span>
      </h2>
      <p className="headline" role={refused ? "alert" : "status"}>
        {headline}
      </p>
      <ImportCounts counts={counts} />
      {refused && <RejectedRows rows={report.rejected} label="Rejected rows" />}
    </section>
  );
}
