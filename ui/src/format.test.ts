import { describe, expect, it } from "vitest";
import { afterEach } from "vitest";
import { barFraction, baseName, compareDecimal, displayTimeZone, formatAmount, formatCount, formatDate, formatTimestamp, isNegative, setDisplayTimeZone, todayInZone } from "./format";

describe("formatTimestamp", () => {
  it("shows UTC timestamps to the minute", () => {
    expect(formatTimestamp("2026-11-02T09:15:42Z")).toBe("2026-11-02 09:15 UTC");
    expect(formatTimestamp("2026-11-02T09:15:42.123+00:00")).toBe("2026-11-02 09:15 UTC");
  });
  it("reads an offset as the instant it names", () => {
    expect(formatTimestamp("2026-11-02T09:15:42+02:00")).toBe("2026-11-02 07:15 UTC");
  });
  it("leaves anything else as given", () => {
    expect(formatTimestamp("yesterday")).toBe("yesterday");
    expect(formatTimestamp("2026-11-02 09:15")).toBe("2026-11-02 09:15");
    expect(formatDate("soon")).toBe("soon");
  });
});

describe("the ledger's time zone", () => {
  afterEach(() => setDisplayTimeZone("UTC"));

  it("shows instants in the zone the ledger cuts its months in", () => {
    expect(setDisplayTimeZone("Europe/Berlin")).toBe(true);
    expect(displayTimeZone()).toBe("Europe/Berlin");
    // 23:30 UTC on Oct 31 is already November 1st in Berlin (CET, +1).
    expect(formatTimestamp("2026-10-31T23:30:00Z")).toMatch(/^2026-11-01 00:30 /);
    expect(formatDate("2026-10-31T23:30:00Z")).toBe("2026-11-01");
    // Summer time: +2.
    expect(formatTimestamp("2026-07-01T10:00:00Z")).toMatch(/^2026-07-01 12:00 /);
    setDisplayTimeZone("America/New_York");
    expect(formatDate("2026-11-01T03:59:59Z")).toBe("2026-10-31");
    expect(todayInZone(new Date("2026-11-01T03:59:59Z"))).toBe("2026-10-31");
  });

  it("keeps the zone it had when given one it does not know", () => {
    setDisplayTimeZone("Europe/Berlin");
    expect(setDisplayTimeZone("Mars/Olympus")).toBe(false);
    expect(displayTimeZone()).toBe("Europe/Berlin");
  });
});

describe("baseName", () => {
  it("takes the last path segment", () => {
    expect(baseName("/home/ana/exports/a.csv")).toBe("a.csv");
    expect(baseName("C:\\exports\\b.csv")).toBe("b.csv");
    expect(baseName("c.csv")).toBe("c.csv");
  });
});

describe("compareDecimal", () => {
  it("orders decimal strings exactly, as text", () => {
    const sorted = ["10.00", "-0.01", "9.99", "100.5", "0.00", "-12.30", "0.10", "-0.00", "99999999999999999.01", "99999999999999999.02"]
      .slice()
      .sort(compareDecimal);
    expect(sorted).toEqual(["-12.30", "-0.01", "0.00", "-0.00", "0.10", "9.99", "10.00", "100.5", "99999999999999999.01", "99999999999999999.02"]);
    expect(compareDecimal("1.5", "1.50")).toBe(0);
    expect(compareDecimal("-0.00", "0")).toBe(0);
  });
  it("knows a negative amount", () => {
    expect(isNegative("-49.00")).toBe(true);
    expect(isNegative("-0.00")).toBe(false);
    expect(isNegative("12.00")).toBe(false);
  });
});

describe("barFraction", () => {
  it("is a share of the longest bar, by magnitude, within 0..1", () => {
    expect(barFraction("5.00", "10.00")).toBe(0.5);
    expect(barFraction("-10.00", "10.00")).toBe(1);
    expect(barFraction("3.00", "0.00")).toBe(0);
    expect(barFraction("abc", "10.00")).toBe(0);
  });
});

describe("formatAmount", () => {
  it("groups the whole part by thousands, keeping the sign and every decimal", () => {
    expect(formatAmount("0.00")).toBe("0.00");
    expect(formatAmount("999.99")).toBe("999.99");
    expect(formatAmount("1000.00")).toBe("1,000.00");
    expect(formatAmount("1234567.89")).toBe("1,234,567.89");
    expect(formatAmount("-1234.50")).toBe("-1,234.50");
    expect(formatAmount("-100000")).toBe("-100,000");
    expect(formatAmount("123456")).toBe("123,456");
    // Beyond a float's precision: exact, because it is text.
    expect(formatAmount("90071992547409.93")).toBe("90,071,992,547,409.93");
    expect(formatAmount("79228162514264337593543950335.01")).toBe("79,228,162,514,264,337,593,543,950,335.01");
  });
  it("leaves anything else as given", () => {
    for (const s of ["", "abc", "1,234.00", "1e6", "12.3.4", " 12.00", "-", "."]) expect(formatAmount(s)).toBe(s);
  });
  it("groups counts the same way", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1000000)).toBe("1,000,000");
  });
});
