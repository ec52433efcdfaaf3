import * as tf from '@tensorflow/tfjs';
import type { Schema } from '@tfstream/schema';
import { TfstreamError, preview } from '@tfstream/schema';
import type { RecordKey } from '../tensors/batch.js';
import { Batch } from '../tensors/batch.js';
import { BatchWriter } from '../tensors/batch-writer.js';
import { DEFAULT_BUCKETS, histogram } from './histogram.js';
import type {
  ClusterSpec,
  HistogramSummary,
  HyperparameterValue,
  Hyperparameters,
  InputBatch,
  JobMode,
  LogLevel,
  RoleKind,
  RuntimeBinding,
  TrainingMode,
} from './runtime-binding.js';
import type { SessionOptions } from './session.js';
import { ParameterSession } from './session.js';

let installed: RuntimeBinding | undefined;
let context: JobContext | undefined;

/**
 * Installs the runtime that job contexts talk to; the runtime calls it in each role process
 * before it loads model code, and `LocalRuntime.run` does it for a dry run. Installing the same
 * binding again does nothing.
 * @throws TfstreamError `CONTEXT_ERROR` when another runtime is installed
 * @example
 * ```ts
 * installRuntime(binding);
 * await import(userModule); // model code calls JobContext.getOrCreate()
 * ```
 */
export function installRuntime(binding: RuntimeBinding): void {
  if (installed === binding) {
    return;
  }
  if (installed !== undefined) {
    throw new TfstreamError(
      'CONTEXT_ERROR',
      `a runtime is already installed in this process (run ${installed.job.runId}); a process runs one job: uninstall it first`,
    );
  }
  installed = binding;
}

/**
 * Uninstalls a runtime and closes its job context, so that another can be installed (the
 * studio's dry runs, one after another). Does nothing when `binding` is not installed.
 * @example
 * ```ts
 * installRuntime(runtime);
 * try { await run(JobContext.getOrCreate()); } finally { await uninstallRuntime(runtime); }
 * ```
 */
export async function uninstallRuntime(binding: RuntimeBinding): Promise<void> {
  if (installed !== binding) {
    return;
  }
  const closing = context;
  context = undefined;
  installed = undefined;
  await closing?.close();
}

/** Options of `ctx.reader()`. */
export interface ReaderOptions {
  /** Most rows per batch; the job's transfer setting decides when absent. */
  readonly batchSize?: number;
  /** 0-based pass over the input; passes after the first need a bounded input. Default 0. */
  readonly epoch?: number;
}

/** Options of `ctx.metric()`. */
export interface MetricOptions {
  /** The step (x axis); one more than the last step of this metric when absent. */
  readonly step?: number;
}

/** Options of `ctx.summary.histogram()`. */
export interface HistogramOptions {
  readonly step?: number;
  /** Equal-width buckets between min and max; default 30. */
  readonly buckets?: number;
}

/**
 * `ctx.log`: log lines that go to the run log (and the studio), with optional structured fields.
 * @example
 * ```ts
 * ctx.log.info('loaded the vocabulary', { words: vocabulary.size });
 * ```
 */
export interface JobLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * `ctx.summary`: tensor summaries that the studio plots.
 * @example
 * ```ts
 * ctx.summary.histogram('dense/kernel', model.getWeights()[0]!, { step });
 * ```
 */
export interface JobSummaries {
  /**
   * Counts a tensor's (or array's) values into buckets here and sends the compact histogram to
   * the runtime; returns it too. Reads the values synchronously (`dataSync`).
   */
  histogram(
    name: string,
    values: tf.Tensor | ArrayLike<number>,
    options?: HistogramOptions,
  ): HistogramSummary;
}

