// The charts' one link to uPlot (pinned in package.json: a small, well-kept canvas chart
// library with no dependencies). Apache ECharts was tried first and dropped: its code assigns
// to properties that a frozen Object.prototype makes read-only (the window runs with
// `freezePrototype`), so it cannot run in this window.
//
// The CSP (`style-src 'self'`, no inline scripts) holds: uPlot draws on a <canvas> and sizes its
// elements through the CSSOM (element.style), which the policy allows; its stylesheet is bundled
// with ours.
import { useEffect, useRef } from "react";
// Before uPlot loads (it reads the page's language as it does).
import "./localeGuard";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export { uPlot };

/** What a chart draws, for a given width. */
export interface ChartSpec {
  opts: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
}

/** Whether this page can draw on a canvas (every WebView can; a test DOM cannot). */
let canvasOk: boolean | null = null;
function canDraw(): boolean {
  if (canvasOk === null) {
    try {
      canvasOk = document.createElement("canvas").getContext("2d") !== null;
    } catch {
      canvasOk = false;
    }
  }
  return canvasOk;
}

/**
 * A chart of `spec`, `height` pixels high and as wide as its box (it follows the box when the
 * window is resized). The chart is a picture: the component using it also shows the same
 * figures as text for screen readers and scripts.
 */
export function UPlotChart({ spec, height, label, testId }: { spec: ChartSpec; height: number; label: string; testId: string }) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el || !canDraw()) return;
    const width = () => Math.max(200, Math.floor(el.getBoundingClientRect().width));
    const chart = new uPlot({ ...spec.opts, width: width(), height }, spec.data, el);
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => chart.setSize({ width: width(), height }));
    observer?.observe(el);
    return () => {
      observer?.disconnect();
      chart.destroy();
    };
  }, [spec, height]);

  return <div ref={box} className="uplot-box" role="img" aria-label={label} data-testid={testId} />;
}
