// The ledger's settings, one row each: the value in force, a control to change it, what it
// means (the engine's words), and the engine's refusal right under the field.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import * as api from "../../api";
import type { SettingInfo } from "../../bindings/SettingInfo";
import { FieldError, LoadState, useLoaded } from "./common";

/** The window's names for the settings (the engine's keys are shown under them). */
export const SETTING_LABELS: Record<string, string> = {
  timezone: "Time zone",
  deduct_processor_fees: "Deduct processor fees",
  instance_metadata_key: "Instance metadata key",
  refund_rate: "Rate of a refund",
  date_order: "Day/month order of ambiguous files",
  "wix.base_url": "Wix address",
  "wix.billing_path": "Billing event path",
  "wix.timeout_secs": "Request timeout (seconds)",
  "wix.concurrency": "Requests in flight at once",
};

/** Words for the engine's choices. */
const CHOICE_LABELS: Record<string, string> = {
  true: "Yes",
  false: "No",
  event_date: "The rate in force on the refund’s own date",
  original_charge: "The rate of its original charge",
  "day-first": "DD/MM/YYYY",
  "month-first": "MM/DD/YYYY (US)",
};

export function SettingsForm() {
  const settings = useLoaded(api.listSettings);
  if (settings.data === null) return <LoadState error={settings.error} what="The settings" />;
  return (
    <section className="card" aria-labelledby="settings-title">
      <div className="card-head">
        <h2 id="settings-title">Settings</h2>
      </div>
      <div className="settings-list">
        {settings.data.map((s) => (
          <SettingRow key={s.key} setting={s} onSaved={settings.set} />
        ))}
      </div>
    </section>
  );
}

function SettingRow(props: { setting: SettingInfo; onSaved: (all: SettingInfo[]) => void }) {
  const s = props.setting;
  const [draft, setDraft] = useState(s.value ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { input: useId(), help: useId(), err: useId() };
  const label = SETTING_LABELS[s.key] ?? s.key;
  const dirty = draft !== (s.value ?? "");

  async function save(e?: FormEvent) {
    e?.preventDefault();
    setSaved(false);
    if (draft.trim() === "") {
      setError(`Choose or type a value for “${label}”.`);
      return;
    }
    setBusy(true);
    try {
      const all = await api.setSetting(s.key, draft);
      const now = all.find((x) => x.key === s.key);
      setDraft(now?.value ?? "");
      setError(null);
      setSaved(true);
      props.onSaved(all);
    } catch (err) {
      setError(api.errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const describedBy = [ids.help, error ? ids.err : null].filter(Boolean).join(" ");
  let control;
  if (s.key === "timezone") {
    control = (
      <TimezonePicker id={ids.input} value={draft} onChange={setDraft} onPick={setDraft} describedBy={describedBy} invalid={error !== null} disabled={busy} />
    );
  } else if (s.choices.length > 0) {
    control = (
      <select
        id={ids.input}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={error !== null}
        disabled={busy}
        data-testid={`setting-${s.key}`}
      >
        {draft === "" && <option value="">Not set</option>}
        {s.choices.map((c) => (
          <option key={c} value={c}>
            {CHOICE_LABELS[c] ?? c}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        id={ids.input}
        type="text"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={error !== null}
        disabled={busy}
        spellCheck={false}
        autoComplete="off"
        data-testid={`setting-${s.key}`}
      />
    );
  }

  return (
    <form className="setting-row" onSubmit={save} noValidate data-key={s.key}>
      <div className="setting-label">
        <label htmlFor={ids.input}>{label}</label>
        <code className="muted">{s.key}</code>
      </div>
      <div className="setting-control">
        {control}
        <p id={ids.help} className="muted small setting-help">
          {sentence(s.help)}
          {s.default !== null && (
            <>
              {" "}
              Default: <code>{s.default}</code>
              {!s.stored && " (in use)"}.
            </>
          )}
        </p>
        <FieldError id={ids.err} message={error} />
      </div>
      <div className="setting-actions">
        <button type="submit" className={dirty ? "primary" : "secondary"} disabled={busy || !dirty} aria-label={`Save ${label}`}>
          {busy ? "Saving…" : "Save"}
        </button>
        {saved && !dirty && (
          <span className="saved-mark" role="status">
            Saved
          </span>
        )}
      </div>
    </form>
  );
}

/** The engine's help for a setting ("reporting time zone, an IANA name") as a sentence. */
export function sentence(help: string): string {
  const t = help.trim();
  if (t === "") return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}

/** How many zones the list shows at once. */
const SHOWN_ZONES = 8;

/**
 * A searchable list of the IANA time zones the engine accepts (WAI-ARIA combobox): type part
 * of a name, move with the arrows, Enter or a click chooses, Escape closes the list.
 */
export function TimezonePicker(props: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  onPick: (zone: string) => void;
  describedBy?: string;
  invalid?: boolean;
  disabled?: boolean;
}) {
  const zones = useLoaded(api.listTimezones);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listId = useId();
  const listRef = useRef<HTMLUListElement>(null);
  const matches = useMemo(() => {
    const q = props.value.trim().toLowerCase().replace(/ /g, "_");
    const all = zones.data ?? [];
    if (q === "") return all.slice(0, SHOWN_ZONES);
    const starts = all.filter((z) => z.toLowerCase().split("/").some((part) => part.startsWith(q)) || z.toLowerCase().startsWith(q));
    const contains = all.filter((z) => !starts.includes(z) && z.toLowerCase().includes(q));
    return [...starts, ...contains].slice(0, SHOWN_ZONES);
  }, [props.value, zones.data]);
  useEffect(() => setActive(0), [props.value]);
  const shown = open && matches.length > 0;

  function pick(zone: string) {
    props.onPick(zone);
    setOpen(false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) setOpen(true);
      else setActive((a) => Math.min(matches.length - 1, a + 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === "Enter" && shown) {
      const zone = matches[active];
      if (zone !== undefined && zone !== props.value) {
        e.preventDefault();
        pick(zone);
      } else {
        setOpen(false);
      }
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
    }
  }

  return (
    <div className="tz-picker">
      <input
        id={props.id}
        type="text"
        role="combobox"
        aria-expanded={shown}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown ? `${listId}-${active}` : undefined}
        aria-describedby={props.describedBy}
        aria-invalid={props.invalid}
        data-testid="setting-timezone"
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => {
          props.onChange(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
        spellCheck={false}
        autoComplete="off"
        placeholder="Type to search: Berlin, New_York, UTC…"
      />
      {shown && (
        <ul id={listId} role="listbox" ref={listRef} className="tz-list" aria-label="Time zones">
          {matches.map((z, i) => (
            <li
              key={z}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              // Chosen before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(z);
              }}
            >
              {z}
            </li>
          ))}
        </ul>
      )}
      {zones.error && <FieldError id={`${listId}-err`} message={`The list of time zones could not be read: ${zones.error}`} />}
    </div>
  );
}