/**
 * What model code knows of its run: who it is in the cluster, its hyperparameters, its input and
 * output, and its parameter servers. One per process: {@link JobContext.getOrCreate} makes it
 * over the runtime the process was started with, then returns the same one.
 *
 * @typeParam H - the hyperparameters the job may set
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { JobContext } from '@tfstream/sdk';
 *
 * const ctx = JobContext.getOrCreate<{ learningRate: number }>();
 * const hp = ctx.hyperparametersWith({ learningRate: 0.01 });
 * ctx.log.info(`worker ${ctx.index} of ${ctx.cluster.worker.length}, attempt ${ctx.attempt}`);
 * const model = buildModel();
 * model.compile({ optimizer: tf.train.adam(hp.learningRate), loss: 'binaryCrossentropy' });
 * const session = await ctx.session(model);
 * for await (const batch of ctx.reader({ batchSize: 64 })) {
 *   const xs = batch.tensor('features');
 *   const ys = batch.tensor('label').reshape([-1, 1]).toFloat();
 *   const { loss, step } = await session.trainStep(xs, ys);
 *   ctx.metric('loss', loss, { step });
 *   tf.dispose([xs, ys]);
 * }
 * await session.close();
 * ```
 */
export class JobContext<H extends Hyperparameters = Hyperparameters> {
  /** The run's id. */
  readonly runId: string;
  readonly role: RoleKind;
  /** 0-based index among roles of the same kind. */
  readonly index: number;
  /** 1 for the first process of this role, +1 on every restart. */
  readonly attempt: number;
  /** Where every role listens: `cluster.worker.length` workers, `cluster.ps.length` servers. */
  readonly cluster: ClusterSpec;
  /** Worker 0: creates the variables and saves checkpoints. */
  readonly isChief: boolean;
  readonly mode: JobMode;
  readonly training: TrainingMode;
  /** The hyperparameters the job sets (see {@link hyperparametersWith} for defaults). */
  readonly hyperparameters: Readonly<Partial<H>>;
  readonly inputSchema: Schema | undefined;
  readonly outputSchema: Schema | undefined;
  /** The schema of the eval split, when the job has one (see {@link evalReader}). */
  readonly evalSchema: Schema | undefined;
  /** Passes over the input the job asks for, when it does. */
  readonly epochs: number | undefined;
  /** Log lines for the run log. */
  readonly log: JobLogger;
  /** Tensor summaries for the studio. */
  readonly summary: JobSummaries;
  /** The runtime this context talks to. */
  readonly binding: RuntimeBinding;
  private closed = false;
  private cachedWriter: BatchWriter | undefined;
  private readonly sessions = new Set<ParameterSession>();
  private readonly metricSteps = new Map<string, number>();

  private constructor(binding: RuntimeBinding) {
    const job = binding.job;
    this.binding = binding;
    this.runId = job.runId;
    this.role = job.role;
    this.index = job.index;
    this.attempt = job.attempt;
    this.cluster = job.cluster;
    this.isChief = job.role === 'worker' && job.index === 0;
    this.mode = job.mode;
    this.training = job.training;
    this.hyperparameters = job.hyperparameters as Readonly<Partial<H>>;
    this.inputSchema = job.inputSchema;
    this.outputSchema = job.outputSchema;
    this.evalSchema = job.eval?.schema;
    this.epochs = job.epochs;
    const log =
      (level: LogLevel) =>
      (message: string, fields?: Readonly<Record<string, unknown>>): void => {
        this.checkOpen();
        binding.log({
          level,
          message,
          time: Date.now(),
          ...(fields === undefined ? {} : { fields }),
        });
      };
    this.log = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    this.summary = {
      histogram: (name, values, options = {}) => {
        this.checkOpen();
        const data =
          values instanceof tf.Tensor ? (values.dataSync() as ArrayLike<number>) : values;
        const summary: HistogramSummary = {
          kind: 'histogram',
          name,
          step: this.stepOf(`histogram:${name}`, options.step),
          time: Date.now(),
          ...histogram(data, options.buckets ?? DEFAULT_BUCKETS),
        };
        binding.summary(summary);
        return summary;
      },
    };
  }

