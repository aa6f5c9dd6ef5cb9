import { useId } from "react";
import type { MonthInfo } from "../bindings/MonthInfo";

/** The labelled month `<select>` shared by the Month and Submission views. */
export function MonthPicker(props: {
  months: MonthInfo[];
  value: string | null;
  onChange: (month: string) => void;
  testId: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>Month</label>
      <select
        id={id}
        data-testid={props.testId}
        value={props.value ?? ""}
        onChange={(e) => props.onChange(e.target.value)}
        disabled={props.disabled}
      >
        {props.months.map((m) => (
          <option key={m.month} value={m.month}>
            {m.month} — {m.status}
          </option>
        ))}
      </select>
    </div>
  );
}
