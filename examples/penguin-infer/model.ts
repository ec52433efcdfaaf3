// Predict the species of unlabelled penguins with the model a penguin-train run exported: the same
// model definition, plus how predictions become output fields.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@tfstream/sdk';
import { defineModel } from '@tfstream/sdk';
import { FEATURES, penguinModel } from '../penguin-train/model.js';

export default defineModel({
  ...penguinModel,
  // Unlabelled rows: features only, no target.
  features: (batch: Batch) => ({
    xs: tf.stack(
      FEATURES.map((name) => batch.tensor(name)),
      1,
    ),
  }),
  output: (_batch, predictions) => {
    const probabilities = predictions as tf.Tensor2D;
    return { species: probabilities.argMax(1), probability: probabilities.max(1) };
  },
});
