import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChargeCall } from "../../bindings/ChargeCall";
import type { ChargesAnswer } from "../../bindings/ChargesAnswer";
import type { PlanInfo } from "../../bindings/PlanInfo";
import { INSTANCE_A } from "../../test/fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a), Channel: class {} }));

const { UsageView } = await import("./UsageView");
const { PlanForm } = await import("./PlanForm");
const { LimitForm } = await import("./LimitForm");
const { PreviewForm } = await import("./PreviewForm");

function plan(over: Partial<PlanInfo> = {}): PlanInfo {
  return {
    metric: "emails",
    instance_id: null,
    effective_from: "2000-01-01",
    description: "Emails sent",
    prices: [{ currency: "USD", unit_price: "0.0019" }],
    added_at: "2026-11-30T10:00:00Z",
    added_by: "ana",
    ...over,
  };
}

function call(over: Partial<ChargeCall> = {}): ChargeCall {
  return {
    id: 1,
    received_at: "2026-11-30T10:00:00.000Z",
    endpoint: "charges",
    status: 200,
    request_id: "r1",
    instance_id: INSTANCE_A,
    intent: "CREATE_INVOICE",
    currency: "USD",
    period_start: "2026-03-01T00:00:00.000Z",
    period_end: "2026-04-01T00:00:00.000Z",
    answer: '{"charges":[]}',
    left_out: null,
    frozen: "now",
    token_iat: 1,
    token_exp: 2,
    note: null,
    ...over,
  };
}

const ANSWER: ChargesAnswer = {
  body: '{"charges":[{"id":"c1","description":"Emails sent: 1250000","amount":"2375.00","usagePeriod":{"startDate":"2026-03-02T10:00:00.000Z","endDate":"2026-03-09T10:00:00.000Z"}}]}',
  left_out: [{ metric: "sms", reason: "no_price", quantity: "12", amount: null }],
  frozen: "no",
  usage_rows: 3,
};

