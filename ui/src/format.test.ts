import { describe, expect, it } from "vitest";
import { baseName, formatTimestamp } from "./format";

describe("formatTimestamp", () => {
  it("shows UTC timestamps to the minute", () => {
    expect(formatTimestamp("2026-11-02T09:15:42Z")).toBe("2026-11-02 09:15 UTC");
    expect(formatTimestamp("2026-11-02T09:15:42.123+00:00")).toBe("2026-11-02 09:15 UTC");
  });
  it("leaves anything else as given", () => {
    expect(formatTimestamp("yesterday")).toBe("yesterday");
    expect(formatTimestamp("2026-11-02T09:15:42+02:00")).toBe("2026-11-02T09:15:42+02:00");
  });
});

describe("baseName", () => {
  it("takes the last path segment", () => {
    expect(baseName("/home/ana/exports/a.csv")).toBe("a.csv");
    expect(baseName("C:\\exports\\b.csv")).toBe("b.csv");
    expect(baseName("c.csv")).toBe("c.csv");
  });
});
