// uPlot formats numbers with `new Intl.NumberFormat(navigator.language)` as it loads. A session
// started without a locale (LANG unset or `C`, as under a bare X server) gives the WebView a
// language tag Intl refuses ("C"), and the whole window would fail to start. Then the page's
// language is taken as US English, for uPlot's own number formatting only (every amount the
// window shows is formatted by format.ts, from Rust's strings).
function usable(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !usable(navigator.language)) {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
}

export {};
