import { useId } from "react";
import type { InstanceLine } from "../bindings/InstanceLine";
import { barFraction, compareDecimal, formatAmount, formatCount, isNegative } from "../format";

const ROW = 26;
const LABEL_W = 150;
const BAR_W = 420;
const VALUE_W = 110;

/** The instance id as a short label: its first block, the full id in the tooltip. */
function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/**
 * Wix share per instance, the largest ten, as horizontal bars: `top` is the engine's first page
 * of instances by Wix share (largest first), `count` how many instances the month has. The
 * amounts are Rust's decimal strings, shown grouped; they become numbers only to size the bars.
 */
export function ShareChart({ top, count }: { top: InstanceLine[]; count: number }) {
  const titleId = useId();
  if (top.length === 0) return null;
  const longest = top.reduce((m, l) => {
    const abs = (s: string) => s.replace(/^-/, "");
    return compareDecimal(abs(l.wix_share), abs(m)) > 0 ? l.wix_share : m;
  }, "0");
  const height = top.length * ROW + 4;
  const more = count - top.length;

  return (
    <figure className="chart" data-testid="share-chart">
      <figcaption id={titleId}>
        Wix share per instance{more > 0 ? ` — the top ${top.length} of ${formatCount(count)}` : ""}
      </figcaption>
      <svg
        role="img"
        aria-labelledby={titleId}
        viewBox={`0 0 ${LABEL_W + BAR_W + VALUE_W} ${height}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
      >
        {top.map((l, i) => {
          const y = i * ROW + 2;
          const w = Math.max(barFraction(l.wix_share, longest) * BAR_W, 1);
          return (
            <g key={l.instance_id} data-instance={l.instance_id}>
              <title>{`${l.instance_id}: ${l.wix_share}`}</title>
              <text x={LABEL_W - 8} y={y + ROW / 2 + 4} textAnchor="end" className="chart-label">
                {shortId(l.instance_id)}
              </text>
              <rect
                x={LABEL_W}
                y={y + 4}
                width={w}
                height={ROW - 8}
                rx={3}
                className={isNegative(l.wix_share) ? "bar negative" : "bar"}
              />
              <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} className="chart-value">
                {formatAmount(l.wix_share)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
