// Tell from three sensor readings whether a machine is overheating, learning as the readings
// stream in: each micro-batch is first predicted (and written with its prediction), then trained
// on. The template reports each batch's accuracy before the update and `prequential_accuracy`,
// its mean over the last 500 readings: the accuracy on readings the model had not seen yet.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@tfstream/sdk';
import { defineModel } from '@tfstream/sdk';

/** The readings of the `sensors` generator the model looks at. */
const SENSORS = ['temperature', 'humidity', 'vibration'];

export default defineModel({
  hyperparameters: { learningRate: 0.2 },
  build: () =>
    tf.sequential({
      layers: [tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [SENSORS.length] })],
    }),
  compile: (hp) => ({
    optimizer: tf.train.adam(hp.learningRate),
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  }),
  features: (batch: Batch) => ({
    xs: tf.stack(
      SENSORS.map((name) => batch.tensor(name)),
      1,
    ),
    ys: batch.tensor('label').toFloat().reshape([-1, 1]),
  }),
  output: (batch, predictions) => {
    const probability = (predictions as tf.Tensor).reshape([-1]);
    return {
      label: batch.tensor('label'),
      predicted: probability.greater(0.5).toInt(),
      probability,
    };
  },
  prequentialWindow: 500,
});
