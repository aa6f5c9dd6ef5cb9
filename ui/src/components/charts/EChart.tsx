// The charts' one link to Apache ECharts (pinned in package.json). Only what the window's
// charts use is registered (bars and lines on a grid, tooltips, legends, the canvas renderer),
// so the bundle carries no more of the library than that.
//
// The CSP (`style-src 'self'`, no inline scripts) holds: the canvas renderer draws into a
// <canvas> and positions its elements through the CSSOM (element.style), which the policy
// allows; the tooltips' text comes from our formatters (escaped, no style attributes).
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** Text for a tooltip (ECharts sets it as HTML): escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
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
 * A chart of `option`, `height` pixels high and as wide as its box (it follows the box when the
 * window is resized). The chart is a picture: the component using it also shows the same figures
 * as text for screen readers and scripts.
 */
export function EChart({ option, height, label, testId }: { option: ChartOption; height: number; label: string; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.EChartsType | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el || !canDraw()) return;
    const c = echarts.init(el, undefined, { renderer: "canvas", height });
    chart.current = c;
    const resize = () => c.resize();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(resize);
    observer?.observe(el);
    return () => {
      observer?.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [height]);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option, height]);

  return <div ref={box} className="echart" role="img" aria-label={label} data-testid={testId} style={{ height }} />;
}
