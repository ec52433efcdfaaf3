// The model both sides of the pipeline benchmark run: the same layers, the same backend (wasm,
// one process per core), so that the only difference is the pipeline around `model.predict`.
import * as tf from '@tensorflow/tfjs';

export const FEATURES = ['temperature', 'humidity', 'vibration'];
export const HIDDEN = 256;

/** A Dense classifier over the three sensor readings. */
export function buildBenchModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [FEATURES.length] }),
      tf.layers.dense({ units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
}

/** The job's model source: the same model, written as a tfstream inference job. */
export const BENCH_MODEL_SOURCE = `
import * as tf from '@tensorflow/tfjs';
import { defineModel } from '@tfstream/sdk';

const FEATURES = ${JSON.stringify(FEATURES)};

export default defineModel({
  hyperparameters: {},
  build: () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: ${HIDDEN}, activation: 'relu', inputShape: [FEATURES.length] }),
        tf.layers.dense({ units: ${HIDDEN}, activation: 'relu' }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    }),
  features: (batch) => ({ xs: tf.stack(FEATURES.map((name) => batch.tensor(name)), 1) }),
  output: (_batch, predictions) => ({ label: (predictions as tf.Tensor).argMax(1) }),
});
`;

/**
 * The same model as a job function that also times its own work per batch: `model.predict` and
 * reading the labels back, what the bare loop does. At the end of the pass each worker reports
 * the median and 99th percentile as the `predict_ms_p50` / `predict_ms_p99` metrics (step: its
 * index), so that the stream latency can be set against the model's own time in the same run.
 */
export const BENCH_TIMED_MODEL_SOURCE = `
import * as tf from '@tensorflow/tfjs';
import type { JobContext } from '@tfstream/sdk';

const FEATURES = ${JSON.stringify(FEATURES)};

export default async function timed(ctx: JobContext): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: ${HIDDEN}, activation: 'relu', inputShape: [FEATURES.length] }),
      tf.layers.dense({ units: ${HIDDEN}, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const writer = ctx.writer();
  const times: number[] = [];
  for await (const batch of ctx.reader()) {
    const xs = tf.tidy(() => tf.stack(FEATURES.map((name) => batch.tensor(name)), 1));
    const started = performance.now();
    const labels = tf.tidy(() => (model.predict(xs) as tf.Tensor).argMax(1));
    const values = await labels.data();
    times.push(performance.now() - started);
    tf.dispose([xs, labels]);
    await writer.write({ label: values as Int32Array }, { keys: batch.keys });
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  ctx.metric('predict_ms_p50', at(0.5), { step: ctx.index });
  ctx.metric('predict_ms_p99', at(0.99), { step: ctx.index });
}
`;
