import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { RecordBatch } from '@tfstream/codecs';
import { defineSchema, isTfstreamError } from '@tfstream/schema';
import { LocalRuntime } from '../local/local-runtime.js';
import type { JobContext } from './job-context.js';
import {
  JobContext as Context,
  installRuntime,
  resolveHyperparameters,
  uninstallRuntime,
} from './job-context.js';

const input = defineSchema([
  { name: 'id', type: 'string' },
  { name: 'x', type: 'float32' },
]);
const output = defineSchema([{ name: 'y', type: 'float32' }]);
const rows = Array.from({ length: 5 }, (_, i) => ({ id: `r${i}`, x: i }));
const batch = RecordBatch.fromRows(input, rows);

const runtimes: LocalRuntime[] = [];
function runtime(options: ConstructorParameters<typeof LocalRuntime>[0] = {}): LocalRuntime {
  const made = new LocalRuntime({ input: [batch], outputSchema: output, ...options });
  runtimes.push(made);
  return made;
}

afterEach(async () => {
  for (const made of runtimes.splice(0)) {
    await uninstallRuntime(made);
    made.close();
  }
});

describe('JobContext', () => {
  it('needs an installed runtime', () => {
    const error = (() => {
      try {
        return Context.getOrCreate();
      } catch (e) {
        return e;
      }
    })();
    expect(isTfstreamError(error, 'CONTEXT_ERROR')).toBe(true);
    expect(() => Context.getOrCreate()).toThrow(
      /no runtime is installed: run the job with `tfstream run`/,
    );
  });

  it('is one per process, and a second runtime is an error until the first is uninstalled', async () => {
    const first = runtime({ runId: 'one' });
    installRuntime(first);
    installRuntime(first);
    const ctx = Context.getOrCreate();
    expect(Context.getOrCreate()).toBe(ctx);
    const second = runtime({ runId: 'two' });
    expect(() => installRuntime(second)).toThrow(
      'CONTEXT_ERROR: a runtime is already installed in this process (run one)',
    );
    await uninstallRuntime(first);
    expect(ctx.isClosed).toBe(true);
    expect(() => ctx.metric('loss', 1)).toThrow(/CONTEXT_ERROR: the job context is closed/);
    installRuntime(second);
    const next = Context.getOrCreate();
    expect(next).not.toBe(ctx);
    expect(next.runId).toBe('two');
  });

  it('tells role, index, attempt, cluster, chief and typed hyperparameters', async () => {
    const local = runtime({
      index: 1,
      workers: 3,
      attempt: 2,
      hyperparameters: { lr: '0.5', deep: 'true' },
    });
    await local.run((ctx) => {
      const typed = ctx as unknown as JobContext<{ lr: number; deep: boolean }>;
      expect([ctx.role, ctx.index, ctx.attempt, ctx.isChief]).toEqual(['worker', 1, 2, false]);
      expect(ctx.cluster.worker).toHaveLength(3);
      expect(typed.hyperparameters.lr).toBe('0.5' as unknown as number);
      const hp = typed.hyperparametersWith({ lr: 0.1, deep: false, layers: 2 });
      expect(hp).toEqual({ lr: 0.5, deep: true, layers: 2 });
    });
  });

  it('reads batches of at most batchSize rows, keyed by position or by a key field', async () => {
    const byPosition = runtime();
    const seen = await byPosition.run(async (ctx) => {
      const out: [number, unknown[]][] = [];
      for await (const b of ctx.reader({ batchSize: 2 })) {
        out.push([b.numRows, [...b.keys]]);
        expect(b.tensor('x').shape).toEqual([b.numRows]);
      }
      return out;
    });
    expect(seen).toEqual([
      [2, [0, 1]],
      [2, [2, 3]],
      [1, [4]],
    ]);
    const byField = runtime({ keyField: 'id' });
    const keys = await byField.run(async (ctx) => {
      const out: unknown[] = [];
      for await (const b of ctx.reader({ batchSize: 3 })) {
        out.push(...b.keys);
      }
      return out;
    });
    expect(keys).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('writes checked output, and names the field of a mismatch', async () => {
    const local = runtime();
    await local.run(async (ctx) => {
      for await (const b of ctx.reader()) {
        await ctx.writer().write({ y: tf.mul(b.tensor('x'), 2) }, { keys: b.keys });
      }
      await expect(ctx.writer().write({ z: tf.tensor1d([1]) })).rejects.toThrow(
        'OUTPUT_SCHEMA_MISMATCH: field "z": the output schema has no field "z"',
      );
    });
    expect(local.outputRows().map((r) => [r.key, r.row.y])).toEqual([
      [0, 0],
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ]);
  });

  it('sends metrics, log lines and histogram summaries to the runtime', async () => {
    const local = runtime();
    await local.run((ctx) => {
      ctx.metric('loss', 0.5, { step: 3 });
      ctx.metric('loss', 0.25);
      ctx.metric('throughput', 100);
      ctx.log.info('hello', { worker: ctx.index });
      ctx.log.warn('careful');
      const values = tf.tensor1d([0, 1, 2, 3]);
      const summary = ctx.summary.histogram('weights', values, { step: 7, buckets: 2 });
      expect(summary.counts).toEqual([2, 2]);
      ctx.summary.histogram('weights', [5, 5]);
    });
    expect(local.metrics.map((m) => [m.name, m.value, m.step])).toEqual([
      ['loss', 0.5, 3],
      ['loss', 0.25, 4],
      ['throughput', 100, 0],
    ]);
    expect(local.logs.map((l) => [l.level, l.message, l.fields])).toEqual([
      ['info', 'hello', { worker: 0 }],
      ['warn', 'careful', undefined],
    ]);
    expect(local.summaries.map((s) => [s.name, s.step, s.edges, s.counts, s.count])).toEqual([
      ['weights', 7, [0, 1.5, 3], [2, 2], 4],
      ['weights', 8, [5, 5], [2], 2],
    ]);
  });

  it('refuses reading or writing what the job lacks', async () => {
    const local = new LocalRuntime({});
    runtimes.push(local);
    await local.run((ctx) => {
      expect(() => ctx.reader()).toThrow(
        /CONTEXT_ERROR: the worker role of this job reads no input/,
      );
      expect(() => ctx.writer()).toThrow(/CONTEXT_ERROR: this job writes no output/);
      expect(() => ctx.reader({ batchSize: 0 })).toThrow(/CONTEXT_ERROR/);
    });
  });
});

describe('resolveHyperparameters', () => {
  it('checks each value against its default’s type and refuses unknown names', () => {
    expect(resolveHyperparameters({ lr: 0.1, name: 'a' }, { lr: 1, name: 'b' })).toEqual({
      lr: 1,
      name: 'b',
    });
    expect(() => resolveHyperparameters({ lr: 0.1 }, { lr: 'fast' })).toThrow(
      'HYPERPARAMETER_INVALID: hyperparameter "lr": expected a number like its default 0.1, got "fast"',
    );
    expect(() => resolveHyperparameters({ lr: 0.1 }, { learningRate: 1 })).toThrow(
      /hyperparameter "learningRate" is not one of the model's: lr/,
    );
  });
});