  /**
   * The job context of this process, made on first use over the installed runtime.
   * @throws TfstreamError `CONTEXT_ERROR` when no runtime is installed (the code runs outside
   * `tfstream run` and outside a `LocalRuntime` dry run)
   * @example
   * ```ts
   * const ctx = JobContext.getOrCreate<{ epochs: number }>();
   * if (ctx.isChief) ctx.log.info('I save the checkpoints');
   * ```
   */
  static getOrCreate<H extends Hyperparameters = Hyperparameters>(): JobContext<H> {
    if (installed === undefined) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'no runtime is installed: run the job with `tfstream run` (or the studio), or dry-run it with new LocalRuntime({ ... }).run(fn)',
      );
    }
    if (context === undefined || context.binding !== installed) {
      context = new JobContext(installed);
    }
    return context as unknown as JobContext<H>;
  }

  /**
   * The given defaults with the job's hyperparameters over them, each checked against the
   * default's type (a numeric string is taken for a number, `"true"`/`"false"` for a boolean).
   * @throws TfstreamError `HYPERPARAMETER_INVALID` naming the hyperparameter
   * @example
   * ```ts
   * const hp = ctx.hyperparametersWith({ learningRate: 0.01, hidden: 16 });
   * hp.learningRate; // number: the job's value, or 0.01
   * ```
   */
  hyperparametersWith<D extends Hyperparameters>(defaults: D): D {
    return resolveHyperparameters(defaults, this.binding.job.hyperparameters);
  }

  /**
   * The input as batches, decoded by the input schema. Each iteration reads one pass
   * (`epoch`) over the input; a batch holds at most `batchSize` rows, and never none.
   * @throws TfstreamError `CONTEXT_ERROR` when the job has no input
   * @example
   * ```ts
   * for await (const batch of ctx.reader({ batchSize: 32 })) {
   *   const x = batch.tensor('x');
   * }
   * ```
   */
  reader(options: ReaderOptions = {}): AsyncIterable<Batch> {
    this.checkOpen();
    if (this.inputSchema === undefined) {
      throw new TfstreamError('CONTEXT_ERROR', `the ${this.role} role of this job reads no input`);
    }
    const batchSize = options.batchSize ?? this.binding.job.batchSize;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `batchSize must be a whole number >= 1, got ${preview(batchSize)}`,
      );
    }
    const epoch = options.epoch ?? 0;
    return this.batches(() => this.binding.readBatches({ batchSize, epoch }));
  }

  /**
   * One pass over the job's eval split (`training.eval`), in batches decoded by its schema: a
   * held-out input this process reads itself, for evaluating the model. `runModel` evaluates on
   * it in the chief; custom training code may do the same.
   * @throws TfstreamError `CONTEXT_ERROR` when the job has no eval split
   * @example
   * ```ts
   * if (ctx.isChief && ctx.evalSchema !== undefined) {
   *   for await (const batch of ctx.evalReader({ batchSize: 256 })) {
   *     const accuracy = evaluate(model, batch);
   *   }
   * }
   * ```
   */
  evalReader(options: Pick<ReaderOptions, 'batchSize'> = {}): AsyncIterable<Batch> {
    this.checkOpen();
    const read = this.binding.readEvalBatches?.bind(this.binding);
    if (this.evalSchema === undefined || read === undefined) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'this job has no eval split: give it "training": { "eval": { "source": { "kind": "file", "path": "…" } } }',
      );
    }
    const batchSize = options.batchSize;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `batchSize must be a whole number >= 1, got ${preview(batchSize)}`,
      );
    }
    return this.batches(() => read({ batchSize }));
  }

  /** Batches of model code from a runtime's input batches: empty ones skipped, keys filled. */
  private batches(read: () => AsyncIterable<InputBatch>): AsyncIterable<Batch> {
    const checkOpen = (): void => this.checkOpen();
    return {
      async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
        let position = 0;
        for await (const input of read()) {
          checkOpen();
          const rows = input.records.numRows;
          if (rows === 0) {
            // An empty micro-batch (a linger timeout with no records) is nothing to model code.
            continue;
          }
          const keys: readonly RecordKey[] =
            input.keys ?? Array.from({ length: rows }, (_, i) => position + i);
          position += rows;
          yield new Batch(input.records, keys, tf);
        }
      },
    };
  }

  /**
   * The writer of the job's output: rows or tensors per field, checked against the output schema.
   * @throws TfstreamError `CONTEXT_ERROR` when the job has no output
   * @example
   * ```ts
   * await ctx.writer().write({ score: predictions }, { keys: batch.keys });
   * ```
   */
  writer(): BatchWriter {
    this.checkOpen();
    if (this.outputSchema === undefined) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'this job writes no output: give it an output schema to write records',
      );
    }
    this.cachedWriter ??= new BatchWriter(this.outputSchema, async (output) => {
      this.checkOpen();
      await this.binding.write(output);
    });
    return this.cachedWriter;
  }

  /**
   * Records one value of a named series at a step, for the studio's charts.
   * @example
   * ```ts
   * ctx.metric('loss', 0.42, { step: 17 });
   * ```
   */
  metric(name: string, value: number, options: MetricOptions = {}): void {
    this.checkOpen();
    if (typeof value !== 'number') {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `metric "${name}": expected a number, got ${preview(value)}`,
      );
    }
    const step = this.stepOf(name, options.step);
    this.binding.metric({ name, value, step, time: Date.now() });
  }

  /**
   * A parameter session for a compiled model: its trainable variables placed on the parameter
   * servers, gradients pushed and weights pulled at each `trainStep`, checkpoints by the chief.
   * @throws TfstreamError `SESSION_ERROR` when the model is not compiled
   * @example
   * ```ts
   * const session = await ctx.session(model, { name: 'classifier' });
   * const { loss, metrics } = await session.trainStep(xs, ys);
   * ```
   */
  async session(model: tf.LayersModel, options: SessionOptions = {}): Promise<ParameterSession> {
    this.checkOpen();
    const session = await ParameterSession.create(this.binding, model, options);
    this.checkOpen();
    this.sessions.add(session);
    return session;
  }

  /** Whether the context was closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the context; later calls on it are `CONTEXT_ERROR`s. Sessions still open are aborted
   * (no final checkpoint: close a session to save the model). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    const sessions = [...this.sessions];
    this.sessions.clear();
    try {
      await Promise.all(sessions.map((session) => session.abort()));
    } finally {
      this.closed = true;
      if (context === (this as unknown)) {
        context = undefined;
      }
    }
  }

  /** The given step, or one more than the series' last; remembered as the series' last. */
  private stepOf(series: string, given: number | undefined): number {
    const last = this.metricSteps.get(series);
    const step = given ?? (last === undefined ? 0 : last + 1);
    this.metricSteps.set(series, step);
    return step;
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        'the job context is closed (its run ended); get the current one with JobContext.getOrCreate()',
      );
    }
  }
}

