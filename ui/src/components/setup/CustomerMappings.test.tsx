import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CustomerMapping } from "../../bindings/CustomerMapping";
import type { CustomerMappingQuery } from "../../bindings/CustomerMappingQuery";
import { INSTANCE_A, INSTANCE_B } from "../../test/fixtures";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { CustomerMappings } = await import("./CustomerMappings");

function mapping(key: string, instance = INSTANCE_A): CustomerMapping {
  return { customer_key: key, instance_id: instance, saved_at: "2026-11-02T09:15:00Z", saved_by: "ana" };
}

function shell(start: CustomerMapping[], over: Record<string, Handler> = {}) {
  let all = start;
  answer(invoke, {
    customer_mappings: (a) => {
      const q = a.query as CustomerMappingQuery;
      const hits = all.filter((m) => q.search === null || m.customer_key.includes(q.search.toLowerCase()) || m.instance_id.includes(q.search));
      return { total: hits.length, offset: q.offset, rows: hits.slice(q.offset, q.offset + q.limit) };
    },
    map_customer: (a) => {
      all = [...all.filter((m) => m.customer_key !== a.key), mapping(String(a.key), String(a.instance).toLowerCase())].sort((x, y) =>
        x.customer_key.localeCompare(y.customer_key),
      );
      return 2;
    },
    unmap_customer: (a) => {
      all = all.filter((m) => m.customer_key !== a.key);
      return { unresolved: 3, frozen: 1 };
    },
    ...over,
  });
}

function rows(): HTMLTableRowElement[] {
  return Array.from(screen.getByTestId("customers-table").querySelectorAll<HTMLTableRowElement>("tbody tr:not(.placeholder)"));
}

beforeEach(() => {
  invoke.mockReset();
});

describe("CustomerMappings", () => {
  it("lists the mappings by page and searches them in the engine", async () => {
    const user = userEvent.setup();
    shell([mapping("cus_0001"), mapping("cus_0002", INSTANCE_B), mapping("payer@example.com")]);
    render(<CustomerMappings />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[1]).toHaveTextContent(`cus_0002${INSTANCE_B}2026-11-02 09:15 UTC by ana`);
    expect(screen.getByTestId("customers-table-count")).toHaveTextContent("3 mappings");
    await user.type(screen.getByTestId("customers-search"), "PAYER");
    await waitFor(() => expect(rows()).toHaveLength(1));
    const queries = argsOf(invoke, "customer_mappings").map((a) => a.query as CustomerMappingQuery);
    expect(queries.at(-1)).toEqual({ search: "PAYER", offset: 0, limit: 200 });
    await user.clear(screen.getByTestId("customers-search"));
    await user.type(screen.getByTestId("customers-search"), "nobody");
    expect(await screen.findByText("No mapping matches this search")).toBeInTheDocument();
  });

  it("explains an empty list", async () => {
    shell([]);
    render(<CustomerMappings />);
    expect(await screen.findByText("No customer mapping yet")).toBeInTheDocument();
  });

  it("checks the form, saves a mapping and says how many rows it resolved", async () => {
    const user = userEvent.setup();
    shell([]);
    render(<CustomerMappings />);
    await screen.findByText("No customer mapping yet");
    await user.click(screen.getByTestId("customer-save"));
    expect(screen.getByTestId("customer-key")).toHaveAccessibleDescription(/Enter the customer/);
    expect(screen.getByTestId("customer-instance")).toHaveAccessibleDescription(/Enter the Wix instance id/);
    expect(argsOf(invoke, "map_customer")).toEqual([]);
    await user.type(screen.getByTestId("customer-key"), " cus_0009 ");
    await user.type(screen.getByTestId("customer-instance"), `${INSTANCE_A.toUpperCase()}{Enter}`);
    expect(await screen.findByRole("status")).toHaveTextContent(`Saved: cus_0009 → ${INSTANCE_A}; 2 rows resolved.`);
    expect(argsOf(invoke, "map_customer")).toEqual([{ key: "cus_0009", instance: INSTANCE_A.toUpperCase() }]);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId("customer-key")).toHaveValue("");
  });

  it("shows the engine's refusal of an instance", async () => {
    const user = userEvent.setup();
    shell([], { map_customer: refuse("`site-1` is not a Wix instance id (a GUID like 6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31)") });
    render(<CustomerMappings />);
    await screen.findByText("No customer mapping yet");
    await user.type(screen.getByTestId("customer-key"), "cus_1");
    await user.type(screen.getByTestId("customer-instance"), "site-1{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("`site-1` is not a Wix instance id");
  });

  it("edits a mapping in the form and removes one, saying what became of its rows", async () => {
    const user = userEvent.setup();
    shell([mapping("cus_0001"), mapping("cus_0002", INSTANCE_B)]);
    render(<CustomerMappings />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(within(rows()[1]!).getByRole("button", { name: "Edit the mapping of cus_0002" }));
    expect(screen.getByTestId("customer-key")).toHaveValue("cus_0002");
    expect(screen.getByTestId("customer-instance")).toHaveValue(INSTANCE_B);
    expect(screen.getByTestId("customer-instance")).toHaveFocus();

    await user.click(within(rows()[0]!).getByRole("button", { name: "Remove the mapping of cus_0001" }));
    await user.click(within(rows()[0]!).getByRole("button", { name: "Remove the mapping of cus_0001: confirm" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "Removed the mapping of cus_0001: 3 rows without an instance again (an exception in their months). 1 row of approved months kept its instance.",
    );
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(argsOf(invoke, "unmap_customer")).toEqual([{ key: "cus_0001" }]);
  });
});
