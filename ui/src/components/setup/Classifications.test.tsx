import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ClassifyOutcome } from "../../bindings/ClassifyOutcome";
import type { ClassifyRule } from "../../bindings/ClassifyRule";
import type { UnclassifiedType } from "../../bindings/UnclassifiedType";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { Classifications, outcomeText } = await import("./Classifications");

function rule(over: Partial<ClassifyRule> = {}): ClassifyRule {
  return { source: "paypal-activity", type_name: "General Payment", action: "charge", saved_at: "2026-11-02T09:15:00Z", saved_by: "ana", ...over };
}

function outcome(over: Partial<ClassifyOutcome> = {}): ClassifyOutcome {
  return { rule: rule(), classified: 0, disagreeing: 0, unclassified: 0, frozen: 0, ...over };
}

function shell(opts: { rules?: ClassifyRule[]; waiting?: UnclassifiedType[]; over?: Record<string, Handler> } = {}) {
  let rules = opts.rules ?? [];
  let waiting = opts.waiting ?? [];
  answer(invoke, {
    list_classifications: () => rules,
    unclassified_types: () => waiting,
    list_column_mappings: () => [{ name: "bank", saved_at: "2026-11-02T09:15:00Z", saved_by: "ana" }],
    classify_type: (a) => {
      const r = rule({ source: String(a.source), type_name: String(a.typeName), action: String(a.action) });
      rules = [...rules, r];
      const n = waiting.find((w) => w.type_name === a.typeName)?.rows ?? 0;
      waiting = waiting.filter((w) => w.type_name !== a.typeName);
      return outcome({ rule: r, classified: n });
    },
    remove_classification: (a) => {
      rules = rules.filter((r) => r.type_name !== a.typeName);
      return outcome({ rule: null, unclassified: 2, frozen: 1 });
    },
    ...opts.over,
  });
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Classifications", () => {
  it("classifies a waiting type with one click and says what it did", async () => {
    const user = userEvent.setup();
    shell({ waiting: [{ source: "mapped:bank", type_name: "Mobile Payment", rows: 4 }] });
    render(<Classifications />);
    const table = await screen.findByTestId("waiting-table");
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("mapped:bankMobile Payment4");
    await user.click(screen.getByRole("button", { name: "Classify Mobile Payment (mapped:bank) as charge" }));
    expect(await screen.findByRole("status")).toHaveTextContent("“Mobile Payment” (mapped:bank): 4 rows classified as charge.");
    expect(argsOf(invoke, "classify_type")).toEqual([{ source: "mapped:bank", typeName: "Mobile Payment", action: "charge" }]);
    expect(await screen.findByTestId("waiting-empty")).toBeInTheDocument();
    expect(screen.getByTestId("rules-table")).toHaveTextContent("mapped:bankMobile Paymentcharge");
  });

  it("adds a rule for a type not seen yet, from any source including saved mappings", async () => {
    const user = userEvent.setup();
    shell();
    render(<Classifications />);
    await screen.findByTestId("rules-empty");
    await waitFor(() => expect(within(screen.getByTestId("rule-source")).getAllByRole("option").map((o) => o.textContent)).toContain("mapped:bank"));
    await user.click(screen.getByTestId("rule-save"));
    expect(screen.getByTestId("rule-type")).toHaveAccessibleDescription(/Type the processor’s type/);
    expect(argsOf(invoke, "classify_type")).toEqual([]);
    await user.selectOptions(screen.getByTestId("rule-source"), "mapped:bank");
    await user.type(screen.getByTestId("rule-type"), " Handyzahlung ");
    await user.selectOptions(screen.getByTestId("rule-action"), "ignore");
    await user.click(screen.getByTestId("rule-save"));
    expect(await screen.findByRole("status")).toHaveTextContent("“Handyzahlung” (mapped:bank) saved: No row of the ledger has this type yet; later imports use the rule.");
    expect(argsOf(invoke, "classify_type")).toEqual([{ source: "mapped:bank", typeName: "Handyzahlung", action: "ignore" }]);
    expect(screen.getByTestId("rule-type")).toHaveValue("");
  });

  it("shows the engine's refusal", async () => {
    const user = userEvent.setup();
    shell({ over: { classify_type: refuse("`x` is not a source format; use stripe-itemized, stripe-balance, paypal-activity or mapped:<name>") } });
    render(<Classifications />);
    await screen.findByTestId("rules-empty");
    await user.type(screen.getByTestId("rule-type"), "General Payment{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("is not a source format");
  });

  it("removes a rule after asking and says what became of its rows", async () => {
    const user = userEvent.setup();
    shell({ rules: [rule()] });
    render(<Classifications />);
    await screen.findByTestId("rules-table");
    await user.click(screen.getByRole("button", { name: "Remove the rule for General Payment (paypal-activity)" }));
    await user.click(screen.getByRole("button", { name: "Remove the rule for General Payment (paypal-activity): confirm" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "Rule for “General Payment” (paypal-activity) removed: 2 rows unclassified again; 1 row of approved months left as it was.",
    );
    expect(argsOf(invoke, "remove_classification")).toEqual([{ source: "paypal-activity", typeName: "General Payment" }]);
    expect(await screen.findByTestId("rules-empty")).toBeInTheDocument();
  });

  it("words every part of an outcome", () => {
    expect(outcomeText(outcome({ classified: 1, disagreeing: 2 }))).toBe("1 row classified as charge; 2 rows whose money goes the other way stay an exception.");
    expect(outcomeText(outcome({ classified: 0, disagreeing: 1 }))).toBe("1 row whose money goes the other way stays an exception.");
    expect(outcomeText(outcome({ rule: null }))).toBe("No row of the ledger had this type.");
  });
});
