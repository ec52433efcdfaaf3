import { describe, expect, it } from 'vitest';
import type { StudioEvent } from '@tfstream/studio-api';
import { EventPump } from './event-pump';
import { RunStore } from './run-store';

let seq = 0;

function output(rows: number): StudioEvent {
  const first = seq * 1000;
  return {
    type: 'output',
    seq: ++seq,
    at: 0,
    rows: Array.from({ length: rows }, (_, i) => ({ key: String(first + i), row: { i } })),
  };
}

function log(): StudioEvent {
  return { type: 'log', seq: ++seq, at: 0, role: 'worker', index: 0, level: 'info', message: '' };
}

/** A pump whose slices run when the test says, on a clock the test moves. */
function manualPump(options: { sliceRows?: number; sliceMs?: number; tick?: number } = {}) {
  const store = new RunStore();
  const slices: (() => void)[] = [];
  let clock = 0;
  let applied = 0;
  const pump = new EventPump(store, {
    onApplied: () => applied++,
    sliceRows: options.sliceRows ?? 2000,
    sliceMs: options.sliceMs ?? 4,
    schedule: (slice) => slices.push(slice),
    now: () => (clock += options.tick ?? 0),
  });
  const runSlice = () => slices.shift()!();
  return { store, pump, slices, runSlice, onApplied: () => applied };
}

describe('EventPump', () => {
  it('applies a burst of frames in slices of bounded rows, in order, each event once', () => {
    seq = 0;
    const { store, pump, slices, runSlice, onApplied } = manualPump({ sliceRows: 2000 });
    for (let frame = 0; frame < 5; frame++) {
      pump.push([output(500), output(500), log(), output(500), output(500)]);
    }
    expect(store.lastSeq).toBe(0);
    expect(pump.pending).toBe(25);
    const perSlice: number[] = [];
    while (slices.length > 0) {
      const before = store.rowsReceived;
      runSlice();
      perSlice.push(store.rowsReceived - before);
    }
    expect(Math.max(...perSlice)).toBeLessThanOrEqual(2000);
    expect(perSlice.length).toBeGreaterThanOrEqual(5);
    expect(onApplied()).toBe(perSlice.length);
    expect(store.rows.length).toBe(10_000);
    expect(store.lastSeq).toBe(25);
    expect(store.logs).toHaveLength(5);
    expect(store.duplicates).toBe(0);
    expect(store.gaps).toBe(0);
    expect(pump.pending).toBe(0);
  });

  it('ends a slice at its deadline, after at least one event', () => {
    seq = 0;
    const { store, pump, slices, runSlice } = manualPump({ sliceMs: 4, tick: 3 });
    pump.push([log(), log(), log(), log(), log(), log()]);
    runSlice();
    expect(store.lastSeq).toBe(2);
    while (slices.length > 0) {
      runSlice();
    }
    expect(store.lastSeq).toBe(6);
  });

  it('applies an event larger than a slice on its own', () => {
    seq = 0;
    const { store, pump, runSlice } = manualPump({ sliceRows: 1000 });
    pump.push([log(), output(3000), log()]);
    runSlice();
    expect(store.lastSeq).toBe(1);
    runSlice();
    expect(store.lastSeq).toBe(2);
    expect(store.rows).toHaveLength(3000);
    runSlice();
    expect(store.lastSeq).toBe(3);
  });

  it('resumes after the last seq received, so what is queued is not asked for again', () => {
    seq = 0;
    const { store, pump, runSlice } = manualPump({ sliceRows: 500 });
    const events = [output(500), output(500), output(500)];
    pump.push(events);
    runSlice();
    expect(store.lastSeq).toBe(1);
    expect(pump.receivedSeq).toBe(3);
    // The socket dropped here; the replay starts after receivedSeq and nothing arrives twice.
    pump.push([output(500)]);
    pump.flush();
    expect(store.lastSeq).toBe(4);
    expect(store.duplicates).toBe(0);
    expect(store.rows).toHaveLength(2000);
  });

  it('counts an event that comes again as a duplicate, as the store does', () => {
    seq = 0;
    const { store, pump } = manualPump();
    const first = log();
    pump.push([first, log()]);
    pump.push([first]);
    pump.flush();
    expect(store.lastSeq).toBe(2);
    expect(store.duplicates).toBe(1);
  });

  it('applies nothing more once disposed', () => {
    seq = 0;
    const { store, pump, slices, runSlice } = manualPump();
    pump.push([log(), log()]);
    pump.dispose();
    pump.push([log()]);
    while (slices.length > 0) {
      runSlice();
    }
    expect(store.lastSeq).toBe(0);
    expect(pump.pending).toBe(0);
  });

  it('runs its slices as tasks of their own by default', async () => {
    seq = 0;
    const store = new RunStore();
    const applied = new Promise<void>((resolve) => {
      const pump = new EventPump(store, { onApplied: resolve, sliceRows: 500 });
      pump.push([output(500), output(500), output(500)]);
      expect(store.lastSeq).toBe(0);
    });
    await applied;
    expect(store.lastSeq).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.lastSeq).toBe(3);
  });
});
