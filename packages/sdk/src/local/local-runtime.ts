import type * as tf from '@tensorflow/tfjs';
import type { RecordBatch } from '@tfstream/codecs';
import { RecordBatchBuilder } from '@tfstream/codecs';
import type { Schema, Value } from '@tfstream/schema';
import { TfstreamError, fieldIndex } from '@tfstream/schema';
import { initEngine } from '../engine/engine.js';
import type { EngineOptions } from '../engine/engine.js';
import { JobContext, installRuntime, uninstallRuntime } from '../context/job-context.js';
import type {
  CheckpointPolicy,
  CheckpointRequest,
  CheckpointResult,
  CreateVariablesRequest,
  CreateVariablesResult,
  HistogramSummary,
  Hyperparameters,
  InputBatch,
  JobInfo,
  JobMode,
  LogEntry,
  MetricPoint,
  PushGradientsRequest,
  PushGradientsResult,
  ReadRequest,
  RuntimeBinding,
  TrainingMode,
  WeightsSnapshot,
} from '../context/runtime-binding.js';
import type { RecordKey } from '../tensors/batch.js';
import type { OutputBatch } from '../tensors/batch-writer.js';
import { LocalParameterStore } from './local-parameter-store.js';

/** Input of a {@link LocalRuntime}: record batches, in a list or as they come. */
export type LocalInput = Iterable<RecordBatch> | AsyncIterable<RecordBatch>;

/** Something that happened in a {@link LocalRuntime}, as the studio streams it. */
export type LocalRuntimeEvent =
  | { readonly kind: 'metric'; readonly metric: MetricPoint }
  | { readonly kind: 'log'; readonly log: LogEntry }
  | { readonly kind: 'summary'; readonly summary: HistogramSummary }
  | { readonly kind: 'output'; readonly output: OutputBatch }
  | { readonly kind: 'checkpoint'; readonly checkpoint: CheckpointResult };

/** Options of {@link LocalRuntime}. Everything has a default but the input, when there is one. */
export interface LocalRuntimeOptions {
  /** The input records. A one-shot async iterable is kept in memory for passes after the first. */
  readonly input?: LocalInput;
  /** The input schema; default: the first input batch's. */
  readonly inputSchema?: Schema;
  /**
   * An eval split (`ctx.evalReader()`, evaluated by `runModel`), read again on every pass: a list,
   * so that it can be.
   */
  readonly evalInput?: readonly RecordBatch[];
  /** The eval split's schema; default: its first batch's. */
  readonly evalSchema?: Schema;
  /** Evaluate after every that many epochs too; default: only when training ends. */
  readonly evalEveryEpochs?: number;
  /** Key each record by this scalar input field; default: its position in the input. */
  readonly keyField?: string;
  /** The output schema, for jobs that write. */
  readonly outputSchema?: Schema;
  /** Default `'train'`. */
  readonly mode?: JobMode;
  /** Default `'sync'`. */
  readonly training?: TrainingMode;
  readonly hyperparameters?: Hyperparameters;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly checkpoint?: CheckpointPolicy;
  /**
   * The parameter servers; default: a store of its own (disposed by {@link LocalRuntime.close}).
   * Share one between runtimes to run several workers in one process, or to keep trained
   * variables from one run for the next.
   */
  readonly parameters?: LocalParameterStore;
  /** This worker's index (default 0) and the number of workers (default 1). */
  readonly index?: number;
  readonly workers?: number;
  /** Default 1. */
  readonly attempt?: number;
  /** What `loadModel()` gives inference: a model saved by an earlier run (`savedModel`). */
  readonly model?: tf.io.ModelArtifacts;
  /** Default `'local'`. */
  readonly runId?: string;
  /** Called for each metric, log line, summary, output batch and checkpoint, as it happens. */
  readonly onEvent?: (event: LocalRuntimeEvent) => void;
}

/** An output row with the key of the input record it answers. */
export interface KeyedRow {
  readonly key: RecordKey | undefined;
  readonly row: Record<string, Value>;
}

