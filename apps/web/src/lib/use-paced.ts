// A value that follows another at most once per interval (and always ends on its latest), for
// parts of a view that need not redraw at the pace of a stream, such as charts.
import { useEffect, useRef, useState } from 'react';

export function usePaced<T>(value: T, everyMs: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(Number.NEGATIVE_INFINITY);
  useEffect(() => {
    if (Object.is(value, shown)) {
      return;
    }
    const wait = Math.max(0, last.current + everyMs - performance.now());
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, shown, everyMs]);
  return shown;
}
