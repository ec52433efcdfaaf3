import { join } from 'node:path';
import { TfstreamError, isTfstreamError } from '@tfstream/schema';
import type {
  CheckpointRequest,
  CheckpointResult,
  CreateVariablesRequest,
  CreateVariablesResult,
  JobInfo,
  OptimizerSpec,
  PushGradientsRequest,
  PushGradientsResult,
  TrainingMode,
  VariableSpec,
  WeightsSnapshot,
  tf,
} from '@tfstream/sdk';
import type { Connection } from '../protocol/index.js';
import type { RoleHandle } from '../role/index.js';
import type {
  PsCheckpointResponse,
  PsCreateResponse,
  PsPushResponse,
  PsRequest,
  PsResponse,
  PsWeightsResponse,
} from '../ps/ps-protocol.js';
import { checkpointDir, writeCommittedCheckpoint } from '../ps/checkpoint-file.js';
import {
  PS_CHANNEL,
  RUN_ENV,
  decodeTensors,
  encodeTensors,
  parsePsResponse,
  psMessage,
  restartCause,
  sizeOf,
} from '../ps/ps-protocol.js';
import { readSavedModel, writeSavedModel } from './saved-model.js';

/** Options of {@link ParameterClient}; paths default to the `RUN_ENV` variables. */
export interface ParameterClientOptions {
  /** The run folder: the final checkpoint exports the model to `<runDir>/model/`. */
  readonly runDir?: string;
  /** The model an inference job loads (a folder or its `model.json`); default the run's own. */
  readonly modelPath?: string;
  /** How long to wait for a restarted parameter server; default 60000 ms. */
  readonly reconnectTimeoutMs?: number;
}

interface Answer {
  readonly response: PsResponse;
  readonly body: Uint8Array | undefined;
}

interface ClientModel {
  readonly specs: readonly VariableSpec[];
  /** Variable ids per shard, ascending. */
  readonly shardIds: readonly (readonly number[])[];
  readonly optimizer: OptimizerSpec | undefined;
  readonly training: TrainingMode;
  /** The step of each shard, as it last answered. */
  readonly steps: number[];
  /** The last values this worker saw, by id, to re-seed a server that lost them. */
  values: (Float32Array | undefined)[];
  finished: boolean;
}

/** One worker's link to one parameter server; the connection is replaced when it breaks. */
class ShardLink {
  connection: Connection | undefined;
  connecting: Promise<Connection> | undefined;
  recovering: Promise<void> | undefined;
  /** The attempt of the server process this worker last recovered, or first talked to. */
  attempt: number | undefined;
  /** Set when a new connection reached a restarted process that was not recovered yet. */
  restarted = false;
  seq = 0;
  readonly pending = new Map<
    number,
    { resolve: (a: Answer) => void; reject: (e: unknown) => void }
  >();
}

/** The code of the error a request gets when its parameter server went away. */
const LOST = 'CONNECTION_CLOSED';

/**
 * The worker side of the parameter servers: implements the variable methods of the SDK's
 * `RuntimeBinding` (`createVariables`, `pullWeights`, `pushGradients`, `finishTraining`,
 * `checkpoint`, `loadModel`) by talking to every parameter-server shard over peer connections
 * (`role.connectPeer('ps', i)`), with the request/response protocol of `ps/ps-protocol.ts`.
 * Each shard gets the values and gradients of the variables placed on it (`VariableSpec.shard`).
 *
 * The chief commits each checkpoint once every shard saved it (`CommittedCheckpoint`, in the
 * run folder), the first one right after it created the variables. When a parameter server
 * restarts, it restores the committed checkpoint; each client reconnects to the new process, asks
 * every shard to roll back to that checkpoint too (`restore`, which a shard does once per
 * restart), and answers a push that was lost or dropped with `applied: false` and the servers'
 * restored weights, so every worker goes on from the checkpoint's step with consistent shards. A
 * server that restored nothing (no run folder) is re-seeded with the last values this worker saw.
 *
 * @example
 * ```ts
 * const parameters = new ParameterClient(role, job, { runDir });
 * class WorkerBinding implements RuntimeBinding {
 *   pushGradients = (request) => parameters.pushGradients(request);
 *   // ...
 * }
 * await parameters.close();
 * ```
 */
export class ParameterClient {
  readonly job: JobInfo;
  readonly #role: RoleHandle;
  readonly #options: ParameterClientOptions;
  readonly #links: ShardLink[];
  readonly #models = new Map<string, ClientModel>();
  #closing: Promise<void> | undefined;

