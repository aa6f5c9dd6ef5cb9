import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { OperatorInfo } from "../../bindings/OperatorInfo";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { OperatorDialog, OperatorSection } = await import("./Operator");

function shell(start: OperatorInfo, over: Record<string, Handler> = {}) {
  let now = start;
  answer(invoke, {
    operator_info: () => now,
    set_operator: (a) => (now = { saved: String(a.name).trim(), current: String(a.name).trim(), suggestion: start.suggestion }),
    ...over,
  });
}

const FIRST: OperatorInfo = { saved: null, current: "ana", suggestion: "ana" };

beforeEach(() => {
  invoke.mockReset();
});

describe("OperatorDialog", () => {
  it("asks once at the first start, offering the computer's user name", async () => {
    const user = userEvent.setup();
    const saved = vi.fn();
    shell(FIRST);
    render(<OperatorDialog onSaved={saved} />);
    const dialog = await screen.findByRole("dialog", { name: "Who is working in Partner Ledger?" });
    const field = screen.getByTestId("operator-name");
    expect(field).toHaveValue("ana");
    await waitFor(() => expect(field).toHaveFocus());
    await user.clear(field);
    await user.type(field, "Ana Lima{Enter}");
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(argsOf(invoke, "set_operator")).toEqual([{ name: "Ana Lima" }]);
    expect(saved).toHaveBeenCalledWith({ saved: "Ana Lima", current: "Ana Lima", suggestion: "ana" });
  });

  it("is not shown once a name is saved", async () => {
    shell({ saved: "Ana Lima", current: "Ana Lima", suggestion: "ana" });
    render(<OperatorDialog />);
    await waitFor(() => expect(argsOf(invoke, "operator_info")).toHaveLength(1));
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("asks for a name and shows why one is refused", async () => {
    const user = userEvent.setup();
    shell(FIRST, { set_operator: refuse("a name is at most 80 characters") });
    render(<OperatorDialog />);
    const field = await screen.findByTestId("operator-name");
    await user.clear(field);
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(field).toHaveAccessibleDescription(expect.stringContaining("Type your name: it is recorded with every change you make."));
    expect(argsOf(invoke, "set_operator")).toEqual([]);
    await user.type(field, "x{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("a name is at most 80 characters");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });

  it("keeps the keyboard inside the dialog", async () => {
    const user = userEvent.setup();
    shell(FIRST);
    render(<OperatorDialog />);
    const field = await screen.findByTestId("operator-name");
    await waitFor(() => expect(field).toHaveFocus());
    await user.tab();
    expect(screen.getByRole("button", { name: "Continue" })).toHaveFocus();
    await user.tab();
    expect(field).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByRole("button", { name: "Continue" })).toHaveFocus();
  });
});

describe("OperatorSection", () => {
  it("shows who changes are recorded as, and changes it", async () => {
    const user = userEvent.setup();
    shell({ saved: "Ana Lima", current: "Ana Lima", suggestion: "ana" });
    render(<OperatorSection />);
    expect(await screen.findByTestId("operator-current")).toHaveTextContent("recorded as made by Ana Lima.");
    const field = screen.getByTestId("operator-name");
    await user.clear(field);
    await user.type(field, "Ben Okafor");
    await user.click(screen.getByRole("button", { name: "Save name" }));
    expect(await screen.findByRole("status")).toHaveTextContent("later changes are recorded as made by Ben Okafor");
    expect(screen.getByTestId("operator-current")).toHaveTextContent("recorded as made by Ben Okafor.");
  });
});
