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
  /** The last batch's compiled metrics, when it trained (`accuracy`, not tfjs's `acc`). */
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * The last evaluation on the job's eval split (chief of a train job with `training.eval`):
   * `loss` and the compiled metrics over every eval record, with the weights the run exports.
   */
  readonly eval: Readonly<Record<string, number>> | undefined;
}

/** Rows per batch when the chief evaluates on the eval split. */
const EVAL_BATCH_SIZE = 256;

/** Records the prequential metrics of an online job average over, unless the model says. */
const DEFAULT_PREQUENTIAL_WINDOW = 500;

/** tfjs abbreviates two metric names; the runtime reports them as Keras does. */
const METRIC_NAMES: Readonly<Record<string, string>> = { acc: 'accuracy', ce: 'crossentropy' };

function metricName(tfjsName: string): string {
  return METRIC_NAMES[tfjsName] ?? tfjsName;
}

/**
 * Runs a {@link ModelDefinition} in this worker for the job's mode:
 * - `train`: `build` + `compile`, then for each epoch and batch a training step through the
 *   parameter session (gradients here, averaged on the parameter servers), reporting `loss` and
 *   the compiled metrics per step; the chief saves the final checkpoint with the model and, when
 *   the job has an eval split, evaluates that model on it (`eval_loss`, `eval_accuracy`, …; also
 *   every `everyEpochs` epochs when the job says);
 * - `inference`: `build`, the weights of the saved model (`loadModel`), then `predict` per batch
 *   and `output`, written with the keys of the input records;
 * - `online`: per batch, predict and write, then train on it; the batch's loss and metrics, taken
 *   before the update, are its prequential (test-then-train) scores, reported per step and as
 *   `prequential_loss`, `prequential_accuracy`, … over the last `prequentialWindow` records.
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
  private evalMetrics: Readonly<Record<string, number>> | undefined;

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
    const split = ctx.binding.job.eval;
    const evaluates = mode === 'train' && ctx.isChief && split !== undefined;
    const window =
      mode === 'online'
        ? new PrequentialWindow(definition.prequentialWindow ?? DEFAULT_PREQUENTIAL_WINDOW)
        : undefined;
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
            const metrics = Object.fromEntries(
              Object.entries(result.metrics).map(([name, value]) => [metricName(name), value]),
            );
            this.steps++;
            this.loss = result.loss;
            this.metrics = metrics;
            epochLoss += result.loss;
            epochBatches++;
            ctx.metric('loss', result.loss, { step: result.step });
            for (const [name, value] of Object.entries(metrics)) {
              ctx.metric(name, value, { step: result.step });
            }
            if (window !== undefined) {
              window.add(batch.numRows, { loss: result.loss, ...metrics });
              for (const [name, value] of Object.entries(window.means())) {
                ctx.metric(`prequential_${name}`, value, { step: result.step });
              }
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
      const every = split?.everyEpochs;
      if (evaluates && every !== undefined && (epoch + 1) % every === 0 && epoch + 1 < epochs) {
        this.evalMetrics = await this.evaluate(session!.step, `after epoch ${epoch + 1}`);
      }
    }
    const checkpoint = await session?.close();
    if (checkpoint !== undefined) {
      ctx.log.info(`saved the model at step ${checkpoint.step} to ${checkpoint.location}`);
    }
    if (evaluates) {
      // The weights the chief just exported: the run's model.
      this.evalMetrics = await this.evaluate(session!.step, 'of the final model');
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
      eval: this.evalMetrics,
    };
  }

  /**
   * The loss and compiled metrics of the model over one pass of the eval split, each the mean
   * over its records; reported as `eval_<name>` metrics at `step` and in a log line.
   */
  private async evaluate(step: number, when: string): Promise<Record<string, number>> {
    const { ctx, model } = this;
    const names = model.metricsNames.map(metricName);
    const sums = names.map(() => 0);
    let rows = 0;
    for await (const batch of ctx.evalReader({ batchSize: EVAL_BATCH_SIZE })) {
      const features = this.features(batch, true);
      try {
        const result = model.evaluate(
          features.xs as tf.Tensor | tf.Tensor[],
          features.ys as tf.Tensor | tf.Tensor[],
          { batchSize: batch.numRows },
        );
        const scalars = Array.isArray(result) ? result : [result];
        try {
          const values = await Promise.all(scalars.map((scalar) => scalar.data()));
          values.forEach((value, i) => (sums[i]! += value[0]! * batch.numRows));
        } finally {
          tf.dispose(scalars);
        }
        rows += batch.numRows;
      } finally {
        tf.dispose(features as unknown as tf.TensorContainer);
      }
    }
    if (rows === 0) {
      ctx.log.warn(`the eval split has no records: nothing to evaluate ${when}`);
      return {};
    }
    const metrics = Object.fromEntries(names.map((name, i) => [name, sums[i]! / rows]));
    for (const [name, value] of Object.entries(metrics)) {
      ctx.metric(`eval_${name}`, value, { step });
    }
    const shown = Object.entries(metrics)
      .map(([name, value]) => `${name} ${value.toPrecision(4)}`)
      .join(', ');
    ctx.log.info(`eval ${when} (step ${step}) on ${rows} records: ${shown}`);
    return metrics;
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

/** Means of per-batch values over the last `size` records, weighted by each batch's rows. */
class PrequentialWindow {
  private readonly batches: { rows: number; values: Record<string, number> }[] = [];
  private rows = 0;

  constructor(private readonly size: number) {}

  add(rows: number, values: Record<string, number>): void {
    this.batches.push({ rows, values });
    this.rows += rows;
    while (this.batches.length > 1 && this.rows - this.batches[0]!.rows >= this.size) {
      this.rows -= this.batches.shift()!.rows;
    }
  }

  means(): Record<string, number> {
    const sums: Record<string, number> = {};
    for (const { rows, values } of this.batches) {
      for (const [name, value] of Object.entries(values)) {
        sums[name] = (sums[name] ?? 0) + value * rows;
      }
    }
    return Object.fromEntries(
      Object.entries(sums).map(([name, sum]) => [name, sum / Math.max(1, this.rows)]),
    );
  }
}

function isTensors(value: unknown): value is ModelTensors {
  return (
    value instanceof tf.Tensor ||
    (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof tf.Tensor))
  );
}
