import type * as tf from '@tensorflow/tfjs';
import { TfstreamError, preview } from '@tfstream/schema';
import type { Hyperparameters } from '../context/runtime-binding.js';
import type { ModelTensors } from '../context/session.js';
import type { Batch } from '../tensors/batch.js';
import type { OutputData } from '../tensors/batch-writer.js';

/** What `features` makes of a batch: the model's input(s) and, to train, its target(s). */
export interface Features {
  readonly xs: ModelTensors;
  /** Required to train; inference ignores it. */
  readonly ys?: ModelTensors;
}

/** Everything a model says about itself; the runtime does the rest. See {@link defineModel}. */
export interface ModelSpec<H extends Hyperparameters> {
  /** Hyperparameter defaults. A job may override each by name, with a value of the same type. */
  readonly hyperparameters: H;
  /** Makes the model. Called once per worker with the resolved hyperparameters. */
  build(hp: H): tf.LayersModel;
  /** How to compile it for training; may be left out when `build` compiles the model itself. */
  compile?(hp: H): tf.ModelCompileArgs;
  /**
   * How a batch becomes the model's input and target tensors. Runs inside `tf.tidy`, so
   * intermediate tensors need no dispose.
   */
  features(batch: Batch, hp: H): Features;
  /**
   * For inference and online jobs: the output fields of each input row, from the batch and the
   * model's predictions, as rows or as tensors / arrays per output field (one row per input
   * row). Runs inside `tf.tidy`.
   */
  output?(batch: Batch, predictions: tf.Tensor | tf.Tensor[], hp: H): OutputData;
  /** Passes over a bounded input when the job does not say; default 1. */
  readonly epochs?: number;
  /** Rows per batch when the job does not say. */
  readonly batchSize?: number;
  /**
   * Online jobs: the records that the `prequential_*` metrics (each batch scored before the model
   * trains on it) average over; default 500.
   */
  readonly prequentialWindow?: number;
}

/** A model defined with {@link defineModel}, ready for the runtime (`runModel`). */
export interface ModelDefinition<H extends Hyperparameters = Hyperparameters> extends ModelSpec<H> {
  readonly kind: 'tfstream.model';
}

/**
 * Defines a model in the migration-template form: hyperparameter defaults, how to build and
 * compile the model, how a batch becomes features and labels, and for inference how predictions
 * become output fields. Export it as the module's default; the runtime trains it, or runs it for
 * inference, in every worker with `runModel`, with parameter servers, checkpoints and metrics.
 *
 * @throws TfstreamError `MODEL_INVALID` when a part is missing or of the wrong kind
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { defineModel } from '@tfstream/sdk';
 *
 * export default defineModel({
 *   hyperparameters: { learningRate: 0.05, hidden: 8 },
 *   build: (hp) =>
 *     tf.sequential({
 *       layers: [
 *         tf.layers.dense({ units: hp.hidden, activation: 'relu', inputShape: [2] }),
 *         tf.layers.dense({ units: 2, activation: 'softmax' }),
 *       ],
 *     }),
 *   compile: (hp) => ({
 *     optimizer: tf.train.adam(hp.learningRate),
 *     loss: 'sparseCategoricalCrossentropy',
 *     metrics: ['accuracy'],
 *   }),
 *   features: (batch) => ({
 *     xs: tf.stack([batch.tensor('x'), batch.tensor('y')], 1),
 *     ys: batch.tensor('label').toFloat(),
 *   }),
 *   output: (_batch, predictions) => ({
 *     label: (predictions as tf.Tensor).argMax(1),
 *     score: (predictions as tf.Tensor).max(1),
 *   }),
 * });
 * ```
 */
export function defineModel<H extends Hyperparameters>(spec: ModelSpec<H>): ModelDefinition<H> {
  if (typeof spec !== 'object' || spec === null) {
    throw invalid(`defineModel takes an object, got ${preview(spec)}`);
  }
  const hp = spec.hyperparameters as unknown;
  if (typeof hp !== 'object' || hp === null || Array.isArray(hp)) {
    throw invalid('hyperparameters must be an object of defaults, e.g. { learningRate: 0.01 }');
  }
  for (const [name, value] of Object.entries(hp)) {
    if (!['number', 'string', 'boolean'].includes(typeof value)) {
      throw invalid(
        `hyperparameter "${name}" must default to a number, string or boolean, got ${preview(value)}`,
      );
    }
  }
  for (const part of ['build', 'features'] as const) {
    if (typeof spec[part] !== 'function') {
      throw invalid(`${part}(…) is required and must be a function`);
    }
  }
  for (const part of ['compile', 'output'] as const) {
    if (spec[part] !== undefined && typeof spec[part] !== 'function') {
      throw invalid(`${part}(…) must be a function when given`);
    }
  }
  for (const part of ['epochs', 'batchSize', 'prequentialWindow'] as const) {
    const value = spec[part];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw invalid(`${part} must be a whole number >= 1, got ${preview(value)}`);
    }
  }
  return Object.freeze({ ...spec, kind: 'tfstream.model' as const });
}

/**
 * Whether a value (say, the default export of model code) is a {@link ModelDefinition}.
 * @example
 * ```ts
 * const module = await import(userModule);
 * if (isModelDefinition(module.default)) await runModel(module.default, ctx);
 * ```
 */
export function isModelDefinition(value: unknown): value is ModelDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'tfstream.model'
  );
}

function invalid(detail: string): TfstreamError {
  return new TfstreamError('MODEL_INVALID', detail);
}
