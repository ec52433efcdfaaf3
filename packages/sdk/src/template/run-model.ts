import * as tf from '@tensorflow/tfjs';
import { TfstreamError, preview } from '@tfstream/schema';
import { initEngine } from '../engine/engine.js';
import type { BackendKind } from '../engine/engine.js';
import { JobContext } from '../context/job-context.js';
import type { Hyperparameters, JobMode } from '../context/runtime-binding.js';
import type { ModelTensors, ParameterSession } from '../context/session.js';
import type { Batch } from '../tensors/batch.js';
import type { BatchWriter, OutputData } from '../tensors/batch-writer.js';
import type { Features, ModelDefinition } from './define-model.js';

/** What {@link runModel} did. */
export interface RunResult {
  readonly mode: JobMode;
  readonly backend: BackendKind;
  /** Passes over the input. */
  readonly epochs: number;
  readonly batches: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  /** Training steps this worker took part in. */
  readonly steps: number;
  /** The last batch's loss, when it trained. */
  readonly loss: number | undefined;
  /** The last batch's compiled metrics, when it trained. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Runs a {@link ModelDefinition} in this worker for the job's mode:
 * - `train`: `build` + `compile`, then for each epoch and batch a training step through the
 *   parameter session (gradients here, averaged on the parameter servers), reporting `loss` and
 *   the compiled metrics per step; the chief saves the final checkpoint with the model;
 * - `inference`: `build`, the weights of the saved model (`loadModel`), then `predict` per batch
 *   and `output`, written with the keys of the input records;
 * - `online`: per batch, predict and write, then train on it.
 *
 * The runtime calls it in every worker; a dry run calls it through `LocalRuntime.run`.
 * @throws TfstreamError `MODEL_INVALID` when the definition's functions return the wrong thing
 * @example
 * ```ts
 * import definition from './model.js';
 * const result = await runModel(definition, JobContext.getOrCreate());
 * console.log(result.steps, result.loss);
 * ```
 */
export async function runModel<H extends Hyperparameters>(
  definition: ModelDefinition<H>,
  ctx: JobContext = JobContext.getOrCreate(),
): Promise<RunResult> {
  const engine = await initEngine();
  if (ctx.role !== 'worker') {
    throw new TfstreamError(
      'CONTEXT_ERROR',
      'runModel runs on workers; the runtime serves the parameter servers itself',
    );
  }
  ctx.log.info(`tfjs backend: ${engine.detail}`, { backend: engine.backend });
  const hp = ctx.hyperparametersWith(definition.hyperparameters);
  const model = build(definition, hp);
  const run = new ModelRun(definition, ctx, hp, model, engine.backend);
  try {
    return await run.run();
  } finally {
    // A model does not dispose an optimizer instance it was compiled with; the run made it.
    const optimizer = model.optimizer as tf.Optimizer | undefined;
    model.dispose();
    optimizer?.dispose();
  }
}

class ModelRun<H extends Hyperparameters> {
  private batches = 0;
  private rowsRead = 0;
  private steps = 0;
  private loss: number | undefined;
  private metrics: Readonly<Record<string, number>> = {};

  constructor(
    private readonly definition: ModelDefinition<H>,
    private readonly ctx: JobContext,
    private readonly hp: H,
    private readonly model: tf.LayersModel,
    private readonly backend: BackendKind,
  ) {}

  async run(): Promise<RunResult> {
    const { ctx, definition } = this;
    const mode = ctx.mode;
    const trains = mode !== 'inference';
    const epochs = trains ? (ctx.epochs ?? definition.epochs ?? 1) : 1;
    let session: ParameterSession | undefined;
    if (trains) {
      this.compile();
      session = await ctx.session(this.model);
    } else {
      await this.loadSavedWeights();
    }
    try {
      return await this.loop(mode, epochs, session);
    } catch (error) {
      await session?.abort();
      throw error;
    }
  }

