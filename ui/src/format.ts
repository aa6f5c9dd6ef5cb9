// Display helpers. Amounts stay Rust's decimal strings: they are grouped for reading here by
// string manipulation only, never turned into numbers.

/** `2026-11-21T19:40:12Z` → `2026-11-21 19:40 UTC` (the engine's timestamps are UTC). */
export function formatTimestamp(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]00:00)$/.exec(rfc3339);
  return m ? `${m[1]} ${m[2]} UTC` : rfc3339;
}

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

/** A count grouped like an amount (`100000` → `100,000`). */
export function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? formatAmount(String(n)) : String(n);
}
