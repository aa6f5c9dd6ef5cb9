// The Setup view: everything a ledger needs before and besides the monthly job, one section at
// a time (the app and its rates, settings, Wix credentials, the FX table, column and customer
// mappings, type classifications, the operator's name).
import { useRef, useState, type KeyboardEvent } from "react";
import { AppRates } from "./AppRates";
import { Classifications } from "./Classifications";
import { ColumnMappings } from "./ColumnMappings";
import { Credentials } from "./Credentials";
import { CustomerMappings } from "./CustomerMappings";
import { FxTable } from "./FxTable";
import { OperatorSection } from "./Operator";
import { SettingsForm } from "./SettingsForm";
import "./setup.css";

/** The sections, by the names the window's messages use for them ("Setup → App & rates"). */
export const SECTIONS = [
  { id: "app", label: "App & rates" },
  { id: "settings", label: "Settings" },
  { id: "wix", label: "Wix connection" },
  { id: "fx", label: "FX table" },
  { id: "mappings", label: "Column mappings" },
  { id: "customers", label: "Customers" },
  { id: "classifications", label: "Classifications" },
  { id: "operator", label: "Your name" },
] as const;
export type SectionId = (typeof SECTIONS)[number]["id"];

function Section({ id }: { id: SectionId }) {
  switch (id) {
    case "app":
      return <AppRates />;
    case "settings":
      return <SettingsForm />;
    case "wix":
      return <Credentials />;
    case "fx":
      return <FxTable />;
    case "mappings":
      return <ColumnMappings />;
    case "customers":
      return <CustomerMappings />;
    case "classifications":
      return <Classifications />;
    case "operator":
      return <OperatorSection />;
  }
}

export function SetupView(props: { initialSection?: SectionId }) {
  const [section, setSection] = useState<SectionId>(props.initialSection ?? "app");
  const refs = useRef<Partial<Record<SectionId, HTMLButtonElement | null>>>({});

  function onKey(e: KeyboardEvent<HTMLButtonElement>) {
    const i = SECTIONS.findIndex((s) => s.id === section);
    const to =
      e.key === "ArrowRight" ? (i + 1) % SECTIONS.length
      : e.key === "ArrowLeft" ? (i - 1 + SECTIONS.length) % SECTIONS.length
      : e.key === "Home" ? 0
      : e.key === "End" ? SECTIONS.length - 1
      : null;
    if (to === null) return;
    e.preventDefault();
    const id = SECTIONS[to]!.id;
    setSection(id);
    refs.current[id]?.focus();
  }

  return (
    <div className="setup-view">
      <nav className="subtabs" role="tablist" aria-label="Setup sections">
        {SECTIONS.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={`setup-tab-${s.id}`}
            data-testid={`setup-tab-${s.id}`}
            aria-controls="setup-panel"
            aria-selected={section === s.id}
            tabIndex={section === s.id ? 0 : -1}
            ref={(el) => {
              refs.current[s.id] = el;
            }}
            onClick={() => setSection(s.id)}
            onKeyDown={onKey}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <div role="tabpanel" id="setup-panel" aria-labelledby={`setup-tab-${section}`} data-section={section}>
        <Section key={section} id={section} />
      </div>
    </div>
  );
}
