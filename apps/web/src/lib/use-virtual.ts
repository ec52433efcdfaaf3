// Windowing for long lists of fixed-height rows: only the rows in view (plus a margin) render.
import { useCallback, useEffect, useState } from 'react';
import type { UIEvent } from 'react';

export interface VirtualWindow {
  readonly start: number;
  readonly end: number;
  /** Height of the whole list, in px. */
  readonly total: number;
  /** The scrolling element, once mounted. */
  readonly element: HTMLDivElement | null;
  /** Callback ref for the scrolling element. */
  readonly setElement: (element: HTMLDivElement | null) => void;
  readonly onScroll: (event: UIEvent<HTMLDivElement>) => void;
}

export function useVirtual(
  count: number,
  rowHeight: number,
  offset = 0,
  overscan = 8,
): VirtualWindow {
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(300);
  useEffect(() => {
    if (element === null) {
      return;
    }
    // A ResizeObserver reports the size once when it starts observing, then on every change.
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  const onScroll = useCallback(
    (event: UIEvent<HTMLDivElement>) => setScrollTop(event.currentTarget.scrollTop),
    [],
  );
  const top = Math.max(0, scrollTop - offset);
  const start = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { start, end, total: offset + count * rowHeight, element, setElement, onScroll };
}

/** Whether a scrolled element shows its end (within `slack` px). */
export function isAtEnd(element: HTMLElement, slack: number): boolean {
  return element.scrollTop + element.clientHeight >= element.scrollHeight - slack;
}

export function scrollToEnd(element: HTMLElement | null): void {
  if (element !== null) {
    element.scrollTop = element.scrollHeight;
  }
}