/**
 * A runtime for one process and no cluster: input from record batches in memory, output,
 * metrics, logs and summaries collected in arrays, and parameter servers in process
 * ({@link LocalParameterStore}), so that `ctx.session()` trains just as on a cluster. The studio
 * dry-runs model code on sample rows with it before any cluster starts; tests run on it.
 *
 * @example
 * ```ts
 * import { LocalRuntime, runModel } from '@tfstream/sdk';
 *
 * const runtime = new LocalRuntime({ input: [sampleBatch], mode: 'train', epochs: 5 });
 * await runtime.run((ctx) => runModel(definition, ctx));
 * console.log(runtime.metrics.filter((m) => m.name === 'loss'));
 * const inference = new LocalRuntime({
 *   input: [sampleBatch], mode: 'inference', outputSchema, model: runtime.savedModel,
 * });
 * await inference.run((ctx) => runModel(definition, ctx));
 * console.log(inference.outputRows()); // [{ key: 0, row: { ... } }, ...]
 * ```
 */
export class LocalRuntime implements RuntimeBinding {
  readonly job: JobInfo;
  /** Output batches written, in order. */
  readonly outputs: OutputBatch[] = [];
  readonly metrics: MetricPoint[] = [];
  readonly logs: LogEntry[] = [];
  readonly summaries: HistogramSummary[] = [];
  readonly parameters: LocalParameterStore;
  /** The model the chief saved with its final checkpoint, for a following inference run. */
  savedModel: tf.io.ModelArtifacts | undefined;
  private readonly options: LocalRuntimeOptions;
  private readonly ownsParameters: boolean;
  private cached: RecordBatch[] | undefined;
  private closed = false;

