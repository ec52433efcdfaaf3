import * as tf from '@tensorflow/tfjs';
import { TfstreamError } from '@tfstream/schema';
import type {
  CheckpointRequest,
  CheckpointResult,
  CreateVariablesRequest,
  CreateVariablesResult,
  PushGradientsRequest,
  PushGradientsResult,
  TrainingMode,
  VariableSpec,
  WeightsSnapshot,
} from '../context/runtime-binding.js';

/** A checkpoint a {@link LocalParameterStore} keeps in memory. */
export interface LocalCheckpoint {
  readonly model: string;
  readonly step: number;
  readonly values: readonly Float32Array[];
  readonly artifacts: tf.io.ModelArtifacts | undefined;
  readonly location: string;
}

/** Options of {@link LocalParameterStore}. */
export interface LocalParameterStoreOptions {
  /** Workers that push gradients; sync training averages this many per step. Default 1. */
  readonly workers?: number;
}

interface PendingStep {
  readonly sums: Float32Array[];
  count: number;
  readonly waiters: ((result: PushGradientsResult) => void)[];
  readonly failures: ((error: unknown) => void)[];
}

interface StoredModel {
  readonly specs: readonly VariableSpec[];
  readonly variables: tf.Variable[];
  readonly optimizer: tf.Optimizer;
  readonly training: TrainingMode;
  step: number;
  active: number;
  pending: PendingStep | undefined;
}

let storeCount = 0;

/**
 * The parameter servers of one process: holds each model's variables as tfjs variables, averages
 * the gradients of `workers` workers per step (sync) or applies each push on its own (async), with
 * the optimizer the chief's model was compiled with, and keeps checkpoints in memory. It does in
 * process what the runtime's parameter-server roles do over the network, so `LocalRuntime` and
 * in-process tests train exactly as a cluster does.
 *
 * @example
 * ```ts
 * const parameters = new LocalParameterStore();
 * const runtime = new LocalRuntime({ input: batches, parameters });
 * await runtime.run((ctx) => runModel(definition, ctx));
 * parameters.checkpoints.at(-1)?.step; // the last step trained
 * ```
 */
export class LocalParameterStore {
  /** Checkpoints taken, oldest first. */
  readonly checkpoints: LocalCheckpoint[] = [];
  readonly workers: number;
  private readonly models = new Map<string, StoredModel>();
  private readonly waitingForChief = new Map<string, (() => void)[]>();
  private readonly prefix = `tfstream-local-ps-${++storeCount}`;
  private disposed = false;

