import { useEffect, useState } from "react";

/** How long a search box waits after the last keystroke before it asks the engine. */
export const SEARCH_PAUSE_MS = 200;

/** Waits until `value` has stayed the same for `ms` (a search box asks once typing pauses). */
export function useSettled<T>(value: T, ms: number = SEARCH_PAUSE_MS): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
