import { useSyncExternalStore } from "react";

// ---- dates and times, in the ledger's time zone ------------------------------------------------
//
// The engine stores and sends instants in UTC (RFC 3339); the window shows them in the ledger's
// reporting time zone (the `timezone` setting: the one that cuts months), set once the shell
// has said it and again whenever it may have changed.

let zone = "UTC";
const zoneListeners = new Set<() => void>();
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The time zone dates are shown in (an IANA name; `UTC` until the shell says otherwise). */
export function displayTimeZone(): string {
  return zone;
}

/**
 * Shows dates and times in `tz` from now on (the ledger's `timezone` setting). A name this
 * WebView does not know is ignored (dates stay in the zone they were in); returns whether the
 * zone is now `tz`.
 */
export function setDisplayTimeZone(tz: string): boolean {
  const name = tz.trim();
  try {
    formatter(name);
  } catch {
    return false;
  }
  if (name !== zone) {
    zone = name;
    for (const l of zoneListeners) l();
  }
  return true;
}

/** The display time zone, re-rendering the component when it changes. */
export function useDisplayTimeZone(): string {
  return useSyncExternalStore(
    (l) => {
      zoneListeners.add(l);
      return () => zoneListeners.delete(l);
    },
    () => zone,
  );
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parts(rfc3339: string): Record<string, string> | null {
  if (!RFC3339.test(rfc3339)) return null;
  const ms = Date.parse(rfc3339);
  if (!Number.isFinite(ms)) return null;
  const out: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/**
 * `2026-11-21T19:40:12Z` → `2026-11-21 19:40 UTC`, or in the ledger's zone
 * (`2026-11-21 20:40 CET` for Europe/Berlin). Anything that is not an RFC 3339 instant is
 * returned as given.
 */
export function formatTimestamp(rfc3339: string): string {
  const p = parts(rfc3339);
  if (!p) return rfc3339;
  const name = zone === "UTC" || zone === "Etc/UTC" ? "UTC" : (p.timeZoneName ?? zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${name}`;
}

/** The date of an instant in the ledger's zone (`YYYY-MM-DD`): the day its month is cut by. */
export function formatDate(rfc3339: string): string {
  const p = parts(rfc3339);
  return p ? `${p.year}-${p.month}-${p.day}` : rfc3339;
}

/** Today in the ledger's zone, `YYYY-MM-DD` (a form's default date). */
export function todayInZone(now: Date = new Date()): string {
  const p: Record<string, string> = {};
  for (const x of formatter(zone).formatToParts(now)) p[x.type] = x.value;
  return `${p.year}-${p.month}-${p.day}`;
}

// Display helpers. Amounts stay Rust's decimal strings: they are grouped for reading here by
// string manipulation only, never turned into numbers.

export const FORMATS: ReadonlyArray<{ id: string; label: string }> = [
  { id: "stripe-itemized", label: "Stripe itemized payout reconciliation" },
  { id: "stripe-balance", label: "Stripe balance history" },
  { id: "paypal-activity", label: "PayPal activity download" },
];

/** The file's name from a path, either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export const DATE_ORDERS: ReadonlyArray<{ id: string; label: string }> = [
  { id: "month-first", label: "MM/DD/YYYY (US)" },
  { id: "day-first", label: "DD/MM/YYYY" },
];

/** A decimal string (`-1234.50`) split for exact comparison: never a float. */
function decimalParts(s: string): { neg: boolean; int: string; frac: string } {
  const t = s.trim();
  const neg = t.startsWith("-");
  const [rawInt = "", rawFrac = ""] = t.replace(/^[-+]/, "").split(".");
  const int = rawInt.replace(/^0+/, "");
  const frac = rawFrac.replace(/0+$/, "");
  return { neg: neg && (int !== "" || frac !== ""), int, frac };
}

/**
 * Orders two decimal strings exactly (for sorting; amounts are compared as text, never as
 * floats): negative, zero or positive like `a - b` would be.
 */
export function compareDecimal(a: string, b: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (x.neg !== y.neg) return x.neg ? -1 : 1;
  let mag: number;
  if (x.int.length !== y.int.length) mag = x.int.length - y.int.length;
  else if (x.int !== y.int) mag = x.int < y.int ? -1 : 1;
  else {
    const n = Math.max(x.frac.length, y.frac.length);
    const fx = x.frac.padEnd(n, "0");
    const fy = y.frac.padEnd(n, "0");
    mag = fx === fy ? 0 : fx < fy ? -1 : 1;
  }
  return x.neg ? -mag : mag;
}

/** True for a decimal string below zero. */
export function isNegative(s: string): boolean {
  return decimalParts(s).neg;
}

/**
 * A bar's length as a fraction (0..1) of the longest one. Drawing only: the conversion to a
 * float never feeds a displayed amount.
 */
export function barFraction(value: string, longest: string): number {
  const v = Math.abs(Number(value));
  const m = Math.abs(Number(longest));
  if (!Number.isFinite(v) || !Number.isFinite(m) || m === 0) return 0;
  return Math.min(1, v / m);
}

/**
 * A decimal string from Rust (`-1234567.89`) with its whole part grouped by thousands
 * (`-1,234,567.89`), for display only. Text manipulation, never a float: any length is exact.
 * Anything that is not a plain decimal is returned as given.
 */
export function formatAmount(s: string): string {
  const m = /^([-+]?)(\d+)(\.\d*)?$/.exec(s);
  if (!m) return s;
  const [, sign = "", whole = "", frac = ""] = m;
  let grouped = "";
  for (let end = whole.length; end > 0; end -= 3) {
    const part = whole.slice(Math.max(0, end - 3), end);
    grouped = grouped === "" ? part : `${part},${grouped}`;
  }
  return `${sign}${grouped}${frac}`;
}

/** The rows a file adds to the ledger (or would): every new row, whatever became of it — rows of a
 * known type, skipped rows (kept with their reason), sent rows and rows of a type not known yet.
 * What undoing its batch takes out again. (A count of rows, not money.) */
export function rowsAdded(r: { imported: number; skipped: number; sent: number; unclassified: number }): number {
  return r.imported + r.skipped + r.sent + r.unclassified;
}

/** A count grouped like an amount (`100000` → `100,000`). */
export function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? formatAmount(String(n)) : String(n);
}
