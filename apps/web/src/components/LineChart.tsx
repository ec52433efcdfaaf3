import { memo, useEffect, useState } from 'react';
import { SERIES_COLORS, cssVar, prepareCanvas } from '../lib/css-var';
import { queueDraw } from '../lib/draw-queue';
import { formatNumber, formatTime } from '../lib/format';
import { smooth } from '../lib/smooth';
import { useTheme } from '../lib/theme';
import { useCanvasWidth } from './use-canvas-width';
import type { MetricSeries } from '../run/run-store';

const HEIGHT = 140;

/** Three significant digits: axis labels must fit the left margin. */
function axisLabel(v: number): string {
  const abs = Math.abs(v);
  if (v === 0) {
    return '0';
  }
  if (abs >= 1e5 || abs < 1e-3) {
    return v.toExponential(1);
  }
  return String(Number(v.toPrecision(3)));
}

const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

function seriesLabel(s: MetricSeries): string {
  return s.role === 'coordinator'
    ? s.name
    : s.role === 'p50' || s.role === 'p99'
      ? s.role
      : `${s.role} ${s.index}`;
}

/**
 * One metric as lines (one per role that reports it), drawn on a canvas whenever the run store
 * changes, which the session batches to at most one redraw per animation frame.
 */
export const LineChart = memo(function LineChart({
  title,
  unit,
  series,
  version,
  xAxis,
  smoothing,
}: {
  title: string;
  unit?: string;
  series: readonly MetricSeries[];
  version: number;
  xAxis: 'step' | 'time';
  /** TensorBoard's smoothing: an exponential moving average, 0 (none) to 0.99. */
  smoothing: number;
}) {
  const { canvas, cssWidth, resized } = useCanvasWidth();
  const theme = useTheme((s) => s.theme);
  const [hover, setHover] = useState<{ x: number; width: number } | undefined>();

  useEffect(() => {
    const element = canvas.current;
    if (element === null) {
      return;
    }
    const draw = () => {
      const prepared = prepareCanvas(element, HEIGHT, cssWidth.current);
      if (prepared === undefined) {
        return;
      }
      const { ctx, width, height } = prepared;
      let xMin = Infinity;
      let xMax = -Infinity;
      let yMin = Infinity;
      let yMax = -Infinity;
      for (const s of series) {
        for (let i = 0; i < s.xs.length; i++) {
          xMin = Math.min(xMin, s.xs[i]!);
          xMax = Math.max(xMax, s.xs[i]!);
          yMin = Math.min(yMin, s.ys[i]!);
          yMax = Math.max(yMax, s.ys[i]!);
        }
      }
      if (!Number.isFinite(xMin)) {
        return;
      }
      if (yMin === yMax) {
        const pad = Math.abs(yMin) * 0.1 || 1;
        yMin -= pad;
        yMax += pad;
      }
      const span = yMax - yMin;
      yMin = yMin >= 0 && yMin - span * 0.05 < 0 ? 0 : yMin - span * 0.05;
      yMax += span * 0.05;
      if (xMin === xMax) {
        xMax = xMin + 1;
      }
      const plotW = width - PAD.left - PAD.right;
      const plotH = height - PAD.top - PAD.bottom;
      const x = (v: number) => PAD.left + ((v - xMin) / (xMax - xMin)) * plotW;
      const y = (v: number) => PAD.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;

      ctx.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
      ctx.fillStyle = cssVar('--muted');
      ctx.strokeStyle = cssVar('--grid');
      ctx.lineWidth = 1;
      for (let i = 0; i <= 3; i++) {
        const v = yMin + ((yMax - yMin) * i) / 3;
        const py = Math.round(y(v)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(PAD.left, py);
        ctx.lineTo(width - PAD.right, py);
        ctx.stroke();
        ctx.textAlign = 'right';
        ctx.fillText(axisLabel(v), PAD.left - 5, py + 3);
      }
      ctx.textAlign = 'left';
      ctx.fillText(
        xAxis === 'time' ? formatTime(xMin) : `step ${Math.round(xMin)}`,
        PAD.left,
        height - 4,
      );
      ctx.textAlign = 'right';
      ctx.fillText(
        xAxis === 'time' ? formatTime(xMax) : `${Math.round(xMax)}`,
        width - PAD.right,
        height - 4,
      );

      series.forEach((s, index) => {
        const color = cssVar(SERIES_COLORS[index % SERIES_COLORS.length]!);
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.lineJoin = 'round';
        // At most ~2 points per pixel column: enough for the eye, cheap at 60 fps.
        const stride = Math.max(1, Math.floor(s.xs.length / (plotW * 2)));
        const path = (ys: readonly number[]) => {
          ctx.beginPath();
          for (let i = 0; i < s.xs.length; i += stride) {
            const px = x(s.xs[i]!);
            const py = y(ys[i]!);
            if (i === 0) {
              ctx.moveTo(px, py);
            } else {
              ctx.lineTo(px, py);
            }
          }
          const last = s.xs.length - 1;
          ctx.lineTo(x(s.xs[last]!), y(ys[last]!));
          ctx.stroke();
        };
        if (smoothing > 0 && s.ys.length > 2) {
          ctx.globalAlpha = 0.22;
          ctx.lineWidth = 1;
          path(s.ys);
          ctx.globalAlpha = 1;
          ctx.lineWidth = 1.6;
          path(smooth(s.ys, smoothing));
        } else {
          ctx.lineWidth = 1.5;
          path(s.ys);
        }
        // Sparse series (an eval at the end of training) are points, not lines.
        const dots = s.xs.length <= 30 ? s.xs.map((_, i) => i) : [s.xs.length - 1];
        for (const i of dots) {
          ctx.beginPath();
          ctx.arc(x(s.xs[i]!), y(s.ys[i]!), s.xs.length <= 30 ? 2.5 : 2, 0, Math.PI * 2);
          ctx.fill();
        }
      });

      if (hover !== undefined && hover.x >= PAD.left && hover.x <= width - PAD.right) {
        ctx.strokeStyle = cssVar('--border-strong');
        ctx.beginPath();
        ctx.moveTo(hover.x + 0.5, PAD.top);
        ctx.lineTo(hover.x + 0.5, height - PAD.bottom);
        ctx.stroke();
      }
    };
    return queueDraw(element, draw);
  }, [canvas, cssWidth, resized, series, version, theme, hover, xAxis, smoothing]);

  const latest = series[0] === undefined ? undefined : series[0].ys.at(-1);
  let hoverText: string | undefined;
  if (hover !== undefined && series[0] !== undefined && series[0].xs.length > 0) {
    const plotW = hover.width - PAD.left - PAD.right;
    const xMin = Math.min(...series.map((s) => s.xs[0] ?? Infinity));
    const xMax = Math.max(...series.map((s) => s.xs.at(-1) ?? -Infinity));
    const target = xMin + ((hover.x - PAD.left) / plotW) * (xMax - xMin);
    hoverText = series
      .map((s) => {
        let best = 0;
        for (let i = 0; i < s.xs.length; i++) {
          if (Math.abs(s.xs[i]! - target) < Math.abs(s.xs[best]! - target)) {
            best = i;
          }
        }
        return `${seriesLabel(s)} ${formatNumber(s.ys[best]!)}`;
      })
      .join(' · ');
    hoverText = `${xAxis === 'time' ? formatTime(target) : `step ${Math.round(target)}`}: ${hoverText}`;
  }

  return (
    <div className="chart" data-testid="metric-chart" data-metric={title}>
      <div className="chart-head">
        <b>{title}</b>
        {unit === undefined ? null : <span className="muted">{unit}</span>}
        <span className="value">
          {hoverText ?? (latest === undefined ? '—' : formatNumber(latest))}
        </span>
      </div>
      <canvas
        ref={canvas}
        style={{ height: HEIGHT }}
        onMouseMove={(e) =>
          setHover({ x: e.nativeEvent.offsetX, width: e.currentTarget.clientWidth })
        }
        onMouseLeave={() => setHover(undefined)}
      />
      {series.length > 1 ? (
        <div className="legend">
          {series.map((s, i) => (
            <span key={s.id}>
              <i style={{ background: `var(${SERIES_COLORS[i % SERIES_COLORS.length]})` }} />
              {seriesLabel(s)}
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
});
