import { useId } from "react";

interface Props {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  placeholder?: string;
  disabled?: boolean;
  grow?: boolean;
  testId?: string;
}

/** A labelled text input with its error under it (announced to screen readers). */
export function Field({ label, value, onChange, error, placeholder, disabled, grow, testId }: Props) {
  const id = useId();
  const errId = useId();
  return (
    <div className={grow ? "field grow" : "field"}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        disabled={disabled}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errId : undefined}
        data-testid={testId}
      />
      {error && (
        <span id={errId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
