import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { RecordBatch } from '@tfstream/codecs';
import { defineSchema } from '@tfstream/schema';
import type { LocalRuntimeOptions } from '../local/local-runtime.js';
import { LocalRuntime } from '../local/local-runtime.js';
import { defineModel, isModelDefinition } from './define-model.js';
import { runModel } from './run-model.js';

const inputSchema = defineSchema([
  { name: 'id', type: 'string' },
  { name: 'x', type: 'float32' },
  { name: 'y', type: 'float64' },
  { name: 'label', type: 'int64' },
]);
const outputSchema = defineSchema([
  { name: 'label', type: 'int32' },
  { name: 'score', type: 'float32' },
]);

/** Points on either side of the line x + y = 0, labelled by side; a seeded PRNG, so runs repeat. */
function separable(count: number, seed: number): RecordBatch[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const rows = Array.from({ length: count }, (_, i) => {
    const x = random() * 2 - 1;
    const y = random() * 2 - 1;
    return { id: `p${i}`, x, y, label: x + y > 0 ? 1n : 0n };
  });
  // Two input batches of different sizes: the reader re-cuts them.
  return [
    RecordBatch.fromRows(inputSchema, rows.slice(0, 150)),
    RecordBatch.fromRows(inputSchema, rows.slice(150)),
  ];
}

const classifier = defineModel({
  hyperparameters: { learningRate: 0.05, hidden: 8 },
  build: (hp) =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: hp.hidden, activation: 'relu', inputShape: [2] }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    }),
  compile: (hp) => ({
    optimizer: tf.train.adam(hp.learningRate),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  }),
  features: (batch) => ({
    xs: tf.stack([batch.tensor('x'), batch.tensor('y')], 1),
    ys: batch.tensor('label').toFloat(),
  }),
  output: (_batch, predictions) => {
    const p = predictions as tf.Tensor2D;
    return { label: p.argMax(1), score: p.max(1) };
  },
  epochs: 6,
  batchSize: 32,
});

const runtimes: LocalRuntime[] = [];
function local(options: LocalRuntimeOptions): LocalRuntime {
  const runtime = new LocalRuntime(options);
  runtimes.push(runtime);
  return runtime;
}
afterEach(() => {
  for (const runtime of runtimes.splice(0)) {
    runtime.close();
  }
});

