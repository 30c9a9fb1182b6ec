// One chart: the engine's SVG at the width of its card, a crosshair that
// reads every series under the pointer, where the app was not running,
// and Export PNG.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type MouseEvent } from "react";
import { useMetricsStore } from "../../stores/metrics";
import { isEmpty, readoutAt } from "./crosshair";
import type { Shown } from "./charts";
import { formatClock, gapsNote } from "./format";
import { EXPORT_HINTS, MetricsProblem } from "./MetricsProblem";
import { sanitizeSvg } from "./svg";

/** Each chart's height in pixels. */
export const CHART_HEIGHT = 220;
/** The width asked for while the card has none yet (tests, a hidden card). */
const FALLBACK_WIDTH = 480;
/** Resizes closer together than this are drawn once. */
const RESIZE_SETTLE_MS = 150;

/** The width of the element `ref` is given, in whole pixels, followed as
 * it changes. */
function useWidth(): [(el: HTMLDivElement | null) => void, number] {
  const [width, setWidth] = useState(0);
  const ref = useCallback((el: HTMLDivElement | null) => {
    if (!el) return;
    const measure = () => setWidth(Math.floor(el.getBoundingClientRect().width) || FALLBACK_WIDTH);
    measure();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(measure, RESIZE_SETTLE_MS);
    });
    observer.observe(el);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, []);
  return [ref, width];
}

/** Where the pointer is, in the SVG's pixels, and how much the SVG is
 * scaled on screen (1 unless the card was resized since it was drawn). */
type Pointer = { x: number; scale: number };

export const ChartCard = memo(function ChartCard({ shown }: { shown: Shown }) {
  const { def, empty } = shown;
  const [measured, width] = useWidth();
  const place = useMetricsStore((s) => s.place);
  const forget = useMetricsStore((s) => s.forget);
  const exportChart = useMetricsStore((s) => s.exportChart);
  const slot = useMetricsStore((s) => s.slots[def.id]);
  const exported = useMetricsStore((s) => s.exports[def.id]);
  const plotRef = useRef<HTMLDivElement>(null);
  const [pointer, setPointer] = useState<Pointer | null>(null);

  useEffect(() => {
    if (width > 0) place(def, width, CHART_HEIGHT);
  }, [place, def, width]);
  useEffect(() => () => forget(def.id), [forget, def.id]);

  const chart = slot?.chart ?? null;
  const svg = useMemo(() => (chart ? sanitizeSvg(chart.svg) : null), [chart]);
  const readout = chart && pointer ? readoutAt(chart, pointer.x) : null;
  const drawnWidth = slot?.drawnWidth ?? width;
  // How much the SVG is scaled on screen (below 1 only while a resize is redrawn).
  const shownScale = width > 0 && drawnWidth > 0 ? Math.min(1, width / drawnWidth) : 1;

  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    const box = plotRef.current;
    if (!box) return;
    const rect = (box.querySelector("svg") ?? box).getBoundingClientRect();
    // Unmeasured (jsdom): the SVG is drawn at its own size.
    const scale = rect.width > 0 && drawnWidth > 0 ? rect.width / drawnWidth : 1;
    setPointer({ x: (e.clientX - rect.left) / scale, scale });
  };

  const span = chart ? chart.reading.toMs - chart.reading.fromMs : 0;
  const gaps = chart ? gapsNote(chart.reading.gaps, span, chart.reading.toMs) : null;
  const lineLeft = readout && pointer && chart ? pointer.x * pointer.scale : 0;
  const flip = chart !== null && pointer !== null && pointer.x > chart.plot.left + chart.plot.width * 0.6;

  return (
    // The SVG carries the title (so an exported PNG does too); without one
    // the card says it itself.
    <section className="card chart-card" aria-label={def.title} data-testid={`chart-${def.id}`}>
      <button
        type="button"
        className="btn-sm chart-export"
        data-testid={`export-${def.id}`}
        disabled={!slot || exported?.busy}
        onClick={() => void exportChart(def.id)}
      >
        {exported?.busy ? "Exporting…" : "Export PNG"}
      </button>
      {!svg && <h2 className="chart-title">{def.title}</h2>}
      <div ref={measured} className="chart-box">
        {slot?.error ? (
          <div className="chart-placeholder" style={{ minHeight: CHART_HEIGHT - 30 }}>
            <MetricsProblem error={slot.error} testId={`chart-error-${def.id}`} />
          </div>
        ) : svg && chart ? (
          <div
            ref={plotRef}
            className="chart-plot"
            data-testid={`chart-plot-${def.id}`}
            onMouseMove={onMove}
            onMouseLeave={() => setPointer(null)}
          >
            <div
              className="chart-svg"
              data-testid={`chart-svg-${def.id}`}
              // Our own engine's SVG, with anything that could run or load removed.
              dangerouslySetInnerHTML={{ __html: svg }}
            />
            {isEmpty(chart) && (
              <p
                className="chart-empty"
                data-testid={`chart-empty-${def.id}`}
                // Over the middle of the plot, where the engine writes "no data".
                style={{
                  left: chart.plot.left * shownScale,
                  width: chart.plot.width * shownScale,
                  top: (chart.plot.top + chart.plot.height / 2) * shownScale,
                }}
              >
                {empty}
              </p>
            )}
            {readout && pointer && (
              <>
                <div
                  className="crosshair"
                  data-testid={`crosshair-${def.id}`}
                  style={{
                    left: lineLeft,
                    top: chart.plot.top * pointer.scale,
                    height: chart.plot.height * pointer.scale,
                  }}
                />
                <div
                  className={flip ? "readout flip" : "readout"}
                  data-testid={`readout-${def.id}`}
                  style={{ left: lineLeft, top: chart.plot.top * pointer.scale }}
                >
                  <div className="readout-time">{formatClock(readout.atMs, span, chart.reading.toMs)}</div>
                  {readout.rows.map((row, i) => (
                    <div key={row.key} className="readout-row" data-testid={`readout-${def.id}-${i}`}>
                      <span className="swatch" style={{ background: row.color }} />
                      <span className="muted">{row.label}</span> <strong>{row.value ?? "–"}</strong>
                    </div>
                  ))}
                </div>
              </>
            )}
          </div>
        ) : (
          <div className="chart-placeholder muted" style={{ minHeight: CHART_HEIGHT - 30 }} data-testid={`chart-loading-${def.id}`}>
            {chart ? "The chart could not be shown." : "Drawing…"}
          </div>
        )}
      </div>
      {gaps && (
        <p className="muted small chart-note" data-testid={`chart-gaps-${def.id}`}>
          {gaps}
        </p>
      )}
      {exported?.path && (
        <p className="small chart-note" data-testid={`export-path-${def.id}`}>
          Saved to <code>{exported.path}</code>
        </p>
      )}
      {exported?.error && <MetricsProblem error={exported.error} testId={`export-error-${def.id}`} hints={EXPORT_HINTS} />}
    </section>
  );
});
