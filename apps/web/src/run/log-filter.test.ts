import { describe, expect, it } from 'vitest';
import type { LogStudioEvent } from '@tfstream/studio-api';
import { ALL_LOGS, FilteredLogs, matchesLog } from './log-filter';
import type { StoredLog } from './run-store';

function line(
  ordinal: number,
  role: LogStudioEvent['role'],
  index: number,
  level: LogStudioEvent['level'],
  message: string,
): StoredLog {
  return { ordinal, event: { type: 'log', seq: ordinal + 1, at: 0, role, index, level, message } };
}

const logs = [
  line(0, 'coordinator', 0, 'info', 'backend: wasm'),
  line(1, 'worker', 0, 'debug', 'batch 1'),
  line(2, 'worker', 1, 'warn', 'slow step'),
  line(3, 'ps', 0, 'error', 'Checkpoint failed'),
  line(4, 'worker', 1, 'info', 'epoch 2'),
];

describe('log filter', () => {
  it('shows every line with no filter', () => {
    expect(logs.filter((l) => matchesLog(l.event, ALL_LOGS))).toHaveLength(5);
  });

  it('filters by role and index, keeping the coordinator out of index filters', () => {
    const filter = { ...ALL_LOGS, roles: ['worker' as const], index: 1 };
    expect(logs.filter((l) => matchesLog(l.event, filter)).map((l) => l.ordinal)).toEqual([2, 4]);
  });

  it('filters by lowest level', () => {
    const filter = { ...ALL_LOGS, minLevel: 'warn' as const };
    expect(logs.filter((l) => matchesLog(l.event, filter)).map((l) => l.ordinal)).toEqual([2, 3]);
  });

  it('searches the message and the role label, ignoring case', () => {
    expect(
      logs.filter((l) => matchesLog(l.event, { ...ALL_LOGS, search: 'CHECKPOINT' })),
    ).toHaveLength(1);
    expect(
      logs.filter((l) => matchesLog(l.event, { ...ALL_LOGS, search: 'worker 1' })),
    ).toHaveLength(2);
  });

  it('updates incrementally as lines arrive and old ones are trimmed', () => {
    const filtered = new FilteredLogs();
    const filter = { ...ALL_LOGS, roles: ['worker' as const] };
    expect(filtered.update(logs.slice(0, 3), filter).map((l) => l.ordinal)).toEqual([1, 2]);
    expect(filtered.update(logs, filter).map((l) => l.ordinal)).toEqual([1, 2, 4]);
    // The store dropped its first two lines.
    expect(filtered.update(logs.slice(2), filter).map((l) => l.ordinal)).toEqual([2, 4]);
    // A new filter starts over.
    expect(filtered.update(logs.slice(2), ALL_LOGS).map((l) => l.ordinal)).toEqual([2, 3, 4]);
  });
});
