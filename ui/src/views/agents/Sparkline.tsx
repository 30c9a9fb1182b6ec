// A small line of recent values, as inline SVG: time runs left to right over
// a fixed window ending at the newest sample; missing values and gaps in the
// sampling (the app was not running) break the line.
import type { Point } from "../../stores/stats";

export type { Point };

const WIDTH = 240;
const HEIGHT = 36;
/** Samples further apart than this are not joined. */
const GAP_MS = 5000;

type SparklineProps = {
  points: Point[];
  windowMs: number;
  /** The value drawn at the top (e.g. the memory limit); scaled to the values when none is given. */
  max?: number | null;
  label: string;
  testId: string;
};

/** The runs of consecutive known values, each as an SVG `points` string. */
function segments(points: Point[], windowMs: number, top: number): string[] {
  const end = points[points.length - 1]?.atMs ?? 0;
  const start = end - windowMs;
  const runs: string[][] = [];
  let run: string[] = [];
  let previous: number | null = null;
  for (const { atMs, value } of points) {
    if (value === null || (previous !== null && atMs - previous > GAP_MS)) {
      if (run.length > 0) runs.push(run);
      run = [];
    }
    previous = atMs;
    if (value === null || atMs < start) continue;
    const x = ((atMs - start) / windowMs) * WIDTH;
    const y = HEIGHT - 1 - (Math.min(value, top) / top) * (HEIGHT - 2);
    run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  if (run.length > 0) runs.push(run);
  return runs.map((r) => r.join(" "));
}

export function Sparkline({ points, windowMs, max, label, testId }: SparklineProps) {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  // Without a fixed top, the largest value sits a little below the edge.
  const top = max ? Math.max(max, ...values) : Math.max(...values, Number.EPSILON) * 1.15;
  const lines = segments(points, windowMs, top);
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      data-testid={testId}
      data-samples={values.length}
    >
      <title>{label}</title>
      <line className="sparkline-base" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      {lines.map((p, i) => (
        <polyline key={i} points={p} vectorEffect="non-scaling-stroke" />
      ))}
    </svg>
  );
}