describe('defineModel + runModel on a LocalRuntime', () => {
  it('trains a small classifier past 90% accuracy, then writes one keyed prediction per input', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const train = local({ input: separable(400, 7), mode: 'train' });
    const trained = await train.run((ctx) => runModel(classifier, ctx));
    expect(trained).toMatchObject({ mode: 'train', backend: 'wasm', epochs: 6, rowsRead: 2400 });
    expect(trained.steps).toBe(trained.batches);
    expect(trained.metrics.accuracy).toBeGreaterThan(0.9);
    const losses = train.metricValues('loss');
    expect(losses).toHaveLength(trained.steps);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(train.metrics.find((m) => m.name === 'accuracy')?.step).toBe(1);
    expect(train.logs[0]!.message).toMatch(/^tfjs backend: wasm/);
    expect(train.logs.map((l) => l.message)).toContain(
      `saved the model at step ${trained.steps} to memory://model/step-${trained.steps}`,
    );
    expect(train.savedModel).toBeDefined();

    const test = separable(200, 99);
    const infer = local({
      input: test,
      mode: 'inference',
      outputSchema,
      keyField: 'id',
      model: train.savedModel!,
    });
    const inferred = await infer.run((ctx) => runModel(classifier, ctx));
    expect(inferred).toMatchObject({
      mode: 'inference',
      rowsRead: 200,
      rowsWritten: 200,
      steps: 0,
    });
    const rows = infer.outputRows();
    expect(rows.map((r) => r.key)).toEqual(test.flatMap((b) => b.toObjects().map((r) => r.id)));
    const truth = new Map(test.flatMap((b) => b.toObjects().map((r) => [r.id, Number(r.label)])));
    const correct = rows.filter((r) => r.row.label === truth.get(r.key as string)).length;
    expect(correct / rows.length).toBeGreaterThan(0.9);
    expect(rows.every((r) => (r.row.score as number) >= 0.5)).toBe(true);
    train.close();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('evaluates the final model on the eval split, and every N epochs', async () => {
    const holdout = separable(120, 41);
    const train = local({ input: separable(400, 7), evalInput: holdout, evalEveryEpochs: 2 });
    const trained = await train.run((ctx) => runModel(classifier, ctx));
    // After epochs 2 and 4, then the final model: at the steps of those weights.
    const stepsPerEpoch = trained.steps / 6;
    expect(train.metrics.filter((m) => m.name === 'eval_accuracy').map((m) => m.step)).toEqual([
      2 * stepsPerEpoch,
      4 * stepsPerEpoch,
      trained.steps,
    ]);
    expect(trained.eval?.accuracy).toBeGreaterThan(0.9);
    expect(trained.eval?.loss).toBe(train.metricValues('eval_loss').at(-1));
    // The final evaluation is of the model the chief exported: predict the split with it.
    const infer = local({
      input: holdout,
      mode: 'inference',
      outputSchema,
      model: train.savedModel!,
    });
    await infer.run((ctx) => runModel(classifier, ctx));
    const truth = holdout.flatMap((b) => b.toObjects().map((r) => Number(r.label)));
    const correct = infer.outputRows().filter((r, i) => r.row.label === truth[i]).length;
    expect(trained.eval?.accuracy).toBeCloseTo(correct / truth.length, 5);
    expect(train.logs.map((l) => l.message)).toContain(
      `eval of the final model (step ${trained.steps}) on 120 records: loss ${trained.eval!.loss!.toPrecision(4)}, accuracy ${trained.eval!.accuracy!.toPrecision(4)}`,
    );
  });

  it('predicts, writes and then trains on each batch in an online job, scored prequentially', async () => {
    // One input batch that the reader cuts into 30 batches of 32.
    const rows = separable(960, 3).flatMap((batch) => batch.toObjects());
    const online = local({
      input: [RecordBatch.fromRows(inputSchema, rows)],
      mode: 'online',
      outputSchema,
      epochs: 1,
      hyperparameters: { hidden: 4 },
    });
    const window = defineModel({ ...classifier, prequentialWindow: 200 });
    const result = await online.run((ctx) => runModel(window, ctx));
    expect(result).toMatchObject({ mode: 'online', epochs: 1, rowsRead: 960, rowsWritten: 960 });
    expect(result.steps).toBe(result.batches);
    expect(online.outputRows().map((r) => r.key)).toEqual(Array.from({ length: 960 }, (_, i) => i));
    // Each batch's accuracy before the update; the window's mean over its last 200 records.
    const accuracy = online.metricValues('accuracy');
    const prequential = online.metricValues('prequential_accuracy');
    expect(prequential).toHaveLength(result.steps);
    expect(prequential[0]).toBe(accuracy[0]);
    const last = accuracy.slice(-7); // 7 batches of 32 hold the last 200 records.
    expect(prequential.at(-1)).toBeCloseTo(last.reduce((a, b) => a + b, 0) / last.length, 5);
    expect(prequential.at(-1)!).toBeGreaterThan(0.9);
  });

  it('says what is wrong with a definition', async () => {
    expect(isModelDefinition(classifier)).toBe(true);
    expect(isModelDefinition({ build() {} })).toBe(false);
    expect(() =>
      defineModel({ hyperparameters: {}, features: classifier.features } as never),
    ).toThrow('MODEL_INVALID: build(…) is required and must be a function');
    expect(() => defineModel({ ...classifier, hyperparameters: { lr: [1] } } as never)).toThrow(
      /hyperparameter "lr" must default to a number, string or boolean/,
    );

    const noOutput = defineModel({ ...classifier, output: undefined });
    const infer = local({ input: separable(10, 1), mode: 'inference', outputSchema });
    await expect(infer.run((ctx) => runModel(noOutput, ctx))).rejects.toThrow(
      /MODEL_INVALID: a inference job writes an output per record/,
    );
    const noLabels = defineModel({
      ...classifier,
      features: (batch) => ({ xs: tf.stack([batch.tensor('x'), batch.tensor('y')], 1) }),
    });
    const train = local({ input: separable(10, 1) });
    await expect(train.run((ctx) => runModel(noLabels, ctx))).rejects.toThrow(
      'MODEL_INVALID: features(batch, hp) returned no ys',
    );
    const badHp = local({ input: separable(10, 1), hyperparameters: { hiden: 3 } });
    await expect(badHp.run((ctx) => runModel(classifier, ctx))).rejects.toThrow(
      /HYPERPARAMETER_INVALID: hyperparameter "hiden" is not one of the model's: learningRate, hidden/,
    );
  });
});
