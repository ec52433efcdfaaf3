import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StudioEvent, UnnumberedStudioEvent } from '@tfstream/studio-api';
import { syntheticEchoJob } from '../test-support/jobs.js';
import { tempHome } from '../test-support/studio.js';
import { EVENT_LIMITS, Store } from './store.js';

const { home, remove } = tempHome();

afterAll(() => remove());

/** A store with one job and one run, and a way to append numbered events to the run. */
function storeWithRun(name: string) {
  const store = Store.open(join(home, `${name}.db`));
  const job = store.createJob(syntheticEchoJob(name, { count: 1 }));
  const run = store.createRun(job.id, 1, job.job);
  let seq = 0;
  const append = (events: UnnumberedStudioEvent[]) =>
    store.appendEvents(
      run.id,
      events.map((event) => ({ ...event, seq: ++seq }) as StudioEvent),
    );
  return { store, run, append, last: () => seq };
}

function types(store: Store, runId: string, type: StudioEvent['type']): StudioEvent[] {
  return store
    .eventsAfter(runId, 0, 1_000_000, Number.POSITIVE_INFINITY)
    .map((stored) => JSON.parse(stored.data) as StudioEvent)
    .filter((event) => event.type === type);
}

describe('Store', () => {
  it('keeps the tail of a run: the last log lines and output rows, with their seqs', () => {
    const { store, run, append, last } = storeWithRun('tail');
    const lines = EVENT_LIMITS.logLines + 5_000;
    for (let start = 0; start < lines; start += 1000) {
      append(
        Array.from({ length: 1000 }, (_, i) => ({
          type: 'log' as const,
          at: 0,
          role: 'worker' as const,
          index: 0,
          level: 'info' as const,
          message: `line ${start + i}`,
        })),
      );
    }
    const rows = Array.from({ length: 100 }, (_, i) => ({ key: String(i), row: { i } }));
    for (let batch = 0; batch < (EVENT_LIMITS.outputRows / 100) * 1.5; batch++) {
      append([{ type: 'output', at: 0, rows }]);
    }
    const logs = types(store, run.id, 'log');
    expect(logs.length).toBeLessThanOrEqual(EVENT_LIMITS.logLines * 1.1);
    expect(logs.length).toBeGreaterThanOrEqual(EVENT_LIMITS.logLines);
    expect(logs[logs.length - 1]).toMatchObject({ message: `line ${lines - 1}` });
    const outputs = types(store, run.id, 'output');
    expect(outputs.length * 100).toBeGreaterThanOrEqual(EVENT_LIMITS.outputRows);
    expect(outputs.length * 100).toBeLessThanOrEqual(EVENT_LIMITS.outputRows * 1.1);
    expect(outputs[outputs.length - 1]!.seq).toBe(last());
    expect(store.runSummary(run.id)?.lastSeq).toBe(last());
    store.close();
  });

  it('thins a long metric series evenly, keeping its newest point and the other series', () => {
    const { store, run, append } = storeWithRun('thin');
    // Appended in flushes of 100 steps, as the run manager does every ~50 ms.
    for (let from = 1; from <= EVENT_LIMITS.metricPoints * 2; from += 100) {
      const events: UnnumberedStudioEvent[] = [];
      for (let step = from; step < from + 100; step++) {
        events.push({
          type: 'metric',
          at: 0,
          role: 'worker',
          index: 0,
          name: 'loss',
          value: 1 / step,
          step,
        });
        if (step % 100 === 0) {
          events.push({
            type: 'metric',
            at: 0,
            role: 'worker',
            index: 0,
            name: 'acc',
            value: 0.5,
            step,
          });
        }
      }
      append(events);
    }
    const metrics = types(store, run.id, 'metric') as Extract<StudioEvent, { type: 'metric' }>[];
    const loss = metrics.filter((m) => m.name === 'loss');
    expect(loss.length).toBeLessThanOrEqual(EVENT_LIMITS.metricPoints);
    expect(loss.length).toBeGreaterThan(EVENT_LIMITS.metricPoints / 4);
    expect(loss[loss.length - 1]!.step).toBe(EVENT_LIMITS.metricPoints * 2);
    expect(loss[0]!.step).toBeLessThan(10);
    expect(metrics.filter((m) => m.name === 'acc')).toHaveLength(
      (EVENT_LIMITS.metricPoints * 2) / 100,
    );
    store.close();
  });

  it('keeps jobs, versions, runs and events in the file across reopening', () => {
    const file = join(home, 'reopen.db');
    const first = Store.open(file);
    const job = first.createJob(syntheticEchoJob('kept', { count: 1 }));
    expect(first.saveJob(job.id, { ...job.job, description: 'v2' }, 1)).toMatchObject({
      version: 2,
    });
    expect(first.saveJob(job.id, job.job, 1)).toBe('conflict');
    first.close();
    first.close();
    const second = Store.open(file);
    expect(second.job(job.id)).toMatchObject({ version: 2, description: 'v2' });
    expect(second.jobVersions(job.id)?.map((v) => v.version)).toEqual([2, 1]);
    second.close();
  });

  it('pages events by count and by bytes, never splitting an event and never returning none', () => {
    const { store, run, append } = storeWithRun('pages');
    const message = 'x'.repeat(1000);
    append(
      Array.from({ length: 10 }, () => ({
        type: 'log' as const,
        at: 0,
        role: 'worker' as const,
        index: 0,
        level: 'info' as const,
        message,
      })),
    );
    const size = store.eventsAfter(run.id, 0, 1)[0]!.data.length;
    expect(store.eventsAfter(run.id, 0, 4).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(store.eventsAfter(run.id, 2, 100, size * 3).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(store.eventsAfter(run.id, 2, 100, size * 3 - 1).map((e) => e.seq)).toEqual([3, 4]);
    expect(store.eventsAfter(run.id, 8, 100, 10).map((e) => e.seq)).toEqual([9]);
    store.close();
  });
});
