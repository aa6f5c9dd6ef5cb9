// The operator's name: asked once at the first start (a small dialog), remembered for this
// desktop user, recorded with every change the window makes; changeable in Setup.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import * as api from "../../api";
import type { OperatorInfo } from "../../bindings/OperatorInfo";
import { FieldError, LoadState, useLoaded } from "./common";

/** The name field and its save button, shared by the dialog and the Setup section. */
function NameForm(props: { initial: string; submitLabel: string; onSaved: (info: OperatorInfo) => void; autoFocus?: boolean }) {
  const [name, setName] = useState(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), err: useId(), help: useId() };
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (props.autoFocus) {
      inputRef.current?.focus();
      inputRef.current?.select();
    }
  }, [props.autoFocus]);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (name.trim() === "") {
      setError("Type your name: it is recorded with every change you make.");
      return;
    }
    setBusy(true);
    try {
      const info = await api.setOperator(name);
      setError(null);
      props.onSaved(info);
    } catch (err) {
      setError(api.errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="setup-form" onSubmit={onSubmit} noValidate>
      <div className="field grow">
        <label htmlFor={ids.name}>Your name</label>
        <input
          id={ids.name}
          ref={inputRef}
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="name"
          maxLength={200}
          aria-invalid={error !== null}
          aria-describedby={[ids.help, error ? ids.err : null].filter(Boolean).join(" ")}
          data-testid="operator-name"
        />
        <FieldError id={ids.err} message={error} />
      </div>
      <button type="submit" className="primary" disabled={busy} data-testid="operator-save">
        {busy ? "Saving…" : props.submitLabel}
      </button>
      <p id={ids.help} className="muted small full">
        Recorded in the audit log as who imported, approved, submitted or changed anything from this computer. Kept for your user
        on this computer, not in the ledger.
      </p>
    </form>
  );
}

/**
 * Asks for the operator's name once, at the first start (when none is saved for this desktop
 * user). Nothing else of the window can be used until it is given.
 */
export function OperatorDialog(props: { onSaved?: (info: OperatorInfo) => void }) {
  const [info, setInfo] = useState<OperatorInfo | null>(null);
  useEffect(() => {
    // A shell that cannot say (an older one) is not asked: the window stays usable.
    api.operatorInfo().then(setInfo, () => setInfo(null));
  }, []);
  const titleId = useId();
  if (info === null || info.saved !== null) return null;

  // Tab stays inside the dialog (the window behind it waits for the name).
  function trapTab(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key !== "Tab") return;
    const focusable = Array.from(e.currentTarget.querySelectorAll<HTMLElement>("input, button:not(:disabled)"));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <div className="dialog-backdrop">
      <div className="dialog card" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="operator-dialog" onKeyDown={trapTab}>
        <h2 id={titleId}>Who is working in Partner Ledger?</h2>
        <NameForm
          initial={info.suggestion}
          submitLabel="Continue"
          autoFocus
          onSaved={(saved) => {
            setInfo(saved);
            props.onSaved?.(saved);
          }}
        />
      </div>
    </div>
  );
}

/** The operator's name in Setup: shown and changeable. */
export function OperatorSection() {
  const info = useLoaded(api.operatorInfo);
  const [saved, setSaved] = useState(false);
  return (
    <section className="card" aria-labelledby="operator-title">
      <div className="card-head">
        <h2 id="operator-title">Your name</h2>
      </div>
      {info.data === null ? (
        <LoadState error={info.error} what="Your name" />
      ) : (
        <>
          <p className="muted small" data-testid="operator-current">
            Changes from this window are recorded as made by <strong>{info.data.current}</strong>
            {info.data.saved === null ? " (not saved yet: the name of your user on this computer)" : ""}.
          </p>
          <NameForm
            initial={info.data.saved ?? info.data.suggestion}
            submitLabel="Save name"
            onSaved={(i) => {
              info.set(i);
              setSaved(true);
            }}
          />
          {saved && (
            <p className="message ok-quiet" role="status">
              Saved: later changes are recorded as made by {info.data.current}.
            </p>
          )}
        </>
      )}
    </section>
  );
}
