// Display helpers. Counts are shown as given; amounts never pass through here.

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
