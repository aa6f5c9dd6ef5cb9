import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useId, useMemo, useReducer, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import * as api from "../api";
import { formatCount } from "../format";
import { PageCache, type FetchPage } from "../paging";

/** Heights in pixels; the stylesheet gives rows and header exactly these. */
export const ROW_H = 32;
export const HEADER_H = 34;
const FOOTER_H = 34;
const OVERSCAN = 10;

export interface Column<R, S extends string = string> {
  id: string;
  label: ReactNode;
  /** Width in pixels; a `grow` column also takes what is left of the table's width. */
  width: number;
  grow?: boolean;
  /** Right-aligned (amounts, counts). */
  num?: boolean;
  /** A class for the column's cells (`actions`). */
  className?: string;
  /** The engine's sort key when this column's header sorts the list. */
  sort?: S;
  /** A first click on the header sorts descending (amounts: the largest first). */
  firstDescending?: boolean;
  cell: (row: R) => ReactNode;
  /** A tooltip for a cell whose text may be cut. */
  title?: (row: R) => string;
}

export interface SortState<S extends string> {
  by: S;
  descending: boolean;
}

interface Props<R, S extends string> {
  /** The grid's accessible name. */
  label: string;
  /** On the scroll box, for tests and the desktop e2e to find and scroll the table. */
  testId: string;
  columns: Array<Column<R, S>>;
  /** Identifies the query: a new key empties the cache, scrolls to the top, clears the selection. */
  queryKey: string;
  /** Asks the engine for a page of the query named by `queryKey`. */
  fetchPage: FetchPage<R>;
  rowKey: (row: R) => string;
  /** Extra attributes of a row (`data-state`, `data-testid`). */
  rowAttrs?: (row: R) => Record<string, string>;
  sort?: SortState<S>;
  onSort?: (sort: SortState<S>) => void;
  /** A click on a row, or Enter on the selected one. */
  onActivate?: (row: R) => void;
  /** Rows shown as the current choice (the instance the events are filtered to). */
  isCurrent?: (row: R) => boolean;
  /** The scroll box's height in pixels: the table scrolls inside it. */
  height: number;
  /** What a row is, singular and plural, for the count under the table. */
  noun: [string, string];
  /** Shown instead of rows when nothing matches. */
  empty: ReactNode;
  /** A fixed last row (Rust's totals), by column id. */
  footer?: Partial<Record<string, ReactNode>>;
}

/**
 * A long list the engine serves by page, drawn as a grid that renders only the rows in view
 * (and a few around them). Pages are asked for as the rows come into view; a row whose page
 * has not arrived is a placeholder. The header stays in place; a sortable column's header sorts
 * it (in the engine). Keyboard: arrows, Page Up/Down, Home and End move the selected row and
 * scroll it into view; Enter activates it.
 */
