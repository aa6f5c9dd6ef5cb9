import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AppInfo } from "../../bindings/AppInfo";
import type { RateInfo } from "../../bindings/RateInfo";
import { INSTANCE_A } from "../../test/fixtures";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { AppRates } = await import("./AppRates");

const APP = "157f033e-c1ae-4418-adb0-79d2bcd9d4a8";

function rate(over: Partial<RateInfo> = {}): RateInfo {
  return { effective_from: "2026-01-01", percent: "20", instance_id: null, added_at: "2026-11-02T09:15:00Z", added_by: "ana", ...over };
}

function shell(opts: { app?: AppInfo; rates?: RateInfo[]; over?: Record<string, Handler> } = {}) {
  let app = opts.app ?? { id: null, name: null };
  let rates = opts.rates ?? [];
  answer(invoke, {
    app_info: () => app,
    list_rates: () => rates,
    set_app: (a) => (app = { id: String(a.id).trim().toLowerCase(), name: String(a.name).trim() }),
    add_rate: (a) => {
      const r = rate({ effective_from: String(a.from), percent: String(a.percent), instance_id: (a.instance as string | null) ?? null });
      rates = [...rates, r];
      return r;
    },
    remove_rate: (a) => {
      const r = rates.find((x) => x.effective_from === a.from && x.instance_id === a.instance)!;
      rates = rates.filter((x) => x !== r);
      return r;
    },
    ...opts.over,
  });
}

beforeEach(() => {
  invoke.mockReset();
});

describe("AppRates", () => {
  it("explains a ledger without a rate and that the app is not set", async () => {
    shell();
    render(<AppRates />);
    expect(await screen.findByTestId("rates-empty")).toHaveTextContent("every event is a “no rate” exception");
    expect(screen.getByTestId("app-id")).toHaveValue("");
  });

  it("checks the app form's fields before asking the engine", async () => {
    const user = userEvent.setup();
    shell();
    render(<AppRates />);
    await user.click(await screen.findByTestId("app-save"));
    expect(screen.getByTestId("app-id")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("app-id")).toHaveAccessibleDescription(/Enter the app id/);
    expect(screen.getByTestId("app-name")).toHaveAccessibleDescription(/Enter the app’s name/);
    expect(argsOf(invoke, "set_app")).toEqual([]);
  });

  it("shows the engine's refusal of an app id and saves a good one", async () => {
    const user = userEvent.setup();
    shell({ over: { set_app: refuse("`site-1` is not a Wix app id (a GUID)") } });
    render(<AppRates />);
    await user.type(await screen.findByTestId("app-id"), "site-1");
    await user.type(screen.getByTestId("app-name"), "Acme Forms{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("`site-1` is not a Wix app id (a GUID)");

    shell();
    await user.clear(screen.getByTestId("app-id"));
    await user.type(screen.getByTestId("app-id"), ` ${APP.toUpperCase()} `);
    await user.click(screen.getByTestId("app-save"));
    expect(await screen.findByRole("status")).toHaveTextContent(`Saved: Acme Forms (${APP})`);
    expect(argsOf(invoke, "set_app").at(-1)).toEqual({ id: ` ${APP.toUpperCase()} `, name: "Acme Forms" });
    expect(screen.getByTestId("app-id")).toHaveValue(APP);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("adds the app's rate and an instance override, then lists them", async () => {
    const user = userEvent.setup();
    shell({ app: { id: APP, name: "Acme Forms" } });
    render(<AppRates />);
    await screen.findByTestId("rates-empty");
    await user.type(screen.getByTestId("rate-from"), "2026-01-01");
    await user.type(screen.getByTestId("rate-percent"), "20{Enter}");
    expect(await screen.findByText("Added: 20 % from 2026-01-01 for the app.")).toBeInTheDocument();
    expect(argsOf(invoke, "add_rate")).toEqual([{ from: "2026-01-01", percent: "20", instance: null }]);
    await user.type(screen.getByTestId("rate-from"), "2026-06-01");
    await user.type(screen.getByTestId("rate-percent"), "10");
    await user.type(screen.getByTestId("rate-instance"), ` ${INSTANCE_A} `);
    await user.click(screen.getByTestId("rate-add"));
    await waitFor(() => expect(screen.getAllByTestId("rate-row")).toHaveLength(2));
    expect(argsOf(invoke, "add_rate")[1]).toEqual({ from: "2026-06-01", percent: "10", instance: INSTANCE_A });
    const rows = screen.getAllByTestId("rate-row");
    expect(rows[0]).toHaveTextContent("2026-01-0120 %The app");
    expect(rows[1]).toHaveTextContent(INSTANCE_A);
    expect(screen.getByTestId("rate-from")).toHaveValue("");
  });

  it("checks the rate form's fields and shows the engine's refusal", async () => {
    const user = userEvent.setup();
    shell({ over: { add_rate: refuse("`120` is not a percent between 0 and 100") } });
    render(<AppRates />);
    await user.click(await screen.findByTestId("rate-add"));
    expect(screen.getByTestId("rate-from")).toHaveAccessibleDescription("Enter the first day the rate is in force (YYYY-MM-DD).");
    expect(screen.getByTestId("rate-percent")).toHaveAccessibleDescription("Enter the percent Wix takes (0 to 100).");
    expect(argsOf(invoke, "add_rate")).toEqual([]);
    await user.type(screen.getByTestId("rate-from"), "2026-01-01");
    await user.type(screen.getByTestId("rate-percent"), "120{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("`120` is not a percent between 0 and 100");
    expect(screen.getByTestId("rate-percent")).toHaveValue("120");
  });

  it("removes a rate after asking", async () => {
    const user = userEvent.setup();
    shell({ rates: [rate(), rate({ effective_from: "2026-06-01", percent: "10", instance_id: INSTANCE_A })] });
    render(<AppRates />);
    const table = await screen.findByTestId("rates-table");
    await user.click(within(table).getByRole("button", { name: `Remove the instance rate from 2026-06-01` }));
    expect(argsOf(invoke, "remove_rate")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Remove the instance rate from 2026-06-01: confirm" }));
    await waitFor(() => expect(screen.getAllByTestId("rate-row")).toHaveLength(1));
    expect(argsOf(invoke, "remove_rate")).toEqual([{ from: "2026-06-01", instance: INSTANCE_A }]);
  });
});
