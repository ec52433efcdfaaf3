import type { RefObject } from 'react';
import { useEffect, useRef, useState } from 'react';

/**
 * A chart canvas and its CSS width as a ResizeObserver last saw it, so that drawing never forces a
 * layout. `resized` changes on every resize: put it in the drawing effect's dependencies.
 */
export function useCanvasWidth(): {
  canvas: RefObject<HTMLCanvasElement | null>;
  cssWidth: RefObject<number | undefined>;
  resized: number;
} {
  const canvas = useRef<HTMLCanvasElement>(null);
  const cssWidth = useRef<number | undefined>(undefined);
  const [resized, setResized] = useState(0);
  useEffect(() => {
    const element = canvas.current;
    if (element === null) {
      return;
    }
    const observer = new ResizeObserver((entries) => {
      cssWidth.current = entries[0]?.contentRect.width;
      setResized((n) => n + 1);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { canvas, cssWidth, resized };
}
