// Wix credentials: saved to the OS keyring (never shown back: the window only says whether each
// is set, and from where), and a connection test that makes a real call to the configured Wix
// address and reports what happened for each way of signing in.
import { useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { ConnectionTest } from "../../bindings/ConnectionTest";
import type { CredentialInfo } from "../../bindings/CredentialInfo";
import type { CredentialsInfo } from "../../bindings/CredentialsInfo";
import { FieldError, LoadState, RemoveButton, useLoaded } from "./common";

const LABELS: Record<string, { label: string; noun: string; help: string }> = {
  "app-secret": { label: "App secret", noun: "app secret", help: "From your app’s OAuth settings in Wix’s app dashboard: signs in per site (instance)." },
  "api-key": { label: "API key", noun: "API key", help: "An account API key with the Manage Custom Apps permission: reports for sites that uninstalled the app." },
  "account-id": { label: "Account id", noun: "account id", help: "The Wix account that owns the app; goes with the API key." },
};

export function Credentials() {
  const info = useLoaded(api.credentialsInfo);
  return (
    <>
      <section className="card" aria-labelledby="credentials-title">
        <div className="card-head">
          <h2 id="credentials-title">Wix credentials</h2>
        </div>
        {info.data === null ? <LoadState error={info.error} what="The credentials" /> : <CredentialList info={info.data} onChange={info.set} />}
      </section>
      <ConnectionTestCard />
    </>
  );
}

function CredentialList(props: { info: CredentialsInfo; onChange: (i: CredentialsInfo) => void }) {
  const { info } = props;
  if (info.app_id === null) {
    return (
      <div className="empty small-empty" data-testid="credentials-no-app">
        <p className="empty-title">Set the app first</p>
        <p className="muted">Credentials are kept per Wix app: save the app id and name under “App & rates”, then come back here.</p>
      </div>
    );
  }
  return (
    <>
      <p className="muted small">
        Saved in this computer’s keyring for app <code>{info.app_id}</code>, never in the ledger. Use the app secret, or an API
        key with the account id, or both.
      </p>
      {!info.keyring && (
        <p className="message warn" role="status">
          The keyring is turned off for this app (PARTNER_LEDGER_KEYRING=off): credentials come from the environment only, and
          none can be saved here.
        </p>
      )}
      <div className="credential-list">
        {info.credentials.map((c) => (
          <CredentialRow key={c.name} credential={c} keyring={info.keyring} onChange={props.onChange} />
        ))}
      </div>
    </>
  );
}

function statusText(c: CredentialInfo): string {
  if (c.source === "env") return `Set, from the environment (${c.env_var}), which wins over a saved value`;
  if (c.set) return "Set, in the keyring";
  return "Not set";
}

function CredentialRow(props: { credential: CredentialInfo; keyring: boolean; onChange: (i: CredentialsInfo) => void }) {
  const c = props.credential;
  const meta = LABELS[c.name] ?? { label: c.name, noun: c.name, help: "" };
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { input: useId(), help: useId(), err: useId() };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    if (value.trim() === "") {
      setError(`Paste the ${meta.noun} first.`);
      return;
    }
    setBusy(true);
    try {
      props.onChange(await api.storeCredential(c.name as api.CredentialName, value));
      setValue("");
      setError(null);
      setNotice(`${meta.label} saved in the keyring.`);
    } catch (err) {
      setError(api.errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setNotice(null);
    try {
      props.onChange(await api.removeCredential(c.name as api.CredentialName));
      setError(null);
      setNotice(`${meta.label} removed from the keyring.`);
    } catch (err) {
      setError(api.errorMessage(err));
    }
  }

  return (
    <form className="credential-row" onSubmit={onSubmit} noValidate data-credential={c.name}>
      <div className="setting-label">
        <label htmlFor={ids.input}>{meta.label}</label>
        <span className={c.set ? "tag" : "tag danger-tag"} data-testid={`credential-status-${c.name}`}>
          {statusText(c)}
        </span>
      </div>
      <div className="setting-control">
        <input
          id={ids.input}
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder={c.in_keyring ? "Paste a new value to replace the saved one" : "Paste the value"}
          autoComplete="off"
          spellCheck={false}
          disabled={busy || !props.keyring}
          aria-invalid={error !== null}
          aria-describedby={[ids.help, error ? ids.err : null].filter(Boolean).join(" ")}
          data-testid={`credential-${c.name}`}
        />
        <p id={ids.help} className="muted small setting-help">
          {meta.help}
        </p>
        <FieldError id={ids.err} message={error} />
        {notice && (
          <p className="saved-mark" role="status">
            {notice}
          </p>
        )}
      </div>
      <div className="setting-actions">
        <button type="submit" className="primary" disabled={busy || !props.keyring} aria-label={`Save the ${meta.noun}`}>
          {busy ? "Saving…" : "Save"}
        </button>
        {c.in_keyring && <RemoveButton what={`the ${meta.noun}`} onRemove={remove} />}
      </div>
    </form>
  );
}

function ConnectionTestCard() {
  const [instance, setInstance] = useState("");
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { instance: useId(), err: useId(), help: useId() };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      setResult(await api.testConnection(instance.trim() === "" ? null : instance.trim()));
    } catch (err) {
      setError(api.errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="connection-title" aria-busy={busy}>
      <div className="card-head">
        <h2 id="connection-title">Connection test</h2>
      </div>
      <form className="setup-form" onSubmit={onSubmit} noValidate aria-describedby={ids.help}>
        <div className="field grow">
          <label htmlFor={ids.instance}>Instance to sign in for (optional)</label>
          <input
            id={ids.instance}
            type="text"
            value={instance}
            onChange={(e) => setInstance(e.target.value)}
            placeholder="Empty: the newest instance in the ledger"
            spellCheck={false}
            autoComplete="off"
            data-testid="connection-instance"
          />
        </div>
        <button type="submit" className="primary" disabled={busy} data-testid="connection-test">
          {busy ? "Testing…" : "Test connection"}
        </button>
        <p id={ids.help} className="muted small full">
          Asks Wix, at the address in Settings, for an access token (app secret) and runs a read-only query (API key). Nothing is
          reported to Wix.
        </p>
      </form>
      <FieldError id={ids.err} message={error} />
      {result && (
        <div className={`result ${result.ok ? "ok" : "refused"}`} data-testid="connection-result" role="status">
          <p className="headline">
            {result.ok ? "Wix accepted the credentials." : "The connection test failed."} <span className="muted small">({result.base_url})</span>
          </p>
          <ul className="checks">
            {result.checks.map((c) => (
              <li key={c.flow} className={c.ok ? "check-ok" : "check-failed"}>
                <strong>{c.flow === "oauth" ? "App secret" : "API key"}:</strong> {c.ok ? "✓" : "✗"} {c.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
