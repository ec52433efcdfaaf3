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
