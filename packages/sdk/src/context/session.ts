import * as tf from '@tensorflow/tfjs';
import { TfstreamError } from '@tfstream/schema';
import type {
  CheckpointPolicy,
  CheckpointResult,
  RuntimeBinding,
  TrainingMode,
  VariableSpec,
  WeightsSnapshot,
} from './runtime-binding.js';

/** Options of `ctx.session()`. */
export interface SessionOptions {
  /** The model's name within the job, unique per model; default `'model'`. */
  readonly name?: string;
  /** Default: the job's training mode. */
  readonly training?: TrainingMode;
  /** When the chief checkpoints; default: the job's policy (only the last checkpoint). */
  readonly checkpoint?: CheckpointPolicy;
}

/** What one training step did. */
export interface StepResult {
  /** The global step after the update. */
  readonly step: number;
  /** The batch's loss, before the update (as `model.fit` reports it). */
  readonly loss: number;
  /** The compiled metrics by tfjs name (`acc` for `'accuracy'`), before the update. */
  readonly metrics: Readonly<Record<string, number>>;
  /** False when sync parameter servers dropped the gradients as stale. */
  readonly applied: boolean;
}

/** Inputs or targets of a model: one tensor per model input or output. */
export type ModelTensors = tf.Tensor | readonly tf.Tensor[];

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Keeps a compiled tfjs `LayersModel`'s trainable variables in sync with the parameter servers.
 * Each {@link trainStep} computes the gradients on this worker (`tf.variableGrads` over the
 * model's compiled loss, regularizers included), pushes them, and pulls the weights the servers
 * made by averaging every worker's gradients and applying them with the model's optimizer. The
 * chief (worker 0) creates the variables and saves checkpoints. Made by `ctx.session()`.
 *
 * Non-trainable weights (batch-norm statistics) stay local to each worker.
 *
 * @example
 * ```ts
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
 * model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
 * const session = await ctx.session(model);
 * for await (const batch of ctx.reader({ batchSize: 64 })) {
 *   const { loss, step } = await session.trainStep(xsOf(batch), ysOf(batch));
 *   ctx.metric('loss', loss, { step });
 * }
 * await session.close(); // the chief saves the final checkpoint
 * ```
 */
export class ParameterSession {
  readonly model: tf.LayersModel;
  /** The model's name within the job. */
  readonly name: string;
  readonly variables: readonly VariableSpec[];
  readonly training: TrainingMode;
  private readonly binding: RuntimeBinding;
  private readonly isChief: boolean;
  private readonly policy: CheckpointPolicy;
  private currentStep: number;
  private lastCheckpointStep: number;
  private lastCheckpointTime = Date.now();
  private closed = false;
  private closing: Promise<CheckpointResult | undefined> | undefined;

  private constructor(
    binding: RuntimeBinding,
    model: tf.LayersModel,
    name: string,
    variables: VariableSpec[],
    training: TrainingMode,
    policy: CheckpointPolicy,
    step: number,
  ) {
    this.binding = binding;
    this.model = model;
    this.name = name;
    this.variables = variables;
    this.training = training;
    this.policy = policy;
    this.isChief = binding.job.role === 'worker' && binding.job.index === 0;
    this.currentStep = step;
    this.lastCheckpointStep = step;
  }

  /**
   * Places the model's variables on the parameter servers (the chief sends its initial values;
   * others wait for them) and loads the servers' values into the model.
   * @throws TfstreamError `SESSION_ERROR` when the model is not compiled or does not match the
   * variables the servers hold
   */
  static async create(
    binding: RuntimeBinding,
    model: tf.LayersModel,
    options: SessionOptions = {},
  ): Promise<ParameterSession> {
    const name = options.name ?? 'model';
    if (binding.job.role !== 'worker') {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'a parameter session runs on workers; parameter servers are served by the runtime',
      );
    }
    const optimizer = model.optimizer as tf.Optimizer | undefined;
    if (optimizer === undefined || compiledLosses(model) === undefined) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${name}" is not compiled; call model.compile({ optimizer, loss }) before ctx.session()`,
      );
    }
    const weights = model.trainableWeights;
    for (const weight of weights) {
      if (weight.dtype !== 'float32') {
        throw new TfstreamError(
          'SESSION_ERROR',
          `model "${name}": variable ${weight.name} is ${weight.dtype}; parameter servers hold float32 variables only`,
        );
      }
    }
    const variables = placeVariables(
      weights.map((w) => ({ name: w.name, shape: w.shape as number[] })),
      Math.max(1, binding.job.cluster.ps.length),
    );
    const isChief = binding.job.index === 0;
    const training = options.training ?? binding.job.training;
    const initial = isChief
      ? await Promise.all(weights.map(async (w) => Float32Array.from(await w.read().data())))
      : undefined;
    const created = await binding.createVariables({
      model: name,
      variables,
      initial,
      optimizer: { className: optimizer.getClassName(), config: optimizer.getConfig() },
      training,
    });
    const session = new ParameterSession(
      binding,
      model,
      name,
      variables,
      training,
      options.checkpoint ?? binding.job.checkpoint ?? {},
      created.step,
    );
    if (created.restored || !isChief) {
      await session.pull();
    }
    return session;
  }

  /** The global step of the weights the model holds. */
  get step(): number {
    return this.currentStep;
  }

  /**
   * One training step on a batch: gradients here, the update on the parameter servers, the new
   * weights back into the model. In sync training it resolves when every worker's gradients for
   * the step were averaged and applied.
   * @param xs - the model's input(s); @param ys - its target(s), as `model.fit` takes them
   */
  async trainStep(xs: ModelTensors, ys: ModelTensors): Promise<StepResult> {
    this.checkOpen();
    const { loss, metrics, gradients } = await this.computeGradients(xs, ys);
    const pushed = await this.binding.pushGradients({
      model: this.name,
      step: this.currentStep,
      gradients,
    });
    this.checkOpen();
    if (pushed.weights !== undefined) {
      this.load(pushed.weights);
    } else {
      await this.pull();
    }
    await this.maybeCheckpoint();
    return { step: this.currentStep, loss, metrics, applied: pushed.applied };
  }

  /** Loads the servers' current weights into the model; returns their step. */
  async pull(): Promise<number> {
    this.checkOpen();
    const snapshot = await this.binding.pullWeights({ model: this.name });
    this.checkOpen();
    this.load(snapshot);
    return this.currentStep;
  }

  /**
   * Saves a checkpoint now (chief only; other workers get `undefined`). `final` adds the whole
   * model (topology and weights) so that the runtime can export it.
   */
  async checkpoint(final = false): Promise<CheckpointResult | undefined> {
    this.checkOpen();
    if (!this.isChief) {
      return undefined;
    }
    const artifacts = final ? await modelArtifacts(this.model) : undefined;
    const result = await this.binding.checkpoint({
      model: this.name,
      step: this.currentStep,
      ...(artifacts === undefined ? {} : { artifacts }),
    });
    this.lastCheckpointStep = this.currentStep;
    this.lastCheckpointTime = Date.now();
    return result;
  }

  /**
   * Ends training for this worker: tells the servers (sync training stops waiting for it) and,
   * on the chief, saves the final checkpoint with the model. Idempotent.
   */
  close(): Promise<CheckpointResult | undefined> {
    return this.end(true);
  }

  /**
   * Ends training for this worker without a final checkpoint, after a failure: the servers stop
   * waiting for it, and nothing half-trained is saved as the run's model. Idempotent; after
   * {@link close} it does nothing.
   */
  async abort(): Promise<void> {
    await this.end(false);
  }

  private end(save: boolean): Promise<CheckpointResult | undefined> {
    this.closing ??= (async () => {
      try {
        await this.binding.finishTraining({ model: this.name });
        return save ? await this.checkpoint(true) : undefined;
      } finally {
        this.closed = true;
      }
    })();
    return this.closing;
  }

  /** Whether {@link close} finished. */
  get isClosed(): boolean {
    return this.closed;
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new TfstreamError('SESSION_ERROR', `the session of model "${this.name}" is closed`);
    }
  }

  private async computeGradients(
    xs: ModelTensors,
    ys: ModelTensors,
  ): Promise<{ loss: number; metrics: Record<string, number>; gradients: Float32Array[] }> {
    const model = this.model;
    const lossFns = compiledLosses(model)!;
    const targets = toArray(ys);
    const metricNames = model.metricsNames.slice(1);
    const metricTensors: tf.Tensor[] = [];
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const outputs = toArray(
        model.apply(xs as tf.Tensor | tf.Tensor[], { training: true }) as tf.Tensor | tf.Tensor[],
      );
      if (outputs.length !== lossFns.length || targets.length !== outputs.length) {
        throw new TfstreamError(
          'SESSION_ERROR',
          `model "${this.name}" has ${outputs.length} output(s) and ${lossFns.length} loss(es) but was given ${targets.length} target tensor(s)`,
        );
      }
      const perOutput = outputs.map((output, i) => tf.mean(lossFns[i]!(targets[i]!, output)));
      model.metricsTensors.forEach(([metric, outputIndex], i) => {
        const m =
          outputs.length > 1 && i < outputs.length
            ? perOutput[i]!
            : tf.mean(metric(targets[outputIndex]!, outputs[outputIndex]!));
        metricTensors.push(tf.keep(m));
      });
      let total = perOutput.length === 1 ? perOutput[0]! : tf.addN(perOutput);
      for (const penalty of model.calculateLosses()) {
        total = tf.add(total, penalty);
      }
      return total as tf.Scalar;
    }, weights);
    try {
      const gradients = await Promise.all(
        weights.map(async (weight) => {
          const grad = grads[weight.name];
          // A variable the loss does not reach gets a zero gradient.
          return grad === undefined
            ? new Float32Array(weight.size)
            : Float32Array.from(await grad.data());
        }),
      );
      const loss = (await value.data())[0]!;
      const metrics: Record<string, number> = {};
      for (let i = 0; i < metricTensors.length; i++) {
        metrics[metricNames[i] ?? `metric_${i}`] = (await metricTensors[i]!.data())[0]!;
      }
      return { loss, metrics, gradients };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...metricTensors]);
    }
  }

  private load(snapshot: WeightsSnapshot): void {
    const weights = this.model.trainableWeights;
    if (snapshot.values.length !== weights.length) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${this.name}" has ${weights.length} trainable variables but the servers sent ${snapshot.values.length}`,
      );
    }
    tf.tidy(() => {
      weights.forEach((weight, i) => {
        weight.write(tf.tensor(snapshot.values[i]!, weight.shape as number[], 'float32'));
      });
    });
    this.currentStep = snapshot.step;
  }

  private async maybeCheckpoint(): Promise<void> {
    const { everySteps, everySeconds } = this.policy;
    const dueBySteps =
      everySteps !== undefined && this.currentStep - this.lastCheckpointStep >= everySteps;
    const dueByTime =
      everySeconds !== undefined && Date.now() - this.lastCheckpointTime >= everySeconds * 1000;
    if (this.isChief && (dueBySteps || dueByTime)) {
      await this.checkpoint();
    }
  }
}

