import { memo, useEffect, useState } from 'react';
import type { SummaryStudioEvent } from '@tfstream/studio-api';
import { cssVar, prepareCanvas } from '../lib/css-var';
import { queueDraw } from '../lib/draw-queue';
import { formatNumber } from '../lib/format';
import { useTheme } from '../lib/theme';
import { useCanvasWidth } from './use-canvas-width';

const HEIGHT = 170;

/**
 * TensorBoard's offset view: one ridge per reported step, oldest at the back. The slider picks
 * a step, drawn in the accent colour with its numbers.
 */
export const HistogramChart = memo(function HistogramChart({
  name,
  steps,
  version,
}: {
  name: string;
  steps: readonly SummaryStudioEvent[];
  version: number;
}) {
  const { canvas, cssWidth, resized } = useCanvasWidth();
  const theme = useTheme((s) => s.theme);
  const [picked, setPicked] = useState<number | undefined>();
  const selected = picked === undefined || picked >= steps.length ? steps.length - 1 : picked;

  useEffect(() => {
    const element = canvas.current;
    if (element === null || steps.length === 0) {
      return;
    }
    const draw = () => {
      const prepared = prepareCanvas(element, HEIGHT, cssWidth.current);
      if (prepared === undefined) {
        return;
      }
      const { ctx, width, height } = prepared;
      const min = Math.min(...steps.map((s) => s.histogram.min));
      const max = Math.max(...steps.map((s) => s.histogram.max));
      const span = max - min || 1;
      const left = 10;
      const right = width - 48;
      const peak = 46;
      const ridge = Math.min(16, (height - 24 - peak) / Math.max(1, steps.length - 1));
      const base = (i: number) => height - 18 - (steps.length - 1 - i) * ridge;
      const accent = cssVar('--accent');
      const ink = cssVar('--chart-2');
      const surface = cssVar('--surface');
      ctx.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
      for (let i = 0; i < steps.length; i++) {
        const h = steps[i]!.histogram;
        const top = Math.max(1, ...h.counts);
        const y0 = base(i);
        ctx.beginPath();
        ctx.moveTo(left + ((h.edges[0]! - min) / span) * (right - left), y0);
        h.counts.forEach((count, b) => {
          const mid = (h.edges[b]! + h.edges[b + 1]!) / 2;
          ctx.lineTo(left + ((mid - min) / span) * (right - left), y0 - (count / top) * peak);
        });
        ctx.lineTo(left + ((h.edges.at(-1)! - min) / span) * (right - left), y0);
        ctx.closePath();
        const isSelected = i === selected;
        ctx.globalAlpha = 1;
        ctx.fillStyle = surface;
        ctx.fill();
        ctx.globalAlpha = isSelected ? 0.35 : 0.12 + (0.5 * (i + 1)) / steps.length;
        ctx.fillStyle = isSelected ? accent : ink;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.strokeStyle = isSelected ? accent : ink;
        ctx.lineWidth = isSelected ? 1.6 : 0.8;
        ctx.stroke();
        if (i === 0 || i === steps.length - 1 || isSelected) {
          ctx.fillStyle = cssVar('--muted');
          ctx.textAlign = 'left';
          ctx.fillText(`${steps[i]!.step}`, right + 6, y0);
        }
      }
      ctx.fillStyle = cssVar('--muted');
      ctx.textAlign = 'left';
      ctx.fillText(formatNumber(min), left, height - 4);
      ctx.textAlign = 'right';
      ctx.fillText(formatNumber(max), right, height - 4);
    };
    return queueDraw(element, draw);
  }, [canvas, cssWidth, resized, steps, version, theme, selected]);

  const current = steps[selected];
  return (
    <div className="chart" data-testid="histogram" data-name={name}>
      <div className="chart-head">
        <b>{name}</b>
        <span className="muted">{steps.length} steps</span>
      </div>
      {current === undefined ? null : (
        <div className="muted mono" style={{ fontSize: 11 }}>
          step {current.step} · {current.histogram.count} values in [
          {formatNumber(current.histogram.min)}, {formatNumber(current.histogram.max)}]
        </div>
      )}
      <canvas ref={canvas} style={{ height: HEIGHT }} />
      {steps.length > 1 ? (
        <input
          type="range"
          min={0}
          max={steps.length - 1}
          value={selected}
          style={{ width: '100%', accentColor: 'var(--accent)' }}
          aria-label={`step of ${name}`}
          onChange={(e) => {
            const i = Number(e.target.value);
            setPicked(i === steps.length - 1 ? undefined : i);
          }}
        />
      ) : null}
    </div>
  );
});
