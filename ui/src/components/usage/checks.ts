// What the Usage view's forms check before anything is sent: the shape of each field only.
// The engine checks again and decides (bounds, decimals per currency, ...); its message is shown.

const GUID = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export type Errors<K extends string> = Partial<Record<K, string>>;

export function metricError(v: string): string | undefined {
  const t = v.trim();
  if (t === "") return "Enter the metric, as the usage rows name it.";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(t)) return "A metric is 1 to 64 letters, digits, _ . : or -.";
  return undefined;
}

export function pricesError(v: string): string | undefined {
  const parts = v.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return "Enter at least one price, like USD=0.02.";
  const bad = parts.find((p) => !/^[A-Za-z]{3}=\d+(\.\d+)?$/.test(p));
  if (bad) return `"${bad}" is not CUR=AMOUNT (like USD=0.02).`;
  const curs = parts.map((p) => p.slice(0, 3).toUpperCase());
  const twice = curs.find((c, i) => curs.indexOf(c) !== i);
  if (twice) return `${twice} is priced twice.`;
  return undefined;
}

export function dayError(v: string, required: boolean): string | undefined {
  const t = v.trim();
  if (t === "") return required ? "Enter a date." : undefined;
  return DAY.test(t) ? undefined : "Write the date as YYYY-MM-DD.";
}

export function instanceError(v: string, required: boolean): string | undefined {
  const t = v.trim();
  if (t === "") return required ? "Enter the instance id." : undefined;
  return GUID.test(t) ? undefined : "An instance id is a GUID like 6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31.";
}

export function currencyError(v: string): string | undefined {
  return /^[A-Za-z]{3}$/.test(v.trim()) ? undefined : "A currency is three letters, like USD.";
}

export function amountError(v: string): string | undefined {
  const t = v.trim();
  if (!DECIMAL.test(t)) return "Enter an amount like 100 or 99.50.";
  if (/^0+(\.0+)?$/.test(t)) return "A charge limit must be above 0.";
  return undefined;
}

/** The first error of a form, if any (to know whether to send it). */
export function hasErrors<K extends string>(e: Errors<K>): boolean {
  return Object.values(e).some((v) => v !== undefined);
}

/** What a left-out reason means, in the window's words. */
export const LEFT_OUT_WORDS: Record<string, string> = {
  below_minimum: "below the 0.50 minimum",
  no_price: "no price in this currency",
  over_limit: "over the charge limit",
  no_limit: "no charge limit is set for this currency",
  too_large: "the amount is too large",
};
