import { rename, writeFile, readFile, mkdir } from 'node:fs/promises';
import { TfstreamError } from '@tfstream/schema';
import { tf } from '@tfstream/sdk';
import type { OptimizerSpec, TrainingMode, VariableSpec } from '@tfstream/sdk';
import type { CheckpointTensor, ShardCheckpoint } from './checkpoint-file.js';
import {
  checkpointPath,
  finishedPath,
  listCommittedModels,
  modelCheckpointDir,
  pruneShardCheckpoints,
  readCommittedCheckpoint,
  readShardCheckpoint,
  writeShardCheckpoint,
} from './checkpoint-file.js';
import type { PsRequest, PsResponse } from './ps-protocol.js';
import { decodeTensors, encodeTensors, restartCause, sizeOf } from './ps-protocol.js';

/** Options of a {@link ParameterServer}. */
export interface ParameterServerOptions {
  /** This server's shard index (its `ps` index in the cluster). */
  readonly shard: number;
  /** Workers of the run: sync training averages this many pushes per step, less finished ones. */
  readonly workers: number;
  /**
   * The run's checkpoint folder (`checkpointDir(runDir)`): the shard saves to `ps-<shard>/` in it
   * and restores the committed checkpoints. Without it checkpoints are not kept (memory:// only).
   */
  readonly checkpointDir?: string;
  /**
   * This process's attempt, 1 + its restarts; default 1. A restarted server has restored the
   * committed checkpoints already: the rollback its restart causes is done on this shard.
   */
  readonly attempt?: number;
  /**
   * Sync training: how long a step waits for every active worker's gradients before it is
   * applied with those it has (late ones are then stale: dropped, and their worker pulls).
   * Keeps workers that have unequal numbers of batches left (after a restart lost some) from
   * waiting for each other forever. Default 3000.
   */
  readonly syncTimeoutMs?: number;
  /** Where the server's own log lines go; default none. */
  readonly log?: (level: 'info' | 'warn', message: string) => void;
}

/** A response and its body, as the server sends it back. */
export interface ParameterServerAnswer {
  readonly response: PsResponse;
  readonly body?: Uint8Array;
}

interface PendingStep {
  readonly sums: Float32Array[];
  count: number;
  readonly waiters: {
    resolve: (answer: ParameterServerAnswer) => void;
    reject: (e: unknown) => void;
  }[];
  /** Applies the step with the gradients it has when the others are too late. */
  readonly timer: NodeJS.Timeout;
}

/** Default of `ParameterServerOptions.syncTimeoutMs`. */
const SYNC_TIMEOUT_MS = 3000;

interface ShardModel {
  readonly name: string;
  readonly specs: readonly VariableSpec[];
  /** Ids of the variables this shard holds, ascending; `variables[i]` holds `ids[i]`. */
  readonly ids: readonly number[];
  readonly variables: tf.Variable[];
  readonly optimizer: tf.Optimizer;
  readonly optimizerSpec: OptimizerSpec;
  readonly training: TrainingMode;
  step: number;
  readonly finished: Set<number>;
  /** The last write of `finished`; writes go one after the other so the newest set wins. */
  finishedWrite: Promise<void>;
  pending: PendingStep | undefined;
}

/**
 * One parameter-server shard: holds the variables placed on it (`VariableSpec.shard`), averages
 * the gradients of every active worker per step (sync) or applies each push at once (async) with
 * the optimizer rebuilt from the chief's `{ className, config }`, and saves and restores its
 * checkpoints. The semantics are those of the SDK's `LocalParameterStore`, per shard; the role
 * process (`ps-main.ts`) serves it over the network. It runs no user code.
 *
 * Shards stay consistent across a restart: a restarted server restores the committed checkpoint
 * (the one every shard saved, see `CommittedCheckpoint`), and the workers then ask every other
 * shard to `restore` it too, once per restart, so all hold the values of the same step again.
 *
 * @example
 * ```ts
 * const server = await ParameterServer.restore({ shard: 0, workers: 2, checkpointDir });
 * const { response, body } = await server.handle({ op: 'pull', model: 'model' }, undefined, 0);
 * server.dispose();
 * ```
 */