export function PagedTable<R, S extends string = string>(props: Props<R, S>) {
  const { columns, queryKey, fetchPage, height, footer } = props;
  const [, changed] = useReducer((n: number) => n + 1, 0);
  // One cache per query: when the query changes, the answers still coming for the previous one
  // land in the previous cache, which nobody reads any more.
  const cache = useMemo(
    () => new PageCache<R>(fetchPage, changed, api.errorMessage),
    [queryKey], // `queryKey` names what `fetchPage` asks for
  );
  useEffect(() => () => cache.close(), [cache]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const total = cache.total;
  const footerH = footer ? FOOTER_H : 0;
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: OVERSCAN,
    paddingStart: HEADER_H,
    paddingEnd: footerH,
    scrollPaddingStart: HEADER_H,
    scrollPaddingEnd: footerH,
    initialRect: { width: 1000, height },
    // React 19 batches the scroll updates itself; a flushSync from inside a render warns.
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => cache.ensure(first, last));

  // A new query starts at its top.
  const shownKey = useRef(queryKey);
  useEffect(() => {
    if (shownKey.current === queryKey) return;
    shownKey.current = queryKey;
    virtualizer.scrollToOffset(0);
  }, [queryKey, virtualizer]);

  // The selection belongs to one query.
  const [selection, setSelection] = useState<{ key: string; index: number } | null>(null);
  const selected = selection !== null && selection.key === queryKey && total !== null && selection.index < total ? selection.index : null;
  const idBase = useId();
  const rowId = (i: number) => `${idBase}-row-${i}`;

  function select(i: number) {
    setSelection({ key: queryKey, index: i });
    virtualizer.scrollToIndex(i, { align: "auto" });
  }

  function onKeyDown(e: KeyboardEvent<HTMLTableElement>) {
    // Keys on a control inside a row (a Resolve button) are that control's.
    if (e.target !== e.currentTarget || total === null || total === 0) return;
    const pageRows = Math.max(1, Math.floor((height - HEADER_H - footerH) / ROW_H) - 1);
    const cur = selected;
    let to: number;
    switch (e.key) {
      case "ArrowDown":
        to = cur === null ? 0 : cur + 1;
        break;
      case "ArrowUp":
        to = cur === null ? 0 : cur - 1;
        break;
      case "PageDown":
        to = (cur ?? 0) + pageRows;
        break;
      case "PageUp":
        to = (cur ?? 0) - pageRows;
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = total - 1;
        break;
      case "Enter": {
        const row = cur === null ? undefined : cache.row(cur);
        if (row !== undefined && props.onActivate) {
          e.preventDefault();
          props.onActivate(row);
        }
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    select(Math.min(total - 1, Math.max(0, to)));
  }

  const minWidth = columns.reduce((w, c) => w + c.width, 0);
  const cellStyle = (c: Column<R, S>) => ({ width: c.width, flex: c.grow ? "1 0 auto" : "0 0 auto" });
  const cellClass = (c: Column<R, S>) => [c.num ? "num" : "", c.className ?? ""].join(" ").trim() || undefined;

  function header(c: Column<R, S>) {
    const sorted = c.sort !== undefined && props.sort?.by === c.sort;
    const ariaSort = c.sort === undefined || !props.onSort ? undefined : sorted ? (props.sort!.descending ? "descending" : "ascending") : "none";
    return (
      <th key={c.id} role="columnheader" scope="col" className={cellClass(c)} style={cellStyle(c)} aria-sort={ariaSort} data-col={c.id}>
        {ariaSort === undefined ? (
          c.label
        ) : (
          <button
            type="button"
            className="sort"
            onClick={() => {
              const by = c.sort!;
              props.onSort!({ by, descending: sorted ? !props.sort!.descending : (c.firstDescending ?? false) });
            }}
          >
            {c.label}
            <span className="sort-mark" aria-hidden="true">
              {sorted ? (props.sort!.descending ? " ▼" : " ▲") : ""}
            </span>
          </button>
        )}
      </th>
    );
  }

  const bodyHeight = Math.max(0, virtualizer.getTotalSize() - HEADER_H - footerH);
  const selectedRendered = selected !== null && items.some((it) => it.index === selected);

  return (
    <div className="paged">
      <div ref={scrollRef} className="paged-scroll" data-testid={props.testId} style={{ height }}>
        <table
          role="grid"
          className="table paged-table"
          aria-label={props.label}
          aria-rowcount={total === null ? -1 : total + 1 + (footer ? 1 : 0)}
          aria-busy={total === null}
          aria-activedescendant={selectedRendered ? rowId(selected) : undefined}
          tabIndex={0}
          onKeyDown={onKeyDown}
          style={{ minWidth, height: virtualizer.getTotalSize() }}
        >
          <thead role="rowgroup">
            <tr role="row" aria-rowindex={1}>
              {columns.map(header)}
            </tr>
          </thead>
          <tbody role="rowgroup" style={{ height: bodyHeight }}>
            {items.map((item) => {
              const row = cache.row(item.index);
              const style = { transform: `translateY(${item.start - HEADER_H}px)` };
              if (row === undefined) {
                return (
                  <tr key={`p${item.index}`} role="row" className="placeholder" data-index={item.index} data-loading="true" aria-rowindex={item.index + 2} style={style}>
                    <td role="gridcell" style={{ width: minWidth, flex: "1 0 auto" }}>
                      <span className="muted">Loading…</span>
                    </td>
                  </tr>
                );
              }
              const isSelected = item.index === selected;
              const current = props.isCurrent?.(row) ?? false;
              return (
                <tr
                  key={`${item.index}:${props.rowKey(row)}`}
                  id={rowId(item.index)}
                  role="row"
                  data-index={item.index}
                  aria-rowindex={item.index + 2}
                  aria-selected={isSelected}
                  aria-current={current ? "true" : undefined}
                  className={[isSelected ? "selected" : "", current ? "current" : "", props.onActivate ? "activatable" : ""].join(" ").trim() || undefined}
                  style={style}
                  onClick={() => {
                    setSelection({ key: queryKey, index: item.index });
                    props.onActivate?.(row);
                  }}
                  {...props.rowAttrs?.(row)}
                >
                  {columns.map((c) => (
                    <td key={c.id} role="gridcell" className={cellClass(c)} style={cellStyle(c)} data-col={c.id} title={c.title?.(row)}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
          {footer && (
            <tfoot role="rowgroup">
              <tr role="row" aria-rowindex={(total ?? 0) + 2}>
                {columns.map((c) => (
                  <td key={c.id} role="gridcell" className={cellClass(c)} style={cellStyle(c)} data-col={c.id}>
                    {footer[c.id]}
                  </td>
                ))}
              </tr>
            </tfoot>
          )}
        </table>
        {total === 0 && <div className="paged-empty">{props.empty}</div>}
      </div>
      <div className="paged-status">
        <span className="muted small" aria-live="polite" data-testid={`${props.testId}-count`}>
          {total === null ? "Loading…" : `${formatCount(total)} ${total === 1 ? props.noun[0] : props.noun[1]}`}
        </span>
        {cache.error !== null && (
          <span className="message error inline-error" role="alert">
            Some rows could not be read: {cache.error}{" "}
            <button type="button" className="link" onClick={() => cache.retry()}>
              Try again
            </button>
          </span>
        )}
      </div>
    </div>
  );
}
