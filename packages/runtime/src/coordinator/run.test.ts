import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SchemaJson } from '@tfstream/schema';
import type { JobJson } from '../job/index.js';
import { parseJob } from '../job/index.js';
import type { Run, RunEvent } from './run.js';
import { startRun } from './run.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from './test-support/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-run-'));
const runs: Run[] = [];

afterAll(async () => {
  await Promise.all(runs.map((run) => run.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

/** A model that writes, per input batch, each row's key and the batch's size, after `delayMs`. */
function echoModel(delayMs: number): string {
  return `import type { JobContext } from '@tfstream/sdk';
export default async function echo(ctx: JobContext): Promise<void> {
  const writer = ctx.writer();
  for await (const batch of ctx.reader()) {
    await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
    const rows = batch.keys.map((key) => ({ key: Number(key), n: batch.numRows }));
    await writer.write(rows, { keys: batch.keys });
  }
}
`;
}

const ECHO_OUTPUT: SchemaJson = {
  version: 1,
  fields: [
    { name: 'key', type: 'int32' },
    { name: 'n', type: 'int32' },
  ],
};

let counter = 0;

async function run(
  json: Omit<JobJson, 'version' | 'name'>,
  window?: number,
  maxRestarts = 3,
): Promise<{ run: Run; events: RunEvent[] }> {
  const job = parseJob({ version: 1, name: `run-${++counter}`, ...json }, join(dir, 'job.json'));
  const started = await startRun(job, {
    runDir: join(dir, `runs/${counter}`),
    execArgv: SOURCE_EXEC_ARGV,
    cwd: REPO_ROOT,
    ...(window === undefined ? {} : { window }),
    coordinator: { heartbeatMs: 200, heartbeatTimeoutMs: 5000, restartDelayMs: 0, maxRestarts },
  });
  runs.push(started);
  const events: RunEvent[] = [];
  started.on((event) => events.push(event));
  return { run: started, events };
}

function outputKeys(events: RunEvent[]): number[] {
  return events.flatMap((event) =>
    event.type === 'output' ? event.rows.map((r) => Number(r.key)) : [],
  );
}

describe('startRun', () => {
  it('writes one output row per input record of a CSV with its key (inference, two workers)', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${100 + i},${i / 10},${(i % 7) / 2}`);
    writeFileSync(join(dir, 'points.csv'), `id,x,y\n${rows.join('\n')}\n`);
    const { run: started, events } = await run({
      mode: 'inference',
      input: {
        source: { kind: 'file', path: 'points.csv' },
        schema: {
          version: 1,
          fields: [
            { name: 'id', type: 'int32' },
            { name: 'x', type: 'float32' },
            { name: 'y', type: 'float32' },
          ],
        },
        key: 'id',
      },
      output: {
        schema: {
          version: 1,
          fields: [
            { name: 'id', type: 'int32' },
            { name: 'score', type: 'float32' },
          ],
        },
        sink: { kind: 'file', path: 'out/scores.jsonl' },
      },
      transfer: { mode: 'micro-batch', batchSize: 8, lingerMs: 20 },
      cluster: { workers: 2 },
      model: {
        source: `import * as tf from '@tensorflow/tfjs';
import { defineModel } from '@tfstream/sdk';
export default defineModel({
  hyperparameters: {},
  build: () =>
    tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
    }),
  features: (batch) => ({ xs: tf.stack([batch.tensor('x'), batch.tensor('y')], 1) }),
  output: (batch, predictions) => ({
    id: batch.keys.map(Number),
    score: (predictions as tf.Tensor).reshape([-1]),
  }),
});
`,
      },
      inference: { modelPath: 'no-saved-model' },
    });
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome).toMatchObject({ recordsIn: 50, recordsOut: 50, rowsWritten: 50 });
    const lines = readFileSync(join(dir, 'out/scores.jsonl'), 'utf8').trim().split('\n');
    const written = lines.map((line) => JSON.parse(line) as { id: number; score: number });
    expect(written.map((row) => row.id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => 100 + i),
    );
    for (const row of written) {
      const i = row.id - 100;
      expect(row.score).toBeCloseTo(i / 10 + (i % 7) / 2, 4);
    }
    expect(events.some((e) => e.type === 'log' && /runs on/.test(e.message))).toBe(true);
  });

  it('emits each record’s result before the next record is produced (stream)', async () => {
    const { run: started, events } = await run({
      mode: 'inference',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', rate: 4, count: 6 },
        schema: 'infer',
      },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 100 } },
      transfer: { mode: 'stream' },
      model: { source: echoModel(0) },
      inference: { modelPath: 'none' },
    });
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    // Event order: output of record k comes before the source has produced record k + 1.
    let produced = 0;
    const order: string[] = [];
    for (const event of events) {
      if (event.type === 'progress' && event.recordsIn > produced) {
        produced = event.recordsIn;
        order.push(`in ${produced}`);
      }
      if (event.type === 'output') {
        for (const row of event.rows) {
          order.push(`out ${Number(row.key) + 1}`);
        }
      }
    }
    expect(order).toEqual([
      'in 1',
      'out 1',
      'in 2',
      'out 2',
      'in 3',
      'out 3',
      'in 4',
      'out 4',
      'in 5',
      'out 5',
      'in 6',
      'out 6',
    ]);
  });

  it('cuts micro-batches at batchSize, and earlier when lingerMs passes', async () => {
    const full = await run({
      mode: 'inference',
      input: { source: { kind: 'synthetic', generator: 'sensors', count: 20 }, schema: 'infer' },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 100 } },
      transfer: { mode: 'micro-batch', batchSize: 8, lingerMs: 5000 },
      model: { source: echoModel(0) },
      inference: { modelPath: 'none' },
    });
    const lingering = await run({
      mode: 'inference',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', rate: 20, count: 10 },
        schema: 'infer',
      },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 100 } },
      transfer: { mode: 'micro-batch', batchSize: 100, lingerMs: 120 },
      model: { source: echoModel(0) },
      inference: { modelPath: 'none' },
    });
    const [a, b] = await Promise.all([full.run.result, lingering.run.result]);
    expect(a.state, a.reason).toBe('finished');
    expect(b.state, b.reason).toBe('finished');
    const sizes = (run: Run): number[] => {
      const byKey = new Map(run.tail().map((r) => [Number(r.key), Number(r.row.n)]));
      const out: number[] = [];
      for (let key = 0; key < byKey.size; key += byKey.get(key)!) {
        out.push(byKey.get(key)!);
      }
      return out;
    };
    expect(sizes(full.run)).toEqual([8, 8, 4]);
    const lingered = sizes(lingering.run);
    expect(lingered.reduce((n, size) => n + size, 0)).toBe(10);
    expect(lingered.length).toBeGreaterThan(1);
    expect(Math.max(...lingered)).toBeLessThan(10);
  });

  it('keeps the records in flight within the credit window when the source outruns the model', async () => {
    const { run: started } = await run(
      {
        mode: 'inference',
        input: { source: { kind: 'synthetic', generator: 'sensors', count: 600 }, schema: 'infer' },
        output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 1000 } },
        transfer: { mode: 'micro-batch', batchSize: 20, lingerMs: 1000 },
        model: { source: echoModel(25) },
        inference: { modelPath: 'none' },
      },
      2,
    );
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome.recordsOut).toBe(600);
    // window (2) batches queued + 1 in model code = 3 batches of 20.
    expect(outcome.maxInFlight).toBeLessThanOrEqual(60);
    expect(started.feed.ledger.records).toBe(0);
  });

  it('re-delivers the records of a killed worker: every key exactly once', async () => {
    const { run: started, events } = await run({
      mode: 'inference',
      input: { source: { kind: 'synthetic', generator: 'sensors', count: 300 }, schema: 'infer' },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 1000 } },
      transfer: { mode: 'micro-batch', batchSize: 10, lingerMs: 1000 },
      cluster: { workers: 2 },
      model: { source: echoModel(100) },
      inference: { modelPath: 'none' },
    });
    let killed = false;
    started.on((event) => {
      if (!killed && event.type === 'progress' && event.recordsOut >= 40) {
        killed = true;
        process.kill(started.coordinator.roles[1]!.pid, 'SIGKILL');
      }
    });
    const outcome = await started.result;
    expect(killed).toBe(true);
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(
      events.some((e) => e.type === 'role' && e.phase === 'exited' && e.signal === 'SIGKILL'),
    ).toBe(true);
    const keys = outputKeys(events);
    expect(keys.length).toBe(300);
    expect(new Set(keys).size).toBe(300);
    expect([...keys].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(started.feed.progress.redelivered).toBeGreaterThan(0);
  });

  it('writes the input key first in every row of a file sink, and knows a file’s total', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i / 10},${(i % 4) / 2}`);
    writeFileSync(join(dir, 'unkeyed.csv'), `x,y\n${rows.join('\n')}\n`);
    const { run: started, events } = await run({
      mode: 'inference',
      input: {
        source: { kind: 'file', path: 'unkeyed.csv' },
        schema: {
          version: 1,
          fields: [
            { name: 'x', type: 'float32' },
            { name: 'y', type: 'float32' },
          ],
        },
      },
      output: {
        schema: { version: 1, fields: [{ name: 'sum', type: 'float32' }] },
        sink: { kind: 'file', path: 'out/keyed.jsonl' },
      },
      transfer: { mode: 'micro-batch', batchSize: 4, lingerMs: 20 },
      cluster: { workers: 2 },
      model: {
        source: `import type { JobContext } from '@tfstream/sdk';
export default async function sum(ctx: JobContext): Promise<void> {
  const writer = ctx.writer();
  for await (const batch of ctx.reader()) {
    const rows = batch.rows().map((row) => ({ sum: Number(row.x) + Number(row.y) }));
    await writer.write(rows, { keys: batch.keys });
  }
}
`,
      },
      inference: { modelPath: 'none' },
    });
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    const lines = readFileSync(join(dir, 'out/keyed.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(30);
    expect(lines.every((line) => line.startsWith('{"key":'))).toBe(true);
    const written = lines.map((line) => JSON.parse(line) as { key: number; sum: number });
    for (const row of written) {
      expect(row.sum).toBeCloseTo(row.key / 10 + (row.key % 4) / 2, 5);
    }
    expect(written.map((row) => row.key).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
    // The file was counted: progress says how many records the run will do.
    const totals = events.flatMap((e) =>
      e.type === 'progress' && e.total !== undefined ? [e.total] : [],
    );
    expect(totals.length).toBeGreaterThan(0);
    expect(new Set(totals)).toEqual(new Set([30]));
  });

  it('takes outputs written in parts of a batch, or with keys of their own, each record once', async () => {
    const { run: started, events } = await run({
      mode: 'inference',
      input: { source: { kind: 'synthetic', generator: 'sensors', count: 90 }, schema: 'infer' },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 1000 } },
      transfer: { mode: 'micro-batch', batchSize: 10, lingerMs: 20 },
      cluster: { workers: 2 },
      model: {
        source: `import type { JobContext } from '@tfstream/sdk';
export default async function parts(ctx: JobContext): Promise<void> {
  const writer = ctx.writer();
  let n = 0;
  for await (const batch of ctx.reader({ batchSize: 4 })) {
    const rows = batch.keys.map((key) => ({ key: Number(key), n: batch.numRows }));
    // Every other part with a copy of its keys (matched key by key), and once twice.
    const keys = n % 2 === 0 ? batch.keys : [...batch.keys];
    await writer.write(rows, { keys });
    if (n++ === 3) {
      await writer.write(rows, { keys });
    }
  }
}
`,
      },
      inference: { modelPath: 'none' },
    });
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome).toMatchObject({ recordsIn: 90, recordsOut: 90, rowsWritten: 90 });
    expect(outcome.duplicatesDropped).toBeGreaterThan(0);
    const keys = outputKeys(events);
    expect([...keys].sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(started.feed.ledger.records).toBe(0);
  });

  it('measures the time from sending a record to its output (stream)', async () => {
    const { run: started } = await run({
      mode: 'inference',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', rate: 200, count: 40 },
        schema: 'infer',
      },
      output: { schema: ECHO_OUTPUT, sink: { kind: 'memory', tail: 100 } },
      transfer: { mode: 'stream' },
      model: { source: echoModel(5) },
      inference: { modelPath: 'none' },
    });
    const outcome = await started.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome.latencyMs?.samples).toBe(40);
    expect(outcome.latencyMs!.p50).toBeGreaterThanOrEqual(5);
    expect(outcome.latencyMs!.p99).toBeGreaterThanOrEqual(outcome.latencyMs!.p50);
  });

  it('fails the run with USER_CODE_ERROR at the line and column of the user’s throw', async () => {
    const { run: started, events } = await run(
      {
        mode: 'inference',
        input: { source: { kind: 'synthetic', generator: 'sensors', count: 5 }, schema: 'infer' },
        output: { schema: ECHO_OUTPUT, sink: { kind: 'memory' } },
        transfer: { mode: 'stream' },
        model: {
          source: `import type { JobContext } from '@tfstream/sdk';
export default async function broken(ctx: JobContext): Promise<void> {
  for await (const _ of ctx.reader()) throw new Error('boom');
}
`,
        },
        inference: { modelPath: 'none' },
      },
      undefined,
      0,
    );
    const outcome = await started.result;
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(/USER_CODE_ERROR: model\.ts:3:\d+/);
    expect(events.some((e) => e.type === 'log' && /model\.ts:3:\d+.*boom/.test(e.message))).toBe(
      true,
    );
  });
});
