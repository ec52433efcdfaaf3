import { describe, expect, it } from 'vitest';
import type { StudioEvent } from '@tfstream/studio-api';
import { RunStore } from './run-store';

let at = 1_700_000_000_000;

function log(seq: number, message = `line ${seq}`): StudioEvent {
  return { type: 'log', seq, at: at++, role: 'worker', index: 0, level: 'info', message };
}

function output(seq: number, rows: [string, number][]): StudioEvent {
  return {
    type: 'output',
    seq,
    at: at++,
    rows: rows.map(([key, value]) => ({ key, row: { value } })),
  };
}

describe('RunStore', () => {
  it('applies each seq once, however often it arrives', () => {
    const store = new RunStore();
    expect(store.apply([log(1), log(2), log(3)])).toBe(3);
    expect(store.apply([log(2), log(3), log(4)])).toBe(1);
    expect(store.logs.map((l) => l.event.seq)).toEqual([1, 2, 3, 4]);
    expect(store.duplicates).toBe(2);
    expect(store.lastSeq).toBe(4);
    expect(store.gaps).toBe(0);
  });

  it('resumes after the last applied seq, as a reconnect with ?after= does', () => {
    const all = Array.from({ length: 10 }, (_, i) => log(i + 1));
    const store = new RunStore();
    store.apply(all.slice(0, 4));
    // The socket dropped; the server replays everything after lastSeq, and maybe a bit more.
    store.apply(all.slice(store.lastSeq - 2));
    expect(store.logs.map((l) => l.event.seq)).toEqual(all.map((e) => e.seq));
  });

  it('counts a gap in the sequence instead of hiding it', () => {
    const store = new RunStore();
    store.apply([log(1), log(5)]);
    expect(store.gaps).toBe(3);
  });

  it('replaces a row whose key came before and appends new keys', () => {
    const store = new RunStore();
    store.apply([
      output(1, [
        ['a', 1],
        ['b', 2],
      ]),
    ]);
    store.apply([
      output(2, [
        ['a', 10],
        ['c', 3],
      ]),
    ]);
    expect(store.outputRows('update').map((r) => [r.key, r.row.value, r.writes])).toEqual([
      ['a', 10, 2],
      ['b', 2, 1],
      ['c', 3, 1],
    ]);
    expect(store.outputRows('append').map((r) => r.key)).toEqual(['a', 'b', 'a', 'c']);
    expect(store.rowByKey('a')?.row.value).toBe(10);
    expect(store.rowsReceived).toBe(4);
  });

  it('keeps the newest rows and lines within its bounds', () => {
    const store = new RunStore({ maxRows: 100, maxLogs: 50 });
    let seq = 0;
    for (let batch = 0; batch < 50; batch++) {
      const rows: [string, number][] = [];
      for (let i = 0; i < 20; i++) {
        rows.push([`k${batch * 20 + i}`, batch * 20 + i]);
      }
      store.apply([output(++seq, rows), log(++seq)]);
    }
    expect(store.rows.length).toBeLessThanOrEqual(125);
    expect(store.logs.length).toBeLessThanOrEqual(62);
    expect(store.rows.at(-1)?.key).toBe('k999');
    // A key dropped from the front comes back as a new row at the end.
    store.apply([output(++seq, [['k0', -1]])]);
    expect(store.rows.at(-1)).toMatchObject({ key: 'k0', writes: 1 });
    // A kept key is still replaced in place.
    store.apply([output(seq + 1, [['k998', -2]])]);
    expect(store.rowByKey('k998')?.row.value).toBe(-2);
    expect(store.rows.filter((r) => r.key === 'k998')).toHaveLength(1);
  });

  it('turns progress into throughput and latency series and ends with the outcome', () => {
    const store = new RunStore();
    store.apply([
      { type: 'state', seq: 1, at: at++, state: 'running', reason: 'started' },
      {
        type: 'progress',
        seq: 2,
        at: at++,
        recordsIn: 10,
        recordsOut: 5,
        inFlight: 5,
        total: 100,
        throughput: 500,
        latencyP50Ms: 2,
        latencyP99Ms: 9,
      },
      {
        type: 'metric',
        seq: 3,
        at: at++,
        role: 'worker',
        index: 1,
        name: 'loss',
        value: 0.5,
        step: 1,
      },
      {
        type: 'end',
        seq: 4,
        at: at++,
        outcome: {
          state: 'finished',
          recordsIn: 100,
          recordsOut: 100,
          rowsWritten: 100,
          duplicatesDropped: 0,
          durationMs: 1000,
          metrics: {},
        },
      },
    ]);
    const names = [...store.metrics.values()].map((s) => `${s.name}/${s.role}`);
    expect(names).toEqual(['throughput/coordinator', 'latency/p50', 'latency/p99', 'loss/worker']);
    expect(store.state).toBe('finished');
    expect(store.ended).toBe(true);
  });

  it('halves a long metric series instead of growing without bound', () => {
    const store = new RunStore({ maxPoints: 100 });
    const events: StudioEvent[] = [];
    for (let i = 1; i <= 1000; i++) {
      events.push({
        type: 'metric',
        seq: i,
        at,
        role: 'worker',
        index: 0,
        name: 'loss',
        value: i,
        step: i,
      });
    }
    store.apply(events);
    const series = [...store.metrics.values()][0]!;
    expect(series.xs.length).toBeLessThanOrEqual(100);
    expect(series.xs.at(-1)).toBe(1000);
    expect(series.xs).toEqual([...series.xs].sort((a, b) => a - b));
  });

  it('versions each part of the run, so a view redraws only what changed', () => {
    const store = new RunStore();
    store.apply([output(1, [['a', 1]]), log(2)]);
    expect(store.versions).toEqual({ timeline: 0, logs: 1, metrics: 0, rows: 1, summaries: 0 });
    store.apply([log(3), log(4)]);
    expect(store.versions).toMatchObject({ logs: 3, rows: 1 });
    store.apply([{ type: 'state', seq: 5, at: at++, state: 'running', reason: '' }]);
    expect(store.versions).toMatchObject({ timeline: 1, logs: 3, rows: 1 });
    expect(store.version).toBe(3);
  });
});
