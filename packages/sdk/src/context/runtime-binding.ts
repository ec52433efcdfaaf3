import type { io } from '@tensorflow/tfjs';
import type { RecordBatch } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import type { RecordKey } from '../tensors/batch.js';
import type { OutputBatch } from '../tensors/batch-writer.js';

/** The kinds of role a cluster has, named as in a TensorFlow cluster spec. */
export type RoleKind = 'worker' | 'ps';

/**
 * What a job does with its records: `'train'` fits the model, `'inference'` writes a prediction
 * per record with weights saved by an earlier run, `'online'` predicts and writes each batch and
 * then trains on it (test-then-train).
 */
export type JobMode = 'train' | 'inference' | 'online';

/** `'sync'` averages every step's gradients across workers; `'async'` applies each on its own. */
export type TrainingMode = 'sync' | 'async';

/** The value of one hyperparameter. */
export type HyperparameterValue = number | string | boolean;

/** Hyperparameters by name. */
export type Hyperparameters = Readonly<Record<string, HyperparameterValue>>;

/** Where every role listens, `host:port` per index, as in a TensorFlow `ClusterSpec`. */
export interface ClusterSpec {
  readonly worker: readonly string[];
  readonly ps: readonly string[];
}

/** When the chief saves a checkpoint; whichever comes first. */
export interface CheckpointPolicy {
  readonly everySteps?: number;
  readonly everySeconds?: number;
}

/** The eval split of a train job: a held-out input the chief evaluates the model on. */
export interface EvalPolicy {
  /** The schema its batches are decoded with (the input's, unless the job gives another). */
  readonly schema: Schema;
  /** Also evaluate after every that many epochs; only when training ends when absent. */
  readonly everyEpochs?: number;
}

/** Who this process is in the run, and what the run asks of it. Read once per context. */
export interface JobInfo {
  /** The run's id, for logs. */
  readonly runId: string;
  readonly role: RoleKind;
  /** 0-based index among the roles of the same kind; worker 0 is the chief. */
  readonly index: number;
  /** 1 for the first process of a role, +1 on every restart. */
  readonly attempt: number;
  readonly cluster: ClusterSpec;
  readonly mode: JobMode;
  readonly training: TrainingMode;
  /** Overrides of the model's hyperparameter defaults, as the job gives them. */
  readonly hyperparameters: Hyperparameters;
  /** The schema input batches are decoded with; absent for a role that reads nothing. */
  readonly inputSchema: Schema | undefined;
  /** The schema written records are checked against; absent when the job writes nothing. */
  readonly outputSchema: Schema | undefined;
  /** Passes over a bounded input (train and online jobs); the model's own default when absent. */
  readonly epochs?: number;
  /** Records per batch the runtime hands out when model code asks for no batch size. */
  readonly batchSize?: number;
  /** When the chief saves checkpoints; none but the last when absent. */
  readonly checkpoint?: CheckpointPolicy;
  /** The eval split the chief reads ({@link RuntimeBinding.readEvalBatches}); absent: none. */
  readonly eval?: EvalPolicy;
}

/** What `ctx.reader()` asks the runtime for. */
export interface ReadRequest {
  /** Most rows per batch; the runtime's transfer setting decides when absent. */
  readonly batchSize: number | undefined;
  /** 0-based pass over the input. A pass after the first needs a bounded, replayable input. */
  readonly epoch: number;
}

/** A batch of input records and their keys, as the runtime delivers it. */
export interface InputBatch {
  readonly records: RecordBatch;
  /** One per row; rows are keyed by their position in the stream when absent. */
  readonly keys?: readonly RecordKey[];
}

/** One value of a named series (a loss, an accuracy, a throughput) at a step. */
export interface MetricPoint {
  readonly name: string;
  readonly value: number;
  readonly step: number;
  /** `Date.now()` when it was taken. */
  readonly time: number;
}

/** Log levels. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line of model code or of the SDK. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly time: number;
  /** Structured facts, JSON-serializable. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * A compact histogram of a tensor's values at a step, computed in the SDK: `counts[i]` values lie
 * in `[edges[i], edges[i + 1])` (the last bucket includes its upper edge). NaN and ±Infinity are
 * counted apart and left out of every other number.
 */
export interface HistogramSummary {
  readonly kind: 'histogram';
  readonly name: string;
  readonly step: number;
  readonly time: number;
  /** Finite values counted. */
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly sumSquares: number;
  /** `buckets + 1` ascending edges. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  /** NaN and infinite values. */
  readonly nonFinite: number;
}

/** A trainable variable of a model, as the parameter servers hold it. */
export interface VariableSpec {
  /** Position in the model's trainable weights: the index of its values in every payload. */
  readonly id: number;
  /** The tfjs variable name, for messages only (names differ between processes). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  /**
   * The parameter-server shard that holds it, `0 <= shard < max(1, cluster.ps.length)`. The SDK
   * places variables so that every shard holds about the same number of bytes; every worker
   * computes the same placement.
   */
  readonly shard: number;
}