/**
 * Fills hyperparameter defaults with a job's values, checking each against its default's type:
 * a number takes a number or a numeric string, a boolean a boolean or `"true"`/`"false"`, a
 * string a string. A name the defaults lack is an error, so that a typo does not pass unseen.
 * @throws TfstreamError `HYPERPARAMETER_INVALID` naming the hyperparameter
 * @example
 * ```ts
 * resolveHyperparameters({ lr: 0.01, layers: 2 }, { lr: '0.1' }); // { lr: 0.1, layers: 2 }
 * ```
 */
export function resolveHyperparameters<D extends Hyperparameters>(
  defaults: D,
  given: Hyperparameters,
): D {
  const out: Record<string, HyperparameterValue> = { ...defaults };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(defaults, name)) {
      throw new TfstreamError(
        'HYPERPARAMETER_INVALID',
        `hyperparameter "${name}" is not one of the model's: ${Object.keys(defaults).join(', ') || '(none)'}`,
      );
    }
    out[name] = coerce(name, defaults[name]!, value);
  }
  return out as D;
}

function coerce(
  name: string,
  fallback: HyperparameterValue,
  value: HyperparameterValue,
): HyperparameterValue {
  const kind = typeof fallback;
  if (typeof value === kind) {
    return value;
  }
  if (kind === 'number' && typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    if (!Number.isNaN(number)) {
      return number;
    }
  }
  if (kind === 'boolean' && (value === 'true' || value === 'false')) {
    return value === 'true';
  }
  throw new TfstreamError(
    'HYPERPARAMETER_INVALID',
    `hyperparameter "${name}": expected a ${kind} like its default ${JSON.stringify(fallback)}, got ${preview(value)}`,
  );
}
