import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { answer } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { SetupView, SECTIONS } = await import("./SetupView");

beforeEach(() => {
  invoke.mockReset();
  answer(invoke, {
    app_info: () => ({ id: null, name: null }),
    list_rates: () => [],
    list_settings: () => [],
    operator_info: () => ({ saved: "ana", current: "ana", suggestion: "ana" }),
  });
});

describe("SetupView", () => {
  it("shows one section at a time, chosen by its tab or from the keyboard", async () => {
    const user = userEvent.setup();
    render(<SetupView />);
    expect(screen.getAllByRole("tab").map((t) => t.textContent)).toEqual(SECTIONS.map((s) => s.label));
    expect(await screen.findByRole("heading", { name: "Revenue-share rates" })).toBeInTheDocument();
    await user.click(screen.getByRole("tab", { name: "Settings" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Revenue-share rates" })).toBeNull();
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Your name" })).toHaveFocus();
    expect(await screen.findByTestId("operator-current")).toHaveTextContent("ana");
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "App & rates" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tabpanel")).toHaveAttribute("data-section", "app");
  });

  it("opens at a named section", async () => {
    render(<SetupView initialSection="operator" />);
    expect(await screen.findByTestId("operator-current")).toBeInTheDocument();
  });
});
