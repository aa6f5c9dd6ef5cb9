import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CredentialInfo } from "../../bindings/CredentialInfo";
import type { CredentialsInfo } from "../../bindings/CredentialsInfo";
import { INSTANCE_A } from "../../test/fixtures";
import { answer, argsOf, refuse, type Handler } from "../../test/shell";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
const { Credentials } = await import("./Credentials");

const APP = "157f033e-c1ae-4418-adb0-79d2bcd9d4a8";

function cred(name: string, env_var: string, over: Partial<CredentialInfo> = {}): CredentialInfo {
  return { name, set: false, source: null, env_var, in_keyring: false, ...over };
}

function info(over: Partial<CredentialsInfo> = {}): CredentialsInfo {
  return {
    app_id: APP,
    keyring: true,
    credentials: [cred("app-secret", "WIX_APP_SECRET"), cred("api-key", "WIX_API_KEY"), cred("account-id", "WIX_ACCOUNT_ID")],
    ...over,
  };
}

function shell(start: CredentialsInfo, over: Record<string, Handler> = {}) {
  let now = start;
  const setOne = (name: unknown, set: boolean) => {
    now = { ...now, credentials: now.credentials.map((c) => (c.name === name ? { ...c, set, in_keyring: set, source: set ? "keyring" : null } : c)) };
    return now;
  };
  answer(invoke, {
    credentials_info: () => now,
    store_credential: (a) => setOne(a.name, true),
    remove_credential: (a) => setOne(a.name, false),
    ...over,
  });
}

function row(name: string): HTMLElement {
  return document.querySelector<HTMLElement>(`[data-credential="${name}"]`)!;
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Credentials", () => {
  it("asks for the app first: credentials are kept per app", async () => {
    shell(info({ app_id: null }));
    render(<Credentials />);
    expect(await screen.findByTestId("credentials-no-app")).toHaveTextContent("save the app id and name under “App & rates”");
  });

  it("says whether each credential is set and where from, never its value", async () => {
    shell(
      info({
        credentials: [
          cred("app-secret", "WIX_APP_SECRET", { set: true, source: "keyring", in_keyring: true }),
          cred("api-key", "WIX_API_KEY", { set: true, source: "env" }),
          cred("account-id", "WIX_ACCOUNT_ID"),
        ],
      }),
    );
    render(<Credentials />);
    expect(await screen.findByTestId("credential-status-app-secret")).toHaveTextContent("Set, in the keyring");
    expect(screen.getByTestId("credential-status-api-key")).toHaveTextContent("Set, from the environment (WIX_API_KEY), which wins over a saved value");
    expect(screen.getByTestId("credential-status-account-id")).toHaveTextContent("Not set");
    expect(screen.getByTestId("credential-app-secret")).toHaveAttribute("type", "password");
    expect(screen.getByTestId("credential-app-secret")).toHaveValue("");
    // Only a credential in the keyring can be removed from it.
    expect(within(row("app-secret")).getByRole("button", { name: "Remove the app secret" })).toBeInTheDocument();
    expect(within(row("api-key")).queryByRole("button", { name: /Remove/ })).toBeNull();
  });

  it("saves a pasted value to the keyring, then forgets it", async () => {
    const user = userEvent.setup();
    shell(info());
    render(<Credentials />);
    await user.click(await screen.findByTestId("credential-app-secret"));
    await user.paste("s3cret-value-0123456789");
    await user.keyboard("{Enter}");
    expect(await within(row("app-secret")).findByRole("status")).toHaveTextContent("App secret saved in the keyring.");
    expect(argsOf(invoke, "store_credential")).toEqual([{ name: "app-secret", value: "s3cret-value-0123456789" }]);
    expect(screen.getByTestId("credential-app-secret")).toHaveValue("");
    expect(screen.getByTestId("credential-status-app-secret")).toHaveTextContent("Set, in the keyring");
    expect(document.body.textContent).not.toContain("s3cret-value");
  });

  it("asks for a value before saving, and shows the engine's refusal next to the field", async () => {
    const user = userEvent.setup();
    const why = "could not store api-key in the OS keyring: no OS keyring is available to this process";
    shell(info(), { store_credential: refuse(why) });
    render(<Credentials />);
    await screen.findByTestId("credential-api-key");
    await user.click(within(row("api-key")).getByRole("button", { name: "Save the API key" }));
    expect(within(row("api-key")).getByRole("alert")).toHaveTextContent("Paste the API key first.");
    expect(argsOf(invoke, "store_credential")).toEqual([]);
    await user.type(screen.getByTestId("credential-api-key"), "key{Enter}");
    expect(await within(row("api-key")).findByText(why)).toBeInTheDocument();
    expect(screen.getByTestId("credential-api-key")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("credential-status-api-key")).toHaveTextContent("Not set");
  });

  it("removes a saved credential after asking", async () => {
    const user = userEvent.setup();
    shell(info({ credentials: [cred("app-secret", "WIX_APP_SECRET", { set: true, source: "keyring", in_keyring: true })] }));
    render(<Credentials />);
    await user.click(await screen.findByRole("button", { name: "Remove the app secret" }));
    await user.click(screen.getByRole("button", { name: "Remove the app secret: confirm" }));
    await waitFor(() => expect(screen.getByTestId("credential-status-app-secret")).toHaveTextContent("Not set"));
    expect(argsOf(invoke, "remove_credential")).toEqual([{ name: "app-secret" }]);
  });

  it("cannot save with the keyring turned off, and says so", async () => {
    shell(info({ keyring: false }));
    render(<Credentials />);
    expect(await screen.findByText(/The keyring is turned off/)).toBeInTheDocument();
    expect(screen.getByTestId("credential-app-secret")).toBeDisabled();
  });

  it("tests the connection and shows each check's outcome", async () => {
    const user = userEvent.setup();
    shell(info(), {
      test_connection: () => ({
        base_url: "http://127.0.0.1:8089",
        ok: false,
        checks: [
          { flow: "oauth", ok: true, message: `Wix issued an access token for instance ${INSTANCE_A}` },
          { flow: "api_key", ok: false, message: "Wix refused a read-only query with the API key (403)" },
        ],
      }),
    });
    render(<Credentials />);
    await user.type(await screen.findByTestId("connection-instance"), ` ${INSTANCE_A} `);
    await user.click(screen.getByTestId("connection-test"));
    const result = await screen.findByTestId("connection-result");
    expect(result).toHaveTextContent("The connection test failed. (http://127.0.0.1:8089)");
    expect(result).toHaveTextContent(`App secret: ✓ Wix issued an access token for instance ${INSTANCE_A}`);
    expect(result).toHaveTextContent("API key: ✗ Wix refused a read-only query with the API key (403)");
    expect(argsOf(invoke, "test_connection")).toEqual([{ instance: INSTANCE_A }]);
  });

  it("shows why a connection test could not start", async () => {
    const user = userEvent.setup();
    shell(info(), { test_connection: refuse("no Wix credentials are set: save the app secret, or an API key with the account id, then test again") });
    render(<Credentials />);
    await user.click(await screen.findByTestId("connection-test"));
    expect(await screen.findByRole("alert")).toHaveTextContent("no Wix credentials are set");
    expect(argsOf(invoke, "test_connection")).toEqual([{ instance: null }]);
    expect(screen.queryByTestId("connection-result")).toBeNull();
  });
});
