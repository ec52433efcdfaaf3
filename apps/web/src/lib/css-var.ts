const cache = new Map<string, string>();

/**
 * The value of a CSS custom property on the root (colours for canvas drawing), cached per
 * theme: getComputedStyle forces a style recalculation, too dear at 60 redraws a second.
 */
export function cssVar(name: string): string {
  const key = `${document.documentElement.dataset.theme ?? ''}${name}`;
  let value = cache.get(key);
  if (value === undefined) {
    value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    cache.set(key, value);
  }
  return value;
}

export const SERIES_COLORS = [
  '--chart-1',
  '--chart-2',
  '--chart-3',
  '--chart-4',
  '--chart-5',
  '--chart-6',
];

/** A canvas sized to its box in device pixels, with its 2D context scaled to CSS pixels. */
export function prepareCanvas(
  canvas: HTMLCanvasElement,
  cssHeight: number,
  /** The canvas's CSS width as its ResizeObserver last saw it: reading clientWidth forces layout. */
  cssWidth?: number,
): { ctx: CanvasRenderingContext2D; width: number; height: number } | undefined {
  const ratio = window.devicePixelRatio || 1;
  const width = cssWidth ?? canvas.clientWidth;
  if (width === 0) {
    return undefined;
  }
  if (
    canvas.width !== Math.round(width * ratio) ||
    canvas.height !== Math.round(cssHeight * ratio)
  ) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(cssHeight * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) {
    return undefined;
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, cssHeight);
  return { ctx, width, height: cssHeight };
}