export class ParameterServer {
  readonly shard: number;
  readonly workers: number;
  readonly checkpointDir: string | undefined;
  readonly #log: (level: 'info' | 'warn', message: string) => void;
  readonly #models = new Map<string, ShardModel>();
  readonly #waitingForChief = new Map<
    string,
    { resolve: () => void; reject: (e: unknown) => void }[]
  >();
  /** Rollbacks by cause and model: each happens once, and later asks wait for it. */
  readonly #rollbacks = new Map<string, Promise<void>>();
  /** Models being rolled back: their requests wait until the restored values are in. */
  readonly #gates = new Map<string, Promise<void>>();
  readonly #syncTimeoutMs: number;
  #disposed = false;

  constructor(options: ParameterServerOptions) {
    this.#syncTimeoutMs = options.syncTimeoutMs ?? SYNC_TIMEOUT_MS;
    this.shard = options.shard;
    this.workers = options.workers;
    this.checkpointDir = options.checkpointDir;
    this.#log = options.log ?? (() => {});
  }

  /**
   * A server with the committed checkpoint of every model loaded (variables, optimizer state,
   * global step, finished workers), as a restarted parameter server starts.
   * @throws `IO_ERROR` when a checkpoint cannot be read; `SESSION_ERROR` when the committed
   *   checkpoint has no step for this shard (the number of parameter servers changed).
   */
  static async restore(options: ParameterServerOptions): Promise<ParameterServer> {
    const server = new ParameterServer(options);
    const dir = options.checkpointDir;
    if (dir === undefined) {
      return server;
    }
    const cause = restartCause(server.shard, options.attempt ?? 1);
    for (const name of await listCommittedModels(dir)) {
      const committed = await readCommittedCheckpoint(dir, name);
      const step = committed?.steps[server.shard];
      if (step === undefined) {
        throw new TfstreamError(
          'SESSION_ERROR',
          `model "${name}": the committed checkpoint has no step for parameter server ${server.shard} (it was saved by ${committed?.steps.length ?? 0}); run with as many parameter servers as it was saved with`,
        );
      }
      const path = checkpointPath(dir, server.shard, name, step);
      await server.#load(await readShardCheckpoint(path), await readFinished(server, name));
      server.#rollbacks.set(rollbackKey(cause, name), Promise.resolve());
      server.#log(
        'info',
        `ps ${server.shard}: restored model "${name}" at step ${step} from ${path}`,
      );
    }
    return server;
  }

  /** The global step of a model on this shard, or `undefined` when it holds none. */
  stepOf(model: string): number | undefined {
    return this.#models.get(model)?.step;
  }

  /**
   * Answers one request of worker `worker`. Rejects with a `TfstreamError` (`SESSION_ERROR` for
   * a model it does not hold or of other shapes, `PROTOCOL_ERROR` for a bad body, `IO_ERROR`
   * for a checkpoint that cannot be written).
   */
  async handle(
    request: PsRequest,
    body: Uint8Array | undefined,
    worker: number,
  ): Promise<ParameterServerAnswer> {
    this.#checkOpen();
    const gate = request.op === 'restore' ? undefined : this.#gates.get(request.model);
    if (gate !== undefined) {
      await gate;
      this.#checkOpen();
    }
    switch (request.op) {
      case 'restore':
        return this.#restore(request.model, request.cause);
      case 'create':
        return this.#create(request, body);
      case 'pull': {
        const model = this.#get(request.model);
        return this.#weights('pull', model, true);
      }
      case 'push':
        return this.#push(this.#get(request.model), request.step, request.ids, body);
      case 'finish':
        return this.#finish(request.model, worker);
      case 'checkpoint':
        return this.#checkpoint(this.#get(request.model));
    }
  }

  /** Frees every variable and optimizer; pending requests reject. Idempotent. */
  dispose(): void {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    const error = new TfstreamError('SESSION_ERROR', `parameter server ${this.shard} stopped`);
    for (const waiters of this.#waitingForChief.values()) {
      waiters.forEach((w) => w.reject(error));
    }
    this.#waitingForChief.clear();
    for (const model of this.#models.values()) {
      clearTimeout(model.pending?.timer);
      model.pending?.waiters.forEach((w) => w.reject(error));
      tf.dispose(model.variables);
      model.optimizer.dispose();
    }
    this.#models.clear();
  }

  async #create(
    request: Extract<PsRequest, { op: 'create' }>,
    body: Uint8Array | undefined,
  ): Promise<ParameterServerAnswer> {
    let model = this.#models.get(request.model);
    if (model === undefined && !request.values) {
      // Not the chief: wait until the chief created the variables.
      await new Promise<void>((resolve, reject) => {
        const waiting = this.#waitingForChief.get(request.model) ?? [];
        waiting.push({ resolve, reject });
        this.#waitingForChief.set(request.model, waiting);
      });
      this.#checkOpen();
      model = this.#models.get(request.model)!;
    }
    if (model !== undefined) {
      checkSpecs(request.model, model.specs, request.variables);
      return { response: { op: 'create', step: model.step, restored: request.values } };
    }
    if (request.optimizer === null) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${request.model}": the chief sent no optimizer; compile the model with one`,
      );
    }
    const held = request.variables.filter((spec) => spec.shard === this.shard);
    const decoded = decodeTensors(
      body,
      held.map((spec) => sizeOf(spec.shape)),
    );
    const values = new Map(held.map((spec, i) => [spec.id, decoded[i]!]));
    this.#install(
      request.model,
      request.variables,
      values,
      request.optimizer,
      request.training,
      request.step,
    );
    for (const waiter of this.#waitingForChief.get(request.model) ?? []) {
      waiter.resolve();
    }
    this.#waitingForChief.delete(request.model);
    return { response: { op: 'create', step: request.step, restored: false } };
  }

  /**
   * Rolls a model back to its committed checkpoint, once per `cause`; a model this shard does not
   * hold, or that is at the committed step already, stays as it is.
   */
  async #restore(name: string, cause: string): Promise<ParameterServerAnswer> {
    const key = rollbackKey(cause, name);
    let rollback = this.#rollbacks.get(key);
    if (rollback === undefined) {
      rollback = this.#rollBack(name, cause);
      this.#rollbacks.set(key, rollback);
      const gate = rollback.catch(() => {});
      this.#gates.set(name, gate);
      void gate.then(() => {
        if (this.#gates.get(name) === gate) {
          this.#gates.delete(name);
        }
      });
    }
    await rollback;
    this.#checkOpen();
    return { response: { op: 'restore', step: this.#models.get(name)?.step ?? 0 } };
  }

  async #rollBack(name: string, cause: string): Promise<void> {
    const dir = this.checkpointDir;
    const held = this.#models.get(name);
    if (dir === undefined || held === undefined) {
      return;
    }
    const step = (await readCommittedCheckpoint(dir, name))?.steps[this.shard];
    if (step === undefined || step === held.step) {
      return;
    }
    const checkpoint = await readShardCheckpoint(checkpointPath(dir, this.shard, name, step));
    const finished = await readFinished(this, name);
    this.#checkOpen();
    // Requests wait at the gate, so nothing touched the model since it was read above.
    const from = held.step;
    this.#models.delete(name);
    tf.dispose(held.variables);
    held.optimizer.dispose();
    const model = await this.#load(checkpoint, [...finished, ...held.finished]);
    // Pushes that waited for the other workers' gradients of a step that is gone.
    const answer = this.#weights('push', model, false);
    clearTimeout(held.pending?.timer);
    held.pending?.waiters.forEach((waiter) => waiter.resolve(answer));
    this.#log(
      'info',
      `ps ${this.shard}: rolled model "${name}" back from step ${from} to the committed checkpoint at step ${step}, as ${cause} restarted from it`,
    );
  }

  /** Installs a model from a shard checkpoint: variables, optimizer state, step, finished workers. */
  async #load(checkpoint: ShardCheckpoint, finished: readonly number[]): Promise<ShardModel> {
    const model = this.#install(
      checkpoint.model,
      checkpoint.variables,
      checkpoint.values,
      checkpoint.optimizer,
      checkpoint.training,
      checkpoint.step,
    );
    for (const worker of [...checkpoint.finished, ...finished]) {
      model.finished.add(worker);
    }
    await model.optimizer.setWeights(
      checkpoint.optimizerState.map((t) => ({
        name: t.name,
        tensor: tf.tensor(t.values, [...t.shape], t.dtype),
      })),
    );
    return model;
  }

  #install(
    name: string,
    specs: readonly VariableSpec[],
    values: ReadonlyMap<number, Float32Array>,
    optimizerSpec: OptimizerSpec,
    training: TrainingMode,
    step: number,
  ): ShardModel {
    const held = specs.filter((spec) => spec.shard === this.shard);
    const optimizer = rebuildOptimizer(name, optimizerSpec);
    // tidy frees the initial tensors; the variables it makes outlive it.
    const variables = tf.tidy(() =>
      held.map((spec) => {
        const value = values.get(spec.id);
        if (value === undefined || value.length !== sizeOf(spec.shape)) {
          throw new TfstreamError(
            'SESSION_ERROR',
            `model "${name}": no or wrongly sized initial values for variable ${spec.id} (${spec.name}) on parameter server ${this.shard}`,
          );
        }
        return tf.variable(
          tf.tensor(value, [...spec.shape], 'float32'),
          true,
          `tfstream-ps-${this.shard}/${name}/${spec.id}`,
        );
      }),
    );
    const model: ShardModel = {
      name,
      specs,
      ids: held.map((spec) => spec.id),
      variables,
      optimizer,
      optimizerSpec,
      training,
      step,
      finished: new Set(),
      finishedWrite: Promise.resolve(),
      pending: undefined,
    };
    this.#models.set(name, model);
    return model;
  }

  #weights(op: 'pull' | 'push', model: ShardModel, applied: boolean): ParameterServerAnswer {
    const values = model.variables.map((v) => v.dataSync() as Float32Array);
    const body = encodeTensors(values);
    const response: PsResponse =
      op === 'pull'
        ? { op, step: model.step, ids: model.ids }
        : { op, step: model.step, applied, ids: model.ids };
    return body === undefined ? { response } : { response, body };
  }

  #push(
    model: ShardModel,
    step: number,
    ids: readonly number[],
    body: Uint8Array | undefined,
  ): Promise<ParameterServerAnswer> {
    if (ids.length !== model.ids.length || ids.some((id, i) => id !== model.ids[i])) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${model.name}": gradients for variables [${ids.join(',')}] sent to parameter server ${this.shard}, which holds [${model.ids.join(',')}]`,
      );
    }
    const gradients = decodeTensors(
      body,
      model.variables.map((v) => v.size),
    );
    if (model.training === 'async') {
      this.#apply(model, gradients, 1);
      return Promise.resolve(this.#weights('push', model, true));
    }
    if (step !== model.step) {
      return Promise.resolve(this.#weights('push', model, false));
    }
    model.pending ??= this.#pendingStep(model);
    const pending = model.pending;
    gradients.forEach((gradient, i) => {
      const sum = pending.sums[i]!;
      for (let j = 0; j < sum.length; j++) {
        sum[j]! += gradient[j]!;
      }
    });
    pending.count++;
    const done = new Promise<ParameterServerAnswer>((resolve, reject) => {
      pending.waiters.push({ resolve, reject });
    });
    this.#maybeApply(model);
    return done;
  }

  async #finish(name: string, worker: number): Promise<ParameterServerAnswer> {
    const model = this.#models.get(name);
    if (model !== undefined && !model.finished.has(worker)) {
      model.finished.add(worker);
      this.#maybeApply(model);
      const dir = this.checkpointDir;
      if (dir !== undefined) {
        // Kept apart from the checkpoint: a restarted server must not wait for a worker that is
        // done, whatever step it restores.
        const path = finishedPath(dir, this.shard, name);
        const folder = modelCheckpointDir(dir, this.shard, name);
        model.finishedWrite = model.finishedWrite
          .catch(() => {})
          .then(() => writeFinished(path, [...model.finished], folder));
        await model.finishedWrite;
      }
    }
    return { response: { op: 'finish' } };
  }

  async #checkpoint(model: ShardModel): Promise<ParameterServerAnswer> {
    // Read everything before the first real await, so that no push is applied in between.
    const state = await model.optimizer.getWeights();
    const step = model.step;
    const values = new Map(
      model.ids.map((id, i) => [id, Float32Array.from(model.variables[i]!.dataSync())]),
    );
    const optimizerState: CheckpointTensor[] = state.map(({ name, tensor }) => ({
      name,
      shape: tensor.shape,
      dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
      values:
        tensor.dtype === 'int32'
          ? Int32Array.from(tensor.dataSync())
          : Float32Array.from(tensor.dataSync()),
    }));
    if (this.checkpointDir === undefined) {
      return {
        response: {
          op: 'checkpoint',
          step,
          location: `memory://ps-${this.shard}/${model.name}/step-${step}`,
        },
      };
    }
    const dir = this.checkpointDir;
    const path = checkpointPath(dir, this.shard, model.name, step);
    await writeShardCheckpoint(path, {
      model: model.name,
      shard: this.shard,
      step,
      training: model.training,
      optimizer: model.optimizerSpec,
      variables: model.specs,
      values,
      optimizerState,
      finished: [...model.finished],
    });
    // Older checkpoints than the committed one cannot be asked for any more.
    const committed = await readCommittedCheckpoint(dir, model.name).catch(() => undefined);
    const kept = committed?.steps[this.shard];
    if (kept !== undefined) {
      await pruneShardCheckpoints(dir, this.shard, model.name, Math.min(kept, step));
    }
    return { response: { op: 'checkpoint', step, location: path } };
  }

  #pendingStep(model: ShardModel): PendingStep {
    const timer = setTimeout(() => {
      const pending = model.pending;
      if (pending === undefined || pending.timer !== timer || this.#disposed) {
        return;
      }
      this.#log(
        'info',
        `ps ${this.shard}: step ${model.step + 1} of model "${model.name}" applied with ${pending.count} worker(s)' gradients after ${this.#syncTimeoutMs} ms; the others were late`,
      );
      this.#maybeApply(model, true);
    }, this.#syncTimeoutMs);
    timer.unref();
    return {
      sums: model.variables.map((v) => new Float32Array(v.size)),
      count: 0,
      waiters: [],
      timer,
    };
  }

  #maybeApply(model: ShardModel, timedOut = false): void {
    const pending = model.pending;
    const active = Math.max(1, this.workers - model.finished.size);
    if (pending === undefined || (pending.count < active && !timedOut)) {
      return;
    }
    clearTimeout(pending.timer);
    model.pending = undefined;
    try {
      this.#apply(model, pending.sums, pending.count);
    } catch (error) {
      pending.waiters.forEach((w) => w.reject(error));
      return;
    }
    const answer = this.#weights('push', model, true);
    pending.waiters.forEach((w) => w.resolve(answer));
  }

  /** Applies `sums / count` with the model's optimizer; one more step. */
  #apply(model: ShardModel, sums: readonly Float32Array[], count: number): void {
    tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      model.variables.forEach((variable, i) => {
        const sum = tf.tensor(sums[i]!, variable.shape, 'float32');
        grads[variable.name] = count === 1 ? sum : tf.div(sum, count);
      });
      if (model.variables.length > 0) {
        model.optimizer.applyGradients(grads);
      }
    });
    model.step++;
  }

  #get(name: string): ShardModel {
    const model = this.#models.get(name);
    if (model === undefined) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `parameter server ${this.shard} holds no model "${name}"; create its variables first (ctx.session(model))`,
      );
    }
    return model;
  }

  #checkOpen(): void {
    if (this.#disposed) {
      throw new TfstreamError('SESSION_ERROR', `parameter server ${this.shard} stopped`);
    }
  }
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
        spec.shard === asked[i]!.shard &&
        spec.shape.length === asked[i]!.shape.length &&
        spec.shape.every((d, j) => d === asked[i]!.shape[j]),
    );
  if (!same) {
    const describe = (specs: readonly VariableSpec[]): string =>
      specs.map((s) => `[${s.shape.join(',')}]@ps${s.shard}`).join(' ');
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${model}": the parameter servers hold variables of shapes ${describe(held)} but this model has ${describe(asked)}; was the model or the number of parameter servers changed since the checkpoint?`,
    );
  }
}

function rebuildOptimizer(model: string, spec: OptimizerSpec): tf.Optimizer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[spec.className];
  if (entry === undefined) {
    throw new TfstreamError(
      'SESSION_ERROR',
      `model "${model}": the parameter servers cannot rebuild optimizer ${spec.className}; use a built-in tfjs optimizer (sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop)`,
    );
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, spec.config as tf.serialization.ConfigDict) as tf.Optimizer;
}

let temporaries = 0;

async function writeFinished(path: string, workers: number[], dir: string): Promise<void> {
  const temp = `${path}.${process.pid}-${++temporaries}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, JSON.stringify(workers.sort((a, b) => a - b)));
    await rename(temp, path);
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `could not record finished workers in ${path}: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
}

function rollbackKey(cause: string, model: string): string {
  return `${cause}\n${model}`;
}

async function readFinished(server: ParameterServer, model: string): Promise<number[]> {
  if (server.checkpointDir === undefined) {
    return [];
  }
  const path = finishedPath(server.checkpointDir, server.shard, model);
  try {
    const workers: unknown = JSON.parse(await readFile(path, 'utf8'));
    return Array.isArray(workers) ? workers.filter((w): w is number => Number.isInteger(w)) : [];
  } catch {
    return [];
  }
}