  constructor(options: LocalParameterStoreOptions = {}) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`workers must be a whole number >= 1, got ${workers}`);
    }
    this.workers = workers;
  }

  /** See `RuntimeBinding.createVariables`. */
  async createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult> {
    this.checkOpen();
    let stored = this.models.get(request.model);
    if (stored !== undefined) {
      checkSpecs(request.model, stored.specs, request.variables);
      return { step: stored.step, restored: request.initial !== undefined };
    }
    if (request.initial === undefined) {
      // Not the chief: wait until the chief created the variables.
      await new Promise<void>((resolve) => {
        const waiting = this.waitingForChief.get(request.model) ?? [];
        waiting.push(resolve);
        this.waitingForChief.set(request.model, waiting);
      });
      this.checkOpen();
      stored = this.models.get(request.model)!;
      checkSpecs(request.model, stored.specs, request.variables);
      return { step: stored.step, restored: false };
    }
    const initial = request.initial;
    if (initial.length !== request.variables.length) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${request.model}": ${request.variables.length} variables but ${initial.length} initial values`,
      );
    }
    // tidy frees the initial tensors; the variables it makes outlive it.
    const variables = tf.tidy(() =>
      request.variables.map((spec) =>
        tf.variable(
          tf.tensor(Float32Array.from(initial[spec.id]!), [...spec.shape], 'float32'),
          true,
          `${this.prefix}/${request.model}/${spec.id}`,
        ),
      ),
    );
    stored = {
      specs: request.variables,
      variables,
      optimizer: rebuildOptimizer(request),
      training: request.training,
      step: 0,
      active: this.workers,
      pending: undefined,
    };
    this.models.set(request.model, stored);
    for (const resolve of this.waitingForChief.get(request.model) ?? []) {
      resolve();
    }
    this.waitingForChief.delete(request.model);
    return { step: 0, restored: false };
  }

  /** See `RuntimeBinding.pullWeights`. */
  async pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot> {
    const stored = this.get(request.model);
    const values = await Promise.all(
      stored.variables.map(async (v) => Float32Array.from(await v.data())),
    );
    return { step: stored.step, values };
  }

  /** See `RuntimeBinding.pushGradients`. */
  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult> {
    const stored = this.get(request.model);
    checkGradients(request.model, stored.specs, request.gradients);
    if (stored.training === 'async') {
      this.apply(stored, request.gradients, 1);
      return Promise.resolve({ step: stored.step, applied: true });
    }
    if (request.step !== stored.step) {
      return Promise.resolve({ step: stored.step, applied: false });
    }
    stored.pending ??= {
      sums: stored.specs.map((spec) => new Float32Array(size(spec.shape))),
      count: 0,
      waiters: [],
      failures: [],
    };
    const pending = stored.pending;
    request.gradients.forEach((gradient, id) => {
      const sum = pending.sums[id]!;
      for (let i = 0; i < sum.length; i++) {
        sum[i]! += gradient[i]!;
      }
    });
    pending.count++;
    const done = new Promise<PushGradientsResult>((resolve, reject) => {
      pending.waiters.push(resolve);
      pending.failures.push(reject);
    });
    this.maybeApply(stored);
    return done;
  }

  /** See `RuntimeBinding.finishTraining`. */
  async finishTraining(request: { readonly model: string }): Promise<void> {
    const stored = this.models.get(request.model);
    if (stored === undefined) {
      return;
    }
    stored.active = Math.max(0, stored.active - 1);
    this.maybeApply(stored);
  }

  /** See `RuntimeBinding.checkpoint`. */
  async checkpoint(request: CheckpointRequest): Promise<CheckpointResult> {
    const stored = this.get(request.model);
    const { step, values } = await this.pullWeights(request);
    const location = `memory://${request.model}/step-${step}`;
    this.checkpoints.push({
      model: request.model,
      step: stored.step,
      values,
      artifacts: request.artifacts,
      location,
    });
    return { step, location };
  }

  /** The global step of a model's variables, or `undefined` when it has none here. */
  stepOf(model: string): number | undefined {
    return this.models.get(model)?.step;
  }

  /** Frees every variable and optimizer. Idempotent. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const stored of this.models.values()) {
      stored.pending?.failures.forEach((fail) =>
        fail(new TfstreamError('SESSION_ERROR', 'the parameter store was disposed')),
      );
      tf.dispose(stored.variables);
      stored.optimizer.dispose();
    }
    this.models.clear();
  }

  private maybeApply(stored: StoredModel): void {
    const pending = stored.pending;
    if (pending === undefined || pending.count < Math.max(1, stored.active)) {
      return;
    }
    stored.pending = undefined;
    try {
      this.apply(stored, pending.sums, pending.count);
    } catch (error) {
      pending.failures.forEach((fail) => fail(error));
      return;
    }
    const result = { step: stored.step, applied: true };
    pending.waiters.forEach((resolve) => resolve(result));
  }

  /** Applies `sums / count` with the model's optimizer; one more step. */
  private apply(stored: StoredModel, sums: readonly Float32Array[], count: number): void {
    tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      stored.specs.forEach((spec, id) => {
        const sum = tf.tensor(sums[id]!, [...spec.shape], 'float32');
        grads[stored.variables[id]!.name] = count === 1 ? sum : tf.div(sum, count);
      });
      stored.optimizer.applyGradients(grads);
    });
    stored.step++;
  }

  private get(model: string): StoredModel {
    this.checkOpen();
    const stored = this.models.get(model);
    if (stored === undefined) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `the parameter servers hold no model "${model}"; create its variables first (ctx.session(model))`,
      );
    }
    return stored;
  }

  private checkOpen(): void {
    if (this.disposed) {
      throw new TfstreamError('SESSION_ERROR', 'the parameter store was disposed');
    }
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkSpecs(
  model: string,
  held: readonly VariableSpec[],
  asked: readonly VariableSpec[],
): void {
  const same =
    held.length === asked.length &&
    held.every(
      (spec, i) =>
        spec.shape.length === asked[i]!.shape.length &&
        spec.shape.every((d, j) => d === asked[i]!.shape[j]),
    );
  if (!same) {
    const describe = (specs: readonly VariableSpec[]): string =>
      specs.map((s) => `[${s.shape.join(',')}]`).join(' ');
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${model}": the parameter servers hold variables of shapes ${describe(held)} but this model has ${describe(asked)}; was the model changed since the checkpoint?`,
    );
  }
}

function checkGradients(
  model: string,
  specs: readonly VariableSpec[],
  gradients: readonly Float32Array[],
): void {
  if (gradients.length !== specs.length) {
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${model}": ${gradients.length} gradients for ${specs.length} variables`,
    );
  }
  const wrong = specs.find((spec, id) => gradients[id]!.length !== size(spec.shape));
  if (wrong !== undefined) {
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${model}": the gradient of variable ${wrong.id} (${wrong.name}) has ${gradients[wrong.id]!.length} values for shape [${wrong.shape.join(',')}]`,
    );
  }
}

function rebuildOptimizer(request: CreateVariablesRequest): tf.Optimizer {
  const spec = request.optimizer;
  if (spec === undefined) {
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${request.model}": the chief sent no optimizer; compile the model with one`,
    );
  }
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[spec.className];
  if (entry === undefined) {
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${request.model}": the parameter servers cannot rebuild optimizer ${spec.className}; use a built-in tfjs optimizer (sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop)`,
    );
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, spec.config as tf.serialization.ConfigDict) as tf.Optimizer;
}