  constructor(role: RoleHandle, job: JobInfo, options: ParameterClientOptions = {}) {
    this.#role = role;
    this.job = job;
    const runDir = options.runDir ?? process.env[RUN_ENV.runDir];
    const modelPath = options.modelPath ?? process.env[RUN_ENV.modelPath];
    this.#options = {
      ...options,
      ...(runDir === undefined ? {} : { runDir }),
      ...(modelPath === undefined ? {} : { modelPath }),
    };
    this.#links = Array.from({ length: Math.max(1, job.cluster.ps.length) }, () => new ShardLink());
    if (job.cluster.ps.length === 0) {
      throw new TfstreamError(
        'SESSION_ERROR',
        'the cluster has no parameter server; run the job with "cluster": { "ps": 1 } or more',
      );
    }
  }

  /** See `RuntimeBinding.createVariables`. */
  async createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult> {
    this.#checkOpen();
    const shardIds = this.#links.map((_, shard) =>
      request.variables.filter((spec) => spec.shard === shard).map((spec) => spec.id),
    );
    const model: ClientModel = {
      specs: request.variables,
      shardIds,
      optimizer: request.optimizer,
      training: request.training,
      steps: this.#links.map(() => 0),
      values: request.initial === undefined ? [] : request.initial.map((v) => Float32Array.from(v)),
      finished: false,
    };
    this.#models.set(request.model, model);
    const answers = await Promise.all(
      this.#links.map((_, shard) => this.#create(request.model, model, shard, 0)),
    );
    answers.forEach((answer, shard) => (model.steps[shard] = answer.step));
    const restored = answers.some((a) => a.restored);
    if (request.initial !== undefined && !restored && this.#options.runDir !== undefined) {
      // The first committed checkpoint: a server that restarts before the next one restores it.
      await this.checkpoint({ model: request.model, step: answers[0]!.step });
    }
    return { step: answers[0]!.step, restored };
  }

  /** See `RuntimeBinding.pullWeights`. */
  async pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot> {
    const model = this.#model(request.model);
    await Promise.all(
      this.#links.map(async (_, shard) => {
        const { response, body } = await this.#call(shard, { op: 'pull', model: request.model });
        this.#take(model, shard, response as PsWeightsResponse, body);
      }),
    );
    return this.#snapshot(model);
  }

  /** See `RuntimeBinding.pushGradients`. */
  async pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult> {
    const model = this.#model(request.model);
    if (request.gradients.length !== model.specs.length) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${request.model}": ${request.gradients.length} gradients for ${model.specs.length} variables`,
      );
    }
    const outcomes = await Promise.allSettled(
      this.#links.map(async (_, shard) => {
        const ids = model.shardIds[shard]!;
        const { response, body } = await this.#call(
          shard,
          { op: 'push', model: request.model, step: model.steps[shard]!, ids },
          encodeTensors(ids.map((id) => request.gradients[id]!)),
          false,
        );
        this.#take(model, shard, response as PsPushResponse, body);
        return (response as PsPushResponse).applied;
      }),
    );
    const failure = outcomes.find((o) => o.status === 'rejected');
    if (failure !== undefined && !isTfstreamError(failure.reason, LOST)) {
      throw failure.reason;
    }
    const applied = outcomes.every((o) => o.status === 'fulfilled' && o.value);
    const steps = new Set(model.steps);
    if (!applied || (model.training === 'sync' && steps.size > 1)) {
      // A server restarted mid-step, or some shards dropped the step: go on from what the
      // servers hold now (the committed checkpoint, after a restart).
      const weights = await this.pullWeights(request);
      return { step: weights.step, applied: false, weights };
    }
    const weights = this.#snapshot(model);
    return { step: weights.step, applied, weights };
  }

  /** See `RuntimeBinding.finishTraining`. */
  async finishTraining(request: { readonly model: string }): Promise<void> {
    this.#checkOpen();
    const model = this.#models.get(request.model);
    if (model !== undefined) {
      model.finished = true;
    }
    await Promise.all(
      this.#links.map((_, shard) => this.#call(shard, { op: 'finish', model: request.model })),
    );
  }

  /**
   * See `RuntimeBinding.checkpoint`. Every shard saves its variables, optimizer state and step
   * in the run folder; with `artifacts` (the final checkpoint) the model is also exported to
   * `<runDir>/model/` in the TensorFlow.js format, where {@link loadModel} finds it.
   */
  async checkpoint(request: CheckpointRequest): Promise<CheckpointResult> {
    const model = this.#model(request.model);
    const answers = await Promise.all(
      this.#links.map((_, shard) => this.#call(shard, { op: 'checkpoint', model: request.model })),
    );
    const first = answers[0]!.response as PsCheckpointResponse;
    const runDir = this.#options.runDir;
    if (runDir !== undefined) {
      const steps = answers.map((answer) => (answer.response as PsCheckpointResponse).step);
      if (model.training === 'sync' && new Set(steps).size > 1) {
        // A shard was rolled back meanwhile: these saves are not of one moment.
        void this.#role.log(
          'warn',
          `checkpoint of model "${request.model}" not committed: the shards saved steps ${steps.join(', ')}`,
        );
      } else {
        await writeCommittedCheckpoint(checkpointDir(runDir), { model: request.model, steps });
      }
    }
    if (request.artifacts !== undefined && runDir !== undefined) {
      const location = await writeSavedModel(join(runDir, 'model'), request.artifacts);
      return { step: first.step, location };
    }
    return { step: first.step, location: first.location };
  }

  /**
   * See `RuntimeBinding.loadModel`: the model at `modelPath` (inference jobs), else the one this
   * run exported to `<runDir>/model/`; `undefined` when there is none.
   */
  async loadModel(): Promise<tf.io.ModelArtifacts | undefined> {
    const path =
      this.#options.modelPath ??
      (this.#options.runDir === undefined ? undefined : join(this.#options.runDir, 'model'));
    return path === undefined ? undefined : readSavedModel(path);
  }

  /** Closes the connections to the parameter servers; pending requests reject. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(
        this.#links.map(async (link) => {
          const connection = link.connection ?? (await link.connecting?.catch(() => undefined));
          await connection?.close();
        }),
      );
    })();
    return this.#closing;
  }

  async #create(
    name: string,
    model: ClientModel,
    shard: number,
    step: number,
    direct = false,
  ): Promise<PsCreateResponse> {
    const ids = model.shardIds[shard]!;
    const values = ids.map((id) => model.values[id]);
    const complete = values.every((v): v is Float32Array => v !== undefined);
    const request: PsRequest = {
      op: 'create',
      model: name,
      variables: model.specs,
      values: complete,
      optimizer: model.optimizer ?? null,
      training: model.training,
      step,
    };
    const body = complete ? encodeTensors(values) : undefined;
    const { response } = direct
      ? await this.#request(shard, request, body)
      : await this.#call(shard, request, body);
    return response as PsCreateResponse;
  }

  #take(
    model: ClientModel,
    shard: number,
    response: PsWeightsResponse | PsPushResponse,
    body: Uint8Array | undefined,
  ): void {
    const decoded = decodeTensors(
      body,
      response.ids.map((id) => sizeOf(model.specs[id]!.shape)),
    );
    response.ids.forEach((id, i) => (model.values[id] = decoded[i]!));
    model.steps[shard] = response.step;
  }

  #snapshot(model: ClientModel): WeightsSnapshot {
    const values = model.specs.map((spec) => {
      const value = model.values[spec.id];
      if (value === undefined) {
        throw new TfstreamError(
          'SESSION_ERROR',
          `variable ${spec.id} (${spec.name}) has no value from parameter server ${spec.shard}`,
        );
      }
      return value;
    });
    return { step: model.steps[0]!, values };
  }

  /**
   * One request to one shard. When the shard's process went away, waits for its restarted
   * process, recovers it (re-seed, replay finish) and, if `retry`, sends the request again.
   */
  async #call(shard: number, request: PsRequest, body?: Uint8Array, retry = true): Promise<Answer> {
    for (;;) {
      this.#checkOpen();
      try {
        return await this.#request(shard, request, body);
      } catch (error) {
        if (!isTfstreamError(error, LOST) || this.#closing !== undefined) {
          throw error;
        }
        await this.#recover(shard);
        if (!retry) {
          throw error;
        }
      }
    }
  }

  async #request(shard: number, request: PsRequest, body: Uint8Array | undefined): Promise<Answer> {
    const link = this.#links[shard]!;
    let connection = await this.#connection(shard);
    if (link.restarted && link.recovering === undefined) {
      // The first request to a restarted server, before any request of this worker was lost.
      await this.#recover(shard);
      connection = await this.#connection(shard);
    }
    const seq = ++link.seq;
    const answer = new Promise<Answer>((resolve, reject) => {
      link.pending.set(seq, { resolve, reject });
    });
    // The connection may break while the frame is being sent: then both fail, and the send's
    // error is the one thrown.
    answer.catch(() => {});
    try {
      await connection.send(psMessage(seq, request), body);
    } catch (error) {
      link.pending.delete(seq);
      throw error;
    }
    return answer;
  }

  #connection(shard: number): Promise<Connection> {
    const link = this.#links[shard]!;
    if (link.connection !== undefined && !link.connection.closed) {
      return Promise.resolve(link.connection);
    }
    link.connecting ??= (async () => {
      try {
        const connection = await this.#role.connectPeer('ps', shard, {
          timeoutMs: this.#options.reconnectTimeoutMs ?? 60_000,
        });
        const attempt = connection.peer?.attempt;
        if (link.attempt === undefined) {
          link.attempt = attempt;
        } else if (attempt !== undefined && attempt > link.attempt) {
          link.restarted = true;
        }
        link.connection = connection;
        void this.#read(link, connection);
        return connection;
      } finally {
        link.connecting = undefined;
      }
    })();
    return link.connecting;
  }

  async #read(link: ShardLink, connection: Connection): Promise<void> {
    try {
      for await (const { message, body } of connection) {
        if (message.kind !== 'data' || message.channel !== PS_CHANNEL) {
          continue;
        }
        const waiter = link.pending.get(message.seq);
        link.pending.delete(message.seq);
        const response = parsePsResponse(message);
        if (response.op === 'error') {
          waiter?.reject(new TfstreamError(response.code, response.message));
        } else {
          waiter?.resolve({ response, body });
        }
      }
    } catch {
      // A broken connection ends like a closed one.
    }
    if (link.connection === connection) {
      link.connection = undefined;
    }
    const lost = new TfstreamError(
      LOST,
      `lost the connection to parameter server ${this.#links.indexOf(link)} (${connection.remoteAddress})`,
    );
    for (const waiter of link.pending.values()) {
      waiter.reject(lost);
    }
    link.pending.clear();
  }

  /**
   * Reconnects to a shard. When its process restarted, gives it back what it may have lost (the
   * variables, if it restored none; that this worker finished) and has every shard roll back to
   * the committed checkpoint it restored.
   */
  #recover(shard: number): Promise<void> {
    const link = this.#links[shard]!;
    link.recovering ??= (async () => {
      try {
        const connection = await this.#connection(shard);
        const attempt = connection.peer?.attempt;
        const restarted =
          link.restarted ||
          (attempt !== undefined && link.attempt !== undefined && attempt > link.attempt);
        link.restarted = false;
        link.attempt = attempt ?? link.attempt;
        for (const [name, model] of this.#models) {
          const held = await this.#request(shard, { op: 'pull', model: name }, undefined).then(
            () => true,
            (error: unknown) => {
              if (isTfstreamError(error, 'SESSION_ERROR')) {
                return false;
              }
              throw error;
            },
          );
          if (!held) {
            // It restored no checkpoint: seed it with the last values this worker saw.
            const answer = await this.#create(name, model, shard, model.steps[shard]!, true);
            model.steps[shard] = answer.step;
          } else if (restarted && attempt !== undefined) {
            await this.#rollBack(name, restartCause(shard, attempt));
          }
          if (model.finished) {
            await this.#request(shard, { op: 'finish', model: name }, undefined);
          }
        }
        void this.#role.log(
          'info',
          `reconnected to parameter server ${shard}${restarted ? ` (attempt ${attempt})` : ''}`,
        );
      } finally {
        link.recovering = undefined;
      }
    })();
    return link.recovering;
  }

  /**
   * Asks every shard to roll a model back to its committed checkpoint, for `cause`. A shard that
   * is down itself is skipped: its own restart rolls every shard back again.
   */
  async #rollBack(name: string, cause: string): Promise<void> {
    await Promise.all(
      this.#links.map((_, shard) =>
        this.#request(shard, { op: 'restore', model: name, cause }, undefined).catch(
          (error: unknown) => {
            if (!isTfstreamError(error, LOST)) {
              throw error;
            }
          },
        ),
      ),
    );
  }

  #model(name: string): ClientModel {
    this.#checkOpen();
    const model = this.#models.get(name);
    if (model === undefined) {
      throw new TfstreamError(
        'SESSION_ERROR',
        `model "${name}" has no variables on the parameter servers; create them first (ctx.session(model))`,
      );
    }
    return model;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) {
      throw new TfstreamError('CONNECTION_CLOSED', 'the parameter client is closed');
    }
  }
}
