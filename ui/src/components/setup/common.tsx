// Small pieces the Setup view's sections share: loading what a section shows, showing the
// engine's message next to what it is about, and asking before a removal.
import { useCallback, useEffect, useRef, useState } from "react";
import * as api from "../../api";
import { formatCount } from "../../format";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => Promise<void>;
  set: (data: T) => void;
}

/** Loads what a section shows when it mounts; `reload` asks again (after a change). */
export function useLoaded<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(null);
    } catch (e) {
      setError(api.errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload, set: setData };
}

/** What a section shows while its data comes, or why it could not be read. */
export function LoadState(props: { error: string | null; what: string }) {
  if (props.error !== null) {
    return (
      <div className="message error" role="alert">
        <strong>{props.what} could not be read.</strong> {props.error}
      </div>
    );
  }
  return (
    <p className="muted" aria-busy="true">
      Loading…
    </p>
  );
}

/** The engine's (or the form's) message about one field, tied to it by `id` (aria-describedby). */
export function FieldError(props: { id: string; message: string | null }) {
  if (props.message === null) return null;
  return (
    <p id={props.id} className="field-error" role="alert">
      {props.message}
    </p>
  );
}

/** A confirmed removal: the button, then "Remove …? Remove / Cancel" in its place. */
export function RemoveButton(props: {
  what: string;
  onRemove: () => Promise<void>;
  disabled?: boolean;
  label?: string;
  /** The question shown in the row (default "Remove <what>?"); a short one fits a table row. */
  question?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="secondary" onClick={() => setAsking(true)} disabled={props.disabled} aria-label={`${props.label ?? "Remove"} ${props.what}`}>
        {props.label ?? "Remove"}
      </button>
    );
  }
  return (
    <span className="confirm">
      <span className="confirm-text">{props.question ?? `${props.label ?? "Remove"} ${props.what}?`}</span>
      <button
        type="button"
        className="danger"
        ref={confirmRef}
        aria-label={`${props.label ?? "Remove"} ${props.what}: confirm`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onRemove();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {props.label ?? "Remove"}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}

/** `n thing` / `n things`. */
export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
