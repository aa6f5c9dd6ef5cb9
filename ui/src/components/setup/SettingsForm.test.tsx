import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SettingInfo } from "../../bindings/SettingInfo";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { SettingsForm, sentence } = await import("./SettingsForm");

function setting(key: string, over: Partial<SettingInfo> = {}): SettingInfo {
  return { key, value: null, default: null, stored: false, help: `what ${key} does`, choices: [], ...over };
}

const SETTINGS: SettingInfo[] = [
  setting("deduct_processor_fees", { value: "true", default: "true", choices: ["true", "false"] }),
  setting("timezone", { value: "UTC", default: "UTC" }),
  setting("refund_rate", { value: "event_date", default: "event_date", choices: ["event_date", "original_charge"] }),
  setting("date_order", { choices: ["day-first", "month-first"] }),
  setting("wix.base_url", { value: "https://www.wixapis.com", default: "https://www.wixapis.com" }),
];

function shell(over: Record<string, Handler> = {}) {
  let settings = SETTINGS.map((s) => ({ ...s }));
  answer(invoke, {
    list_settings: () => settings,
    list_timezones: () => ["America/New_York", "Asia/Kolkata", "Europe/Berlin", "Europe/London", "UTC"],
    set_setting: (a) => {
      settings = settings.map((s) => (s.key === a.key ? { ...s, value: String(a.value), stored: true } : s));
      return settings;
    },
    ...over,
  });
}

function row(key: string): HTMLElement {
  return document.querySelector<HTMLElement>(`[data-key="${key}"]`)!;
}

beforeEach(() => {
  invoke.mockReset();
});

describe("SettingsForm", () => {
  it("shows each setting with its name, value, meaning and default", async () => {
    shell();
    render(<SettingsForm />);
    const fees = await screen.findByLabelText("Deduct processor fees");
    expect(fees).toHaveValue("true");
    expect(within(fees).getAllByRole("option").map((o) => o.textContent)).toEqual(["Yes", "No"]);
    expect(fees).toHaveAccessibleDescription("What deduct_processor_fees does. Default: true (in use).");
    // A setting without a value offers "Not set" until one is chosen.
    expect(screen.getByLabelText("Day/month order of ambiguous files")).toHaveValue("");
    expect(within(row("wix.base_url")).getByRole("button", { name: "Save Wix address" })).toBeDisabled();
  });

  it("saves a changed choice and says so", async () => {
    const user = userEvent.setup();
    shell();
    render(<SettingsForm />);
    await user.selectOptions(await screen.findByLabelText("Rate of a refund"), "original_charge");
    await user.click(within(row("refund_rate")).getByRole("button", { name: "Save Rate of a refund" }));
    expect(await within(row("refund_rate")).findByText("Saved")).toBeInTheDocument();
    expect(argsOf(invoke, "set_setting")).toEqual([{ key: "refund_rate", value: "original_charge" }]);
    expect(screen.getByLabelText("Rate of a refund")).toHaveValue("original_charge");
  });

  it("shows the engine's refusal next to the field it is about", async () => {
    const user = userEvent.setup();
    const why = "setting `wix.base_url`: the Wix address `http://wix.example.com` is http:// to a host that is not this machine";
    shell({ set_setting: refuse(why) });
    render(<SettingsForm />);
    const url = await screen.findByLabelText("Wix address");
    await user.clear(url);
    await user.type(url, "http://wix.example.com{Enter}");
    expect(await within(row("wix.base_url")).findByRole("alert")).toHaveTextContent(why);
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(expect.stringContaining(why));
    expect(within(row("timezone")).queryByRole("alert")).toBeNull();
  });

  it("asks for a value before saving an emptied field", async () => {
    const user = userEvent.setup();
    shell();
    render(<SettingsForm />);
    await user.clear(await screen.findByLabelText("Wix address"));
    await user.click(within(row("wix.base_url")).getByRole("button", { name: "Save Wix address" }));
    expect(within(row("wix.base_url")).getByRole("alert")).toHaveTextContent("Choose or type a value for “Wix address”.");
    expect(argsOf(invoke, "set_setting")).toEqual([]);
  });

  it("finds a time zone by typing part of its name, from the keyboard", async () => {
    const user = userEvent.setup();
    shell();
    render(<SettingsForm />);
    const tz = await screen.findByRole("combobox", { name: "Time zone" });
    await user.clear(tz);
    await user.type(tz, "lon");
    const list = await screen.findByRole("listbox", { name: "Time zones" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["Europe/London"]);
    await user.clear(tz);
    await user.type(tz, "euro");
    expect(within(screen.getByRole("listbox")).getAllByRole("option").map((o) => o.textContent)).toEqual(["Europe/Berlin", "Europe/London"]);
    await user.keyboard("{ArrowDown}{Enter}");
    expect(tz).toHaveValue("Europe/London");
    expect(screen.queryByRole("listbox")).toBeNull();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(argsOf(invoke, "set_setting")).toEqual([{ key: "timezone", value: "Europe/London" }]));
    expect(await within(row("timezone")).findByText("Saved")).toBeInTheDocument();
  });

  it("shows the engine's help as a sentence", () => {
    expect(sentence("reporting time zone, an IANA name")).toBe("Reporting time zone, an IANA name.");
    expect(sentence("Already one.")).toBe("Already one.");
    expect(sentence("  ")).toBe("");
  });

  it("says when the settings cannot be read", async () => {
    answer(invoke, { list_settings: refuse("cannot open the ledger") });
    render(<SettingsForm />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The settings could not be read. cannot open the ledger");
  });
});
