// Windowing for long lists of fixed-height rows: only the rows in view (plus a margin) render.
// A list can follow its end (a stream): the window is computed from the end and the scroll
// position set in the same commit, so following costs no extra render and no layout read, and
// only a scroll by the user (not the list growing) stops it.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { UIEvent } from 'react';

export interface VirtualOptions {
  readonly count: number;
  readonly rowHeight: number;
  /** Height above the first row (a sticky header), in px. */
  readonly offset?: number;
  readonly overscan?: number;
  /** Keep the end in view as rows are added. */
  readonly follow?: boolean;
  /** The user scrolled away from the end (`false`) or back to it (`true`). */
  readonly onFollowChange?: (follow: boolean) => void;
}

export interface VirtualWindow {
  readonly start: number;
  readonly end: number;
  /** Height of the whole list, in px. */
  readonly total: number;
  /** Callback ref for the scrolling element. */
  readonly setElement: (element: HTMLDivElement | null) => void;
  readonly onScroll: (event: UIEvent<HTMLDivElement>) => void;
}

/** The rows `[start, end)` to render for a scroll position. */
export function windowAt(
  scrollTop: number,
  height: number,
  count: number,
  rowHeight: number,
  offset: number,
  overscan: number,
): { start: number; end: number } {
  const top = Math.max(0, scrollTop - offset);
  const start = Math.min(count, Math.max(0, Math.floor(top / rowHeight) - overscan));
  const end = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { start, end: Math.max(start, end) };
}

export function useVirtual({
  count,
  rowHeight,
  offset = 0,
  overscan = 8,
  follow = false,
  onFollowChange,
}: VirtualOptions): VirtualWindow {
  const [element, setElementState] = useState<HTMLDivElement | null>(null);
  const scroller = useRef<HTMLDivElement | null>(null);
  const setElement = useCallback((next: HTMLDivElement | null) => {
    scroller.current = next;
    setElementState(next);
  }, []);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(300);
  /** The scroll position this hook set last; a scroll event at it is not the user's. */
  const placed = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (element === null) {
      return;
    }
    // A ResizeObserver reports the size once when it starts observing, then on every change.
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);

  const total = offset + count * rowHeight;
  const endTop = Math.max(0, total - height);
  const top = follow ? endTop : scrollTop;
  // Following, nothing below the end exists and the user does not scroll: a small margin will do.
  const margin = follow ? Math.min(overscan, 2) : overscan;

  useLayoutEffect(() => {
    const target = scroller.current;
    if (follow && target !== null) {
      placed.current = endTop;
      target.scrollTop = endTop;
    } else {
      placed.current = undefined;
    }
  }, [follow, endTop, element]);

  const onScroll = useCallback(
    (event: UIEvent<HTMLDivElement>) => {
      const at = event.currentTarget.scrollTop;
      if (placed.current !== undefined && Math.abs(at - placed.current) < 1) {
        return;
      }
      placed.current = undefined;
      setScrollTop(at);
      const atEnd = at + height >= total - rowHeight;
      if (atEnd !== follow) {
        onFollowChange?.(atEnd);
      }
    },
    [follow, height, onFollowChange, rowHeight, total],
  );

  return {
    ...windowAt(top, height, count, rowHeight, offset, margin),
    total,
    setElement,
    onScroll,
  };
}