/**
 * Places variables on `shards` parameter servers so that each holds about the same number of
 * bytes: largest first, each to the lightest shard (ties: lowest index). Deterministic, so every
 * worker computes the same placement.
 * @example
 * ```ts
 * placeVariables([{ name: 'kernel', shape: [784, 10] }, { name: 'bias', shape: [10] }], 2);
 * // kernel on shard 0, bias on shard 1
 * ```
 */
export function placeVariables(
  variables: readonly { readonly name: string; readonly shape: readonly number[] }[],
  shards: number,
): VariableSpec[] {
  const sizes = variables.map((v) => v.shape.reduce((a, b) => a * b, 1));
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const load = new Array<number>(shards).fill(0);
  const shardOf = new Array<number>(variables.length);
  for (const id of order) {
    let best = 0;
    for (let s = 1; s < shards; s++) {
      if (load[s]! < load[best]!) {
        best = s;
      }
    }
    shardOf[id] = best;
    load[best]! += sizes[id]!;
  }
  return variables.map((v, id) => ({
    id,
    name: v.name,
    shape: [...v.shape],
    dtype: 'float32',
    shard: shardOf[id]!,
  }));
}

/** The per-sample loss functions `compile` set, one per output (a Sequential keeps them inside). */
function compiledLosses(model: tf.LayersModel): LossFn[] | undefined {
  const inner = (model as unknown as { model?: tf.LayersModel }).model;
  const fns = model.lossFunctions ?? inner?.lossFunctions;
  return fns as LossFn[] | undefined;
}

function toArray(tensors: ModelTensors): readonly tf.Tensor[] {
  return Array.isArray(tensors) ? (tensors as readonly tf.Tensor[]) : [tensors as tf.Tensor];
}

/**
 * The model's topology and weights as tfjs `ModelArtifacts`, without touching any storage.
 * @example
 * ```ts
 * const artifacts = await modelArtifacts(model);
 * const copy = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * ```
 */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return saved!;
}