/** A tfjs optimizer as the parameter servers rebuild it (`optimizer.getClassName()/getConfig()`). */
export interface OptimizerSpec {
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Asks the parameter servers to hold a model's variables. */
export interface CreateVariablesRequest {
  /** The model's name within the job (one job may train several models). */
  readonly model: string;
  readonly variables: readonly VariableSpec[];
  /**
   * The chief's freshly initialized values, by variable id. Other workers send none and wait
   * until the chief has created the variables. Values the servers already hold (restored from a
   * checkpoint, or trained earlier in the run) win over these.
   */
  readonly initial: readonly Float32Array[] | undefined;
  /** The optimizer the parameter servers apply averaged gradients with. */
  readonly optimizer: OptimizerSpec | undefined;
  readonly training: TrainingMode;
}

/** The answer to {@link CreateVariablesRequest}. */
export interface CreateVariablesResult {
  /** Global step of the variables: 0 when fresh. */
  readonly step: number;
  /** True when the servers already held values (a checkpoint, an earlier phase of the run). */
  readonly restored: boolean;
}

/** The current values of every variable of a model, by variable id. */
export interface WeightsSnapshot {
  readonly step: number;
  readonly values: readonly Float32Array[];
}

/** One worker's gradients for one step, by variable id. */
export interface PushGradientsRequest {
  readonly model: string;
  /** The global step of the weights the gradients were computed with. */
  readonly step: number;
  readonly gradients: readonly Float32Array[];
}

/** The answer to {@link PushGradientsRequest}. */
export interface PushGradientsResult {
  /**
   * Sync: the step the averaged update made (`request.step + 1`); async: the servers' step when
   * they accepted the gradients.
   */
  readonly step: number;
  /**
   * False when sync servers dropped the gradients because they were computed for an older step
   * (a worker that restarted mid-step); the worker pulls and goes on.
   */
  readonly applied: boolean;
  /** The new weights, when the runtime sends them with the answer to save a pull. */
  readonly weights?: WeightsSnapshot;
}

/** What the chief asks to be saved. */
export interface CheckpointRequest {
  readonly model: string;
  readonly step: number;
  /**
   * The model in tfjs `ModelArtifacts` form (topology, weight specs and data) on the final
   * checkpoint, so that the runtime can export it; absent on periodic checkpoints, where the
   * servers save the values they hold.
   */
  readonly artifacts?: io.ModelArtifacts;
}

/** Where a checkpoint went. */
export interface CheckpointResult {
  readonly step: number;
  /** A path or URL, for the run log. */
  readonly location: string;
}

/**
 * The contract between the SDK and a runtime: everything model code does that leaves the process
 * goes through it. `@tfstream/runtime` implements it over its network protocol in each role
 * process; {@link LocalRuntime} implements it in process for dry runs and tests. Every payload is
 * plain data (numbers, strings, typed arrays, record batches), so that it can cross a socket.
 *
 * Parameter servers: gradients are computed on each worker; the servers average them and apply
 * them with the model's optimizer (so optimizer state lives on the servers). With no parameter
 * server processes the runtime may keep the variables in the coordinator or on the chief; the
 * contract does not change.
 *
 * @example
 * ```ts
 * // In a role process of the runtime, before the model code is loaded:
 * await initEngine();
 * installRuntime(new WorkerBinding(connection)); // a class that implements RuntimeBinding
 * await runModel(definition); // or the model code's own loop over JobContext.getOrCreate()
 * ```
 */
export interface RuntimeBinding {
  /** Who this process is; read once when the job context is created. */
  readonly job: JobInfo;
  /** Batches of one pass over the input, in order; the iteration ends with the input. */
  readBatches(request: ReadRequest): AsyncIterable<InputBatch>;
  /**
   * Batches of one pass over the eval split (`job.eval`), read by this process itself; a runtime
   * whose jobs have no eval split may leave it out.
   */
  readEvalBatches?(request: { readonly batchSize: number | undefined }): AsyncIterable<InputBatch>;
  /** Takes one output batch; resolves when the runtime accepted it (back-pressure). */
  write(output: OutputBatch): Promise<void>;
  /** One metric point for the run's charts; must not block. */
  metric(point: MetricPoint): void;
  /** One line for the run log; must not block. */
  log(entry: LogEntry): void;
  /** One tensor summary (bucket counts already computed) for the studio; must not block. */
  summary(summary: HistogramSummary): void;
  /**
   * Creates a model's variables on the parameter servers (the chief, with initial values) or
   * waits until they exist (other workers). Idempotent: a restarted worker calls it again.
   * Rejects with `SESSION_ERROR` when the servers hold variables of other shapes.
   */
  createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult>;
  /** The current values of every variable of the model. */
  pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot>;
  /**
   * Sends one worker's gradients. Sync training: resolves when the servers applied the average
   * of every worker's gradients for the step. Async: resolves as soon as they were accepted.
   */
  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult>;
  /** This worker pushes no more gradients for the model: sync servers stop waiting for it. */
  finishTraining(request: { readonly model: string }): Promise<void>;
  /** Saves the model's variables (chief only). */
  checkpoint(request: CheckpointRequest): Promise<CheckpointResult>;
  /**
   * The model saved by an earlier run, for inference: tfjs `ModelArtifacts`, or `undefined` when
   * there is none (`runModel` then predicts with freshly initialized weights and logs a warning,
   * which still checks the output's shapes in a dry run).
   */
  loadModel(): Promise<io.ModelArtifacts | undefined>;
}
