// Classify Palmer penguins by species from four measurements, as in the TFX penguin tutorial:
// only what is about the model; tfstream does the cluster, the data and the parameter servers.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@tfstream/sdk';
import { defineModel } from '@tfstream/sdk';

/** The four measurements, scaled to [0, 1] by TFX's preprocessing. */
export const FEATURES = ['culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g'];

/** The model, shared with `examples/penguin-infer`. */
export const penguinModel = {
  hyperparameters: { learningRate: 0.02, hiddenUnits: 16 },
  build: (hp: { learningRate: number; hiddenUnits: number }) =>
    tf.sequential({
      layers: [
        tf.layers.dense({
          units: hp.hiddenUnits,
          activation: 'relu',
          inputShape: [FEATURES.length],
        }),
        tf.layers.dense({ units: hp.hiddenUnits, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    }),
  compile: (hp: { learningRate: number }) => ({
    optimizer: tf.train.adam(hp.learningRate),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  }),
  features: (batch: Batch) => ({
    xs: tf.stack(
      FEATURES.map((name) => batch.tensor(name)),
      1,
    ),
    ys: batch.tensor('species').toFloat(),
  }),
};

export default defineModel(penguinModel);
