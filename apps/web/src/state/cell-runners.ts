// What Shift+Enter does in each cell: the cells register their "run" here.
import { useEffect } from 'react';
import type { CellId } from './job-store';

const runners = new Map<CellId, () => void>();

export function runCell(cell: CellId): boolean {
  const run = runners.get(cell);
  run?.();
  return run !== undefined;
}

/** Registers the cell's run action while the cell is mounted; the latest closure wins. */
export function useCellRunner(cell: CellId, run: () => void): void {
  useEffect(() => {
    runners.set(cell, run);
    return () => {
      if (runners.get(cell) === run) {
        runners.delete(cell);
      }
    };
  }, [cell, run]);
}
