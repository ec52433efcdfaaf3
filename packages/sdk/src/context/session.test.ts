import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/engine.js';
import { LocalParameterStore } from '../local/local-parameter-store.js';
import { LocalRuntime } from '../local/local-runtime.js';
import { ParameterSession, placeVariables } from './session.js';

beforeAll(async () => {
  await initEngine();
});

const disposables: { dispose(): void }[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) {
    d.dispose();
  }
});

/** A small regression model compiled with plain SGD, so that a step is easy to reproduce. */
function regression(seedWeights?: tf.Tensor[]): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 3, activation: 'tanh', inputShape: [2] }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError', metrics: ['mae'] });
  if (seedWeights !== undefined) {
    model.setWeights(seedWeights);
  }
  disposables.push(model);
  return model;
}

let xs: tf.Tensor;
let ys: tf.Tensor;
beforeAll(() => {
  xs = tf.tensor2d([
    [0.1, 0.2],
    [0.5, -0.3],
    [-0.7, 0.9],
    [0.3, 0.3],
  ]);
  ys = tf.tensor2d([[0.3], [0.2], [0.4], [-0.1]]);
});

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, i) => {
    values.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5));
  });
}

describe('ParameterSession', () => {
  it('makes the same step as model.trainOnBatch, through the parameter servers', async () => {
    const local = regression();
    const reference = regression(local.getWeights().map((w) => w.clone()));
    const runtime = new LocalRuntime();
    disposables.push({ dispose: () => runtime.close() });
    await runtime.run(async (ctx) => {
      const session = await ctx.session(local);
      expect(session.step).toBe(0);
      const result = await session.trainStep(xs, ys);
      const [refLoss, refMae] = (await reference.trainOnBatch(xs, ys)) as number[];
      expect(result.step).toBe(1);
      expect(result.applied).toBe(true);
      expect(result.loss).toBeCloseTo(refLoss!, 5);
      expect(result.metrics.mae).toBeCloseTo(refMae!, 5);
      expectClose(await weightsOf(local), await weightsOf(reference));
      // What the model holds is what the parameter servers hold.
      const held = await runtime.parameters.pullWeights({ model: 'model' });
      expect(held.step).toBe(1);
      expectClose(
        await weightsOf(local),
        held.values.map((v) => Array.from(v)),
      );
    });
  });

  it('averages the gradients of two sync workers into one step, and both hold the result', async () => {
    const parameters = new LocalParameterStore({ workers: 2 });
    disposables.push(parameters);
    const chief = new LocalRuntime({ parameters, workers: 2, index: 0 });
    const other = new LocalRuntime({ parameters, workers: 2, index: 1 });
    const first = regression();
    const second = regression();
    const reference = regression(first.getWeights().map((w) => w.clone()));
    // The other worker asks first and waits for the chief's variables.
    const [otherSession, chiefSession] = await Promise.all([
      ParameterSession.create(other, second),
      ParameterSession.create(chief, first),
    ]);
    expectClose(await weightsOf(second), await weightsOf(first));
    const half = (t: tf.Tensor, start: number) => t.slice([start, 0], [2, -1]);
    const [a, b] = await Promise.all([
      chiefSession.trainStep(half(xs, 0), half(ys, 0)),
      otherSession.trainStep(half(xs, 2), half(ys, 2)),
    ]);
    expect([a.step, b.step]).toEqual([1, 1]);
    // With a mean loss over equal halves, the average gradient is the whole batch's gradient.
    await reference.trainOnBatch(xs, ys);
    expectClose(await weightsOf(first), await weightsOf(reference));
    expectClose(await weightsOf(second), await weightsOf(reference));
    // A worker that finished no longer holds the other back.
    await otherSession.close();
    const alone = await chiefSession.trainStep(xs, ys);
    expect(alone.step).toBe(2);
    await chiefSession.close();
    expect(parameters.checkpoints.map((c) => [c.step, c.artifacts !== undefined])).toEqual([
      [2, true],
    ]);
  });

  it('applies each push at once in async training, and drops stale sync gradients', async () => {
    const runtime = new LocalRuntime({ training: 'async' });
    disposables.push({ dispose: () => runtime.close() });
    const session = await ParameterSession.create(runtime, regression());
    await session.trainStep(xs, ys);
    await session.trainStep(xs, ys);
    expect(session.step).toBe(2);

    const sync = new LocalRuntime();
    disposables.push({ dispose: () => sync.close() });
    const model = regression();
    await ParameterSession.create(sync, model);
    const zeros = model.trainableWeights.map((w) => new Float32Array(w.read().size));
    await sync.pushGradients({ model: 'model', step: 0, gradients: zeros });
    expect(await sync.pushGradients({ model: 'model', step: 0, gradients: zeros })).toEqual({
      step: 1,
      applied: false,
    });
  });

  it('checkpoints on the chief every N steps and saves the model when it closes', async () => {
    const runtime = new LocalRuntime({ checkpoint: { everySteps: 2 } });
    disposables.push({ dispose: () => runtime.close() });
    const model = regression();
    const session = await ParameterSession.create(runtime, model);
    for (let i = 0; i < 5; i++) {
      await session.trainStep(xs, ys);
    }
    const final = await session.close();
    expect(await session.close()).toBe(final);
    expect(final).toEqual({ step: 5, location: 'memory://model/step-5' });
    expect(runtime.parameters.checkpoints.map((c) => c.step)).toEqual([2, 4, 5]);
    expect(runtime.savedModel?.weightSpecs?.map((s) => s.shape)).toEqual([
      [2, 3],
      [3],
      [3, 1],
      [1],
    ]);
    await expect(session.trainStep(xs, ys)).rejects.toThrow(
      /SESSION_ERROR: the session of model "model" is closed/,
    );
  });

  it('refuses a model that is not compiled, or whose variables differ from the servers’', async () => {
    const runtime = new LocalRuntime();
    disposables.push({ dispose: () => runtime.close() });
    const bare = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    disposables.push(bare);
    await expect(ParameterSession.create(runtime, bare)).rejects.toThrow(
      'SESSION_ERROR: model "model" is not compiled; call model.compile({ optimizer, loss })',
    );
    await ParameterSession.create(runtime, regression());
    bare.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(ParameterSession.create(runtime, bare)).rejects.toThrow(
      /SESSION_ERROR: model "model": the parameter servers hold variables of shapes \[2,3\] \[3\] \[3,1\] \[1\] but this model has \[2,1\] \[1\]/,
    );
  });
});

describe('placeVariables', () => {
  it('balances bytes over the shards, largest first, the same on every worker', () => {
    const specs = placeVariables(
      [
        { name: 'a', shape: [100] },
        { name: 'b', shape: [60] },
        { name: 'c', shape: [50] },
        { name: 'd', shape: [10] },
      ],
      2,
    );
    expect(specs.map((s) => [s.id, s.shard])).toEqual([
      [0, 0],
      [1, 1],
      [2, 1],
      [3, 0],
    ]);
  });
});