  private async loop(
    mode: JobMode,
    epochs: number,
    session: ParameterSession | undefined,
  ): Promise<RunResult> {
    const { ctx, definition } = this;
    const trains = session !== undefined;
    const writes = mode !== 'train';
    let writer: BatchWriter | undefined;
    if (writes) {
      if (definition.output === undefined) {
        throw new TfstreamError(
          'MODEL_INVALID',
          `a ${mode} job writes an output per record: give the model definition an output(batch, predictions, hp)`,
        );
      }
      writer = ctx.writer();
    }
    for (let epoch = 0; epoch < epochs; epoch++) {
      let epochLoss = 0;
      let epochBatches = 0;
      for await (const batch of ctx.reader({
        batchSize: ctx.binding.job.batchSize ?? definition.batchSize,
        epoch,
      })) {
        this.batches++;
        this.rowsRead += batch.numRows;
        const features = this.features(batch, trains);
        try {
          if (writer !== undefined) {
            await this.predictAndWrite(batch, features.xs, writer);
          }
          if (session !== undefined) {
            const result = await session.trainStep(features.xs, features.ys!);
            this.steps++;
            this.loss = result.loss;
            this.metrics = result.metrics;
            epochLoss += result.loss;
            epochBatches++;
            ctx.metric('loss', result.loss, { step: result.step });
            for (const [name, value] of Object.entries(result.metrics)) {
              ctx.metric(name, value, { step: result.step });
            }
          }
        } finally {
          tf.dispose(features as unknown as tf.TensorContainer);
        }
      }
      if (trains) {
        ctx.log.info(
          `epoch ${epoch + 1}/${epochs}: ${epochBatches} batches, mean loss ${
            epochBatches === 0 ? 'n/a' : (epochLoss / epochBatches).toPrecision(4)
          }`,
        );
      }
    }
    const checkpoint = await session?.close();
    if (checkpoint !== undefined) {
      ctx.log.info(`saved the model at step ${checkpoint.step} to ${checkpoint.location}`);
    }
    return {
      mode,
      backend: this.backend,
      epochs,
      batches: this.batches,
      rowsRead: this.rowsRead,
      rowsWritten: writer?.rowsWritten ?? 0,
      steps: this.steps,
      loss: this.loss,
      metrics: this.metrics,
    };
  }

  private compile(): void {
    const { definition, model, hp } = this;
    if (definition.compile !== undefined) {
      model.compile(definition.compile(hp));
    } else if (model.optimizer === undefined) {
      throw new TfstreamError(
        'MODEL_INVALID',
        'training needs a compiled model: give the definition compile(hp) (optimizer, loss, metrics), or compile it in build',
      );
    }
  }

  private features(batch: Batch, needsTargets: boolean): Features {
    const features = tf.tidy(
      () => this.definition.features(batch, this.hp) as unknown as tf.TensorContainer,
    ) as unknown as Features;
    if (typeof features !== 'object' || features === null || !isTensors(features.xs)) {
      tf.dispose(features as unknown as tf.TensorContainer);
      throw new TfstreamError(
        'MODEL_INVALID',
        `features(batch, hp) must return { xs, ys } with tensors, got ${preview(features)}`,
      );
    }
    if (needsTargets && !isTensors(features.ys)) {
      tf.dispose(features as unknown as tf.TensorContainer);
      throw new TfstreamError(
        'MODEL_INVALID',
        'features(batch, hp) returned no ys: training needs the target tensor(s) (labels)',
      );
    }
    return features;
  }

  private async predictAndWrite(
    batch: Batch,
    xs: ModelTensors,
    writer: BatchWriter,
  ): Promise<void> {
    const output = tf.tidy(() => {
      const predictions = this.model.predict(xs as tf.Tensor | tf.Tensor[]);
      return this.definition.output!(batch, predictions, this.hp) as unknown as tf.TensorContainer;
    }) as unknown as OutputData;
    try {
      await writer.write(output, { keys: batch.keys });
    } finally {
      tf.dispose(output as unknown as tf.TensorContainer);
    }
  }

  /** Inference: the saved model's weights into the model built here. */
  private async loadSavedWeights(): Promise<void> {
    const artifacts = await this.ctx.binding.loadModel();
    if (artifacts === undefined) {
      this.ctx.log.warn('no saved model: predicting with freshly initialized weights');
      return;
    }
    if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
      throw new TfstreamError('MODEL_INVALID', 'the saved model has no weights');
    }
    const specs = artifacts.weightSpecs;
    const weights = this.model.weights;
    const shapesMatch =
      specs.length === weights.length &&
      specs.every(
        (spec, i) =>
          spec.shape.length === weights[i]!.shape.length &&
          spec.shape.every((d, j) => d === weights[i]!.shape[j]),
      );
    if (!shapesMatch) {
      throw new TfstreamError(
        'MODEL_INVALID',
        `the saved model's ${specs.length} weights do not fit the ${weights.length} weights build(hp) makes; was it trained with other hyperparameters or another architecture?`,
      );
    }
    const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
    try {
      this.model.setWeights(specs.map((spec) => decoded[spec.name]!));
    } finally {
      tf.dispose(Object.values(decoded));
    }
  }
}

function build<H extends Hyperparameters>(definition: ModelDefinition<H>, hp: H): tf.LayersModel {
  const model = definition.build(hp);
  if (!(model instanceof tf.LayersModel)) {
    throw new TfstreamError(
      'MODEL_INVALID',
      `build(hp) must return a tf.LayersModel (tf.sequential() or tf.model()), got ${preview(model)}`,
    );
  }
  return model;
}

function isTensors(value: unknown): value is ModelTensors {
  return (
    value instanceof tf.Tensor ||
    (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof tf.Tensor))
  );
}