function fakeShell(over: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  invoke.mockImplementation(async (cmd: string, args: Record<string, unknown> = {}) => {
    if (over[cmd]) return over[cmd]!(args);
    switch (cmd) {
      case "usage_status":
        return { counts: { rows: 1234567, open: 1000 }, key_fingerprint: null, app_id: "9a1b2c3d-0000-4000-8000-00000000a001" };
      case "list_plans":
        return [plan()];
      case "list_charge_limits":
        return [];
      case "charge_calls":
        return [call(), call({ id: 2, status: 401, instance_id: null, intent: null, period_start: null, period_end: null, answer: null, frozen: null, note: "the token's `aud` is not this app's id" })];
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

function calls(cmd: string) {
  return invoke.mock.calls.filter((c) => c[0] === cmd);
}

beforeEach(() => {
  invoke.mockReset();
});

describe("PlanForm", () => {
  it("checks each field before anything is sent, and says what is wrong", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn(async () => {});
    render(<PlanForm onSave={onSave} />);
    await user.click(screen.getByRole("button", { name: "Save price" }));
    expect(onSave).not.toHaveBeenCalled();
    expect(screen.getByText("Enter the metric, as the usage rows name it.")).toBeInTheDocument();
    expect(screen.getByText("Enter at least one price, like USD=0.02.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Metric"), "two words");
    await user.type(screen.getByLabelText("Unit prices"), "USD=0.02,usd=1");
    await user.type(screen.getByLabelText("From (optional)"), "1/3/2026");
    await user.type(screen.getByLabelText("Instance (optional)"), "site-1");
    await user.click(screen.getByRole("button", { name: "Save price" }));
    expect(onSave).not.toHaveBeenCalled();
    expect(screen.getByText("A metric is 1 to 64 letters, digits, _ . : or -.")).toBeInTheDocument();
    expect(screen.getByText("USD is priced twice.")).toBeInTheDocument();
    expect(screen.getByText("Write the date as YYYY-MM-DD.")).toBeInTheDocument();
    expect(screen.getByLabelText("Instance (optional)")).toHaveAttribute("aria-invalid", "true");
  });

  it("sends a valid entry with empty optional fields as none, and shows the engine's refusal", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn().mockRejectedValueOnce("`EUR=1.1234567` has more than 6 decimals").mockResolvedValueOnce(undefined);
    render(<PlanForm onSave={onSave} />);
    await user.type(screen.getByLabelText("Metric"), "emails");
    await user.type(screen.getByLabelText("Unit prices"), "EUR=1.1234567");
    await user.click(screen.getByRole("button", { name: "Save price" }));
    expect(onSave).toHaveBeenCalledWith({ metric: "emails", prices: "EUR=1.1234567", description: null, from: null, instance: null });
    expect(await screen.findByRole("alert")).toHaveTextContent("Not saved. `EUR=1.1234567` has more than 6 decimals");
    expect(screen.getByLabelText("Metric")).toHaveValue("emails");
    await user.click(screen.getByRole("button", { name: "Save price" }));
    await waitFor(() => expect(screen.getByLabelText("Metric")).toHaveValue(""));
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("LimitForm", () => {
  it("refuses a zero or malformed amount and a bad currency, then sends the app's default", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn(async () => {});
    render(<LimitForm onSave={onSave} />);
    await user.type(screen.getByLabelText("Limit"), "0.00");
    await user.click(screen.getByRole("button", { name: "Save limit" }));
    expect(screen.getByText("A charge limit must be above 0.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Limit"));
    await user.type(screen.getByLabelText("Limit"), "1,000");
    await user.clear(screen.getByLabelText("Currency"));
    await user.type(screen.getByLabelText("Currency"), "US");
    await user.click(screen.getByRole("button", { name: "Save limit" }));
    expect(screen.getByText("Enter an amount like 100 or 99.50.")).toBeInTheDocument();
    expect(screen.getByText("A currency is three letters, like USD.")).toBeInTheDocument();
    expect(onSave).not.toHaveBeenCalled();
    await user.clear(screen.getByLabelText("Limit"));
    await user.type(screen.getByLabelText("Limit"), "100");
    await user.clear(screen.getByLabelText("Currency"));
    await user.type(screen.getByLabelText("Currency"), "jpy");
    await user.click(screen.getByRole("button", { name: "Save limit" }));
    expect(onSave).toHaveBeenCalledWith(null, "JPY", "100");
  });

  it("shows the engine's refusal", async () => {
    const user = userEvent.setup();
    render(<LimitForm onSave={() => Promise.reject("`10.5` has more decimals than JPY has minor units (0)")} />);
    await user.type(screen.getByLabelText("Limit"), "10.5");
    await user.click(screen.getByRole("button", { name: "Save limit" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("more decimals than JPY has minor units");
  });
});

describe("PreviewForm", () => {
  it("needs an instance and a period that ends after it starts", async () => {
    const user = userEvent.setup();
    const preview = vi.fn();
    render(<PreviewForm preview={preview} />);
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(screen.getByText("Enter the instance id.")).toBeInTheDocument();
    expect(screen.getAllByText("Enter a date.")).toHaveLength(2);
    await user.type(screen.getByLabelText("Instance"), INSTANCE_A);
    await user.type(screen.getByLabelText("From"), "2026-04-01");
    await user.type(screen.getByLabelText("To (excluded)"), "2026-03-01");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(screen.getByText("The period ends after it starts.")).toBeInTheDocument();
    expect(preview).not.toHaveBeenCalled();
  });

  it("shows the charges with grouped amounts and what was left out, in words", async () => {
    const user = userEvent.setup();
    const preview = vi.fn(async () => ANSWER);
    render(<PreviewForm preview={preview} />);
    await user.type(screen.getByLabelText("Instance"), INSTANCE_A);
    await user.type(screen.getByLabelText("From"), "2026-03-01");
    await user.type(screen.getByLabelText("To (excluded)"), "2026-04-01");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(preview).toHaveBeenCalledWith(INSTANCE_A, "USD", "2026-03-01", "2026-04-01");
    const result = await screen.findByTestId("preview-result");
    expect(within(result).getByText("2,375.00 USD")).toBeInTheDocument();
    expect(within(result).getByText("Emails sent: 1250000")).toBeInTheDocument();
    expect(within(result).getByText("Left out: sms (12 units): no price in this currency")).toBeInTheDocument();
  });

  it("says when nothing would be charged, and shows a refusal", async () => {
    const user = userEvent.setup();
    const preview = vi.fn().mockResolvedValueOnce({ body: '{"charges":[]}', left_out: [], frozen: "before", usage_rows: 0 }).mockRejectedValueOnce("`XYZ` is not a currency code");
    render(<PreviewForm preview={preview} />);
    await user.type(screen.getByLabelText("Instance"), INSTANCE_A);
    await user.type(screen.getByLabelText("From"), "2026-03-01");
    await user.type(screen.getByLabelText("To (excluded)"), "2026-04-01");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByText(/No charge for this instance and period/)).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("This period was invoiced");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No preview. `XYZ` is not a currency code");
  });
});

describe("UsageView", () => {
  it("shows the status, plans, empty limits and the answers log, and never names a command line", async () => {
    fakeShell();
    const { container } = render(<UsageView active />);
    expect(await screen.findByTestId("usage-status")).toHaveTextContent("1,234,567 usage row(s), 1,000 not yet invoiced.");
    expect(screen.getByText(/No public key yet/)).toBeInTheDocument();
    expect(await screen.findByTestId("plans-table")).toHaveTextContent("0.0019 USD");
    expect(screen.getByText("No charge limit yet: with none, an invoice charges nothing.")).toBeInTheDocument();
    const log = await screen.findByTestId("calls-table");
    expect(log).toHaveTextContent("CREATE_INVOICE (frozen)");
    expect(log).toHaveTextContent("the token's `aud` is not this app's id");
    expect(container.textContent).not.toMatch(/partner-ledger|--[a-z]/);
  });

  it("saves a limit and reads the ledger again; filters the log by a valid instance only", async () => {
    const user = userEvent.setup();
    fakeShell({
      set_charge_limit: (a) => ({ instance_id: a.instance, currency: a.currency, amount: a.amount, updated_at: "2026-11-30T10:00:00Z", updated_by: "ana" }),
    });
    render(<UsageView active />);
    await screen.findByTestId("usage-status");
    await user.type(screen.getByTestId("limit-amount"), "1500");
    await user.click(screen.getByRole("button", { name: "Save limit" }));
    expect(await screen.findByText("Charge limit 1,500 USD saved as the app's default.")).toBeInTheDocument();
    expect(calls("list_charge_limits").length).toBeGreaterThanOrEqual(2);
    const filter = screen.getAllByLabelText("Instance").find((el) => el.getAttribute("placeholder") === "all instances" && !el.closest("form[aria-label]"))!;
    await user.type(filter, "nope");
    await user.click(screen.getByRole("button", { name: "Show" }));
    expect(await screen.findByText(/An instance id is a GUID/)).toBeInTheDocument();
    const before = calls("charge_calls").length;
    await user.clear(filter);
    await user.type(filter, INSTANCE_A);
    await user.click(screen.getByRole("button", { name: "Show" }));
    await waitFor(() => expect(calls("charge_calls").length).toBe(before + 1));
    expect(calls("charge_calls").at(-1)![1]).toEqual({ instance: INSTANCE_A, limit: 200 });
  });

  it("saves the app key and shows the engine's refusal of a private key", async () => {
    const user = userEvent.setup();
    fakeShell({ set_app_key: () => Promise.reject("this is a private key: the ledger never takes one") });
    render(<UsageView active />);
    await screen.findByTestId("usage-status");
    await user.click(screen.getByRole("button", { name: "Save key" }));
    expect(await screen.findByText(/Paste the app's public key/)).toBeInTheDocument();
    await user.type(screen.getByTestId("key-pem"), "-----BEGIN PRIVATE KEY-----");
    await user.click(screen.getByRole("button", { name: "Save key" }));
    expect(await screen.findByText(/this is a private key/)).toBeInTheDocument();
  });
});