  constructor(options: LocalRuntimeOptions = {}) {
    this.options = options;
    const workers = options.workers ?? 1;
    const index = options.index ?? 0;
    if (!Number.isInteger(index) || index < 0 || index >= workers) {
      throw new RangeError(`index must be a whole number below workers (${workers}), got ${index}`);
    }
    const inputSchema =
      options.inputSchema ??
      (Array.isArray(options.input) ? (options.input as RecordBatch[])[0]?.schema : undefined);
    if (options.input !== undefined && inputSchema === undefined) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'give the LocalRuntime an inputSchema: its input is a stream or empty, so no batch tells it',
      );
    }
    const evalSchema = options.evalSchema ?? options.evalInput?.[0]?.schema;
    if (options.evalInput !== undefined && evalSchema === undefined) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'give the LocalRuntime an evalSchema: its eval input is empty, so no batch tells it',
      );
    }
    this.job = {
      runId: options.runId ?? 'local',
      role: 'worker',
      index,
      attempt: options.attempt ?? 1,
      cluster: { worker: Array.from({ length: workers }, (_, i) => `local:${i}`), ps: [] },
      mode: options.mode ?? 'train',
      training: options.training ?? 'sync',
      hyperparameters: options.hyperparameters ?? {},
      inputSchema,
      outputSchema: options.outputSchema,
      ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
      ...(evalSchema === undefined
        ? {}
        : {
            eval: {
              schema: evalSchema,
              ...(options.evalEveryEpochs === undefined
                ? {}
                : { everyEpochs: options.evalEveryEpochs }),
            },
          }),
    };
    this.ownsParameters = options.parameters === undefined;
    this.parameters = options.parameters ?? new LocalParameterStore({ workers });
  }

  /**
   * Runs model code against this runtime: starts the engine, installs the runtime, calls `fn`
   * with the job context, and closes the context and uninstalls the runtime however `fn` ends.
   */
  async run<T>(fn: (ctx: JobContext) => T | Promise<T>, engine?: EngineOptions): Promise<T> {
    this.checkOpen();
    await initEngine(engine);
    installRuntime(this);
    try {
      return await fn(JobContext.getOrCreate());
    } finally {
      await uninstallRuntime(this);
    }
  }

  /** Every output row with the key of its input record, in order. */
  outputRows(): KeyedRow[] {
    const rows: KeyedRow[] = [];
    for (const output of this.outputs) {
      output.records.toObjects().forEach((row, i) => rows.push({ key: output.keys?.[i], row }));
    }
    return rows;
  }

  /** The values of one metric, in order. */
  metricValues(name: string): number[] {
    return this.metrics.filter((m) => m.name === name).map((m) => m.value);
  }

  async *readBatches(request: ReadRequest): AsyncIterable<InputBatch> {
    this.checkOpen();
    const keyField = this.options.keyField;
    let position = 0;
    for await (const records of rebatch(this.source(request.epoch), request.batchSize)) {
      this.checkOpen();
      const keys = keyField === undefined ? undefined : keysOf(records, keyField, position);
      position += records.numRows;
      yield keys === undefined ? { records } : { records, keys };
    }
  }

  async *readEvalBatches(request: {
    readonly batchSize: number | undefined;
  }): AsyncIterable<InputBatch> {
    this.checkOpen();
    for await (const records of rebatch(this.options.evalInput ?? [], request.batchSize)) {
      this.checkOpen();
      yield { records };
    }
  }

  async write(output: OutputBatch): Promise<void> {
    this.checkOpen();
    this.outputs.push(output);
    this.options.onEvent?.({ kind: 'output', output });
  }

  metric(point: MetricPoint): void {
    this.metrics.push(point);
    this.options.onEvent?.({ kind: 'metric', metric: point });
  }

  log(entry: LogEntry): void {
    this.logs.push(entry);
    this.options.onEvent?.({ kind: 'log', log: entry });
  }

  summary(summary: HistogramSummary): void {
    this.summaries.push(summary);
    this.options.onEvent?.({ kind: 'summary', summary });
  }

  createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult> {
    return this.parameters.createVariables(request);
  }

  pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot> {
    return this.parameters.pullWeights(request);
  }

  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult> {
    return this.parameters.pushGradients(request);
  }

  finishTraining(request: { readonly model: string }): Promise<void> {
    return this.parameters.finishTraining(request);
  }

  async checkpoint(request: CheckpointRequest): Promise<CheckpointResult> {
    const result = await this.parameters.checkpoint(request);
    if (request.artifacts !== undefined) {
      this.savedModel = request.artifacts;
    }
    this.options.onEvent?.({ kind: 'checkpoint', checkpoint: result });
    return result;
  }

  async loadModel(): Promise<tf.io.ModelArtifacts | undefined> {
    return this.options.model;
  }

  /** Frees the parameter store it made (not a shared one). Idempotent. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.ownsParameters) {
      this.parameters.dispose();
    }
  }

  private source(epoch: number): LocalInput {
    const input = this.options.input;
    if (input === undefined) {
      return [];
    }
    if (Array.isArray(input)) {
      return input as RecordBatch[];
    }
    if (epoch === 0 || this.cached === undefined) {
      // A one-shot iterable: keep what passes by for the next epochs.
      const cached: RecordBatch[] = [];
      this.cached = cached;
      return (async function* () {
        for await (const batch of input) {
          cached.push(batch);
          yield batch;
        }
      })();
    }
    return this.cached;
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new TfstreamError('CONTEXT_ERROR', 'the local runtime is closed');
    }
  }
}

/**
 * Cuts batches larger than `batchSize` into batches of `batchSize` rows (the last may be
 * smaller), copying their rows; smaller batches pass as they are.
 */
async function* rebatch(
  source: LocalInput,
  batchSize: number | undefined,
): AsyncGenerator<RecordBatch> {
  for await (const batch of source) {
    if (batchSize === undefined || batch.numRows <= batchSize) {
      yield batch;
      continue;
    }
    let builder = new RecordBatchBuilder(batch.schema, batchSize);
    for (const row of batch.rows()) {
      builder.appendRow(row.toObject());
      if (builder.length === batchSize) {
        yield builder.finish();
        builder = new RecordBatchBuilder(batch.schema, batchSize);
      }
    }
    if (builder.length > 0) {
      yield builder.finish();
    }
  }
}

function keysOf(records: RecordBatch, field: string, position: number): RecordKey[] {
  if (fieldIndex(records.schema, field) < 0) {
    throw new TfstreamError('CONTEXT_ERROR', `the key field "${field}" is not an input field`);
  }
  const keys: RecordKey[] = [];
  for (let row = 0; row < records.numRows; row++) {
    const value = records.get(row, field);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
      keys.push(value);
    } else {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `record ${position + row + 1}: the key field "${field}" holds no string or number`,
        { field },
      );
    }
  }
  return keys;
}
