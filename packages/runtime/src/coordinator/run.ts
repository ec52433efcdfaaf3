import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { RecordBatch } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import { schemaToJson } from '@tfstream/schema';
import type { Job } from '../job/index.js';
import { compileModel } from '../job/index.js';
import type { BatchKeys } from '../protocol/record-channels.js';
import type { WorkerSpec } from '../protocol/worker-spec.js';
import { WORKER_SPEC_ENV } from '../protocol/worker-spec.js';
import type { CoordinatorOptions } from './coordinator.js';
import { Coordinator } from './coordinator.js';
import type { RolePool } from './role-pool.js';
import { openEvalSplit } from './eval-split.js';
import { ProgressWatchdog } from './progress-watchdog.js';
import type { LogEvent, MetricEvent, RoleEvent, StateEvent, TerminalRunState } from './events.js';
import type { FeedProgress } from './feed/feed.js';
import { Feed } from './feed/feed.js';
import type { LatencySummary } from './feed/latency.js';
import type { PushSource } from './feed/push-source.js';
import { openRecordSource } from './feed/record-source.js';
import type { KeyedOutputRow, RecordSink } from './sink/record-sink.js';
import {
  DedupeSink,
  FileSink,
  MemorySink,
  StdoutSink,
  keyField,
  keyedRows,
} from './sink/record-sink.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The worker role entry next to this module (`.ts` from source, `.js` when built). */
function defaultWorkerEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return resolve(here, `../worker/worker-main.${ext}`);
}

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** The run folder: compiled model, worker spec, checkpoints, the exported model. Created. */
  readonly runDir: string;
  /**
   * The role entry (default `worker/worker-main` of this package). It serves parameter servers
   * too: it branches on the role.
   */
  readonly workerEntry?: string;
  /** Node options of role processes, e.g. `['--conditions=source', '--import', 'tsx']`. */
  readonly execArgv?: readonly string[];
  /** Working directory of role processes. */
  readonly cwd?: string;
  /** Input batches each worker may hold unread (its credit window); default 4. */
  readonly window?: number;
  /** Where a `stdout` sink writes; default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream;
  /** The input of a job whose source is `push`: records arrive through it (required for those). */
  readonly push?: PushSource;
  /**
   * Emit `output` events for the rows of every sink, not only of a `memory` sink (the studio
   * shows the rows of a file sink live while the file is written).
   */
  readonly emitOutput?: boolean;
  /**
   * Kill (and restart) a worker that holds records but has sent no output, acknowledgement,
   * credit or metric for this long: model code stuck awaiting something. Default: the job's
   * `cluster.progressTimeoutMs`, else no limit.
   */
  readonly progressTimeoutMs?: number;
  /**
   * Role processes started ahead with TensorFlow.js loaded, taken for the run's first roles
   * (see {@link RolePool}); the caller disposes it once the run has started.
   */
  readonly rolePool?: RolePool;
  /** Coordinator settings (heartbeats, restarts, timeouts). */
  readonly coordinator?: Pick<
    CoordinatorOptions,
    | 'heartbeatMs'
    | 'heartbeatTimeoutMs'
    | 'maxRestarts'
    | 'startTimeoutMs'
    | 'shutdownTimeoutMs'
    | 'restartDelayMs'
    | 'memoryLimitMb'
  >;
}

/** Progress of a run: records read and done, and what is in flight. */
export interface RunProgress extends FeedProgress {
  readonly type: 'progress';
  readonly at: number;
}

/**
 * Output rows kept by a `memory` sink (or by any sink with `emitOutput`), as they arrive: one
 * event per output batch. `rows` is made when first read, so a listener that only counts pays
 * nothing per row.
 */
export interface OutputEvent {
  readonly type: 'output';
  /** How many rows. */
  readonly count: number;
  readonly rows: readonly KeyedOutputRow[];
  readonly at: number;
}

function outputEvent(records: RecordBatch, keys: BatchKeys): OutputEvent {
  let rows: readonly KeyedOutputRow[] | undefined;
  return {
    type: 'output',
    count: records.numRows,
    get rows() {
      rows ??= keyedRows(records, keys);
      return rows;
    },
    at: Date.now(),
  };
}

/** A tensor summary a worker sent. */
export interface SummaryEvent {
  readonly type: 'summary';
  readonly index: number;
  readonly summary: unknown;
  readonly at: number;
}

/** Everything a {@link Run} reports. */
export type RunEvent =
  StateEvent | RoleEvent | LogEvent | MetricEvent | RunProgress | OutputEvent | SummaryEvent;

/** How a run ended. */
export interface RunOutcome {
  readonly state: TerminalRunState;
  /** Records read from the input (first deliveries). */
  readonly recordsIn: number;
  /** Records done: output written or acknowledged. */
  readonly recordsOut: number;
  /** Distinct output rows the sink kept, and duplicates it dropped. */
  readonly rowsWritten: number;
  readonly duplicatesDropped: number;
  /** The most records in flight at once. */
  readonly maxInFlight: number;
  readonly durationMs: number;
  /** The last value of every metric. */
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * Time from a batch leaving the feed to its output arriving at the coordinator, per output
   * message (per record in `stream` transfer); absent when nothing was answered.
   */
  readonly latencyMs?: LatencySummary;
  readonly reason?: string;
}

/**
 * A running job: the coordinator with its workers (and parameter servers), the feed and the sink.
 * Subscribe with {@link Run.on}; {@link Run.result} resolves when it ended.
 */
export class Run {
  /** Resolves with how the run ended; never rejects. */
  readonly result: Promise<RunOutcome>;
  readonly coordinator: Coordinator;
  readonly feed: Feed;
  readonly #subscribers = new Set<(event: RunEvent) => void>();
  readonly #memory: MemorySink | undefined;
  #disposing: Promise<void> | undefined;

  /** @internal Use {@link startRun}. */
  constructor(
    coordinator: Coordinator,
    feed: Feed,
    sink: DedupeSink,
    memory: MemorySink | undefined,
    started: number,
  ) {
    this.coordinator = coordinator;
    this.feed = feed;
    this.#memory = memory;
    const metrics: Record<string, number> = {};
    coordinator.on((event) => {
      switch (event.type) {
        case 'state':
        case 'role':
        case 'log':
          this.#emit(event);
          break;
        case 'metric':
          metrics[event.name] = event.value;
          this.#emit(event);
          break;
        case 'cluster':
        case 'data':
        case 'refused':
          break;
      }
    });
    this.result = (async () => {
      let failure: Error | undefined;
      const fed = feed.done.then(
        () => undefined,
        async (error: Error) => {
          failure = error;
          await coordinator.cancel(`the feed failed: ${error.message}`);
        },
      );
      const ended = await coordinator.result;
      feed.stop();
      await fed;
      let sinkError: Error | undefined;
      await sink.close().catch((error: Error) => (sinkError = error));
      const progress = feed.progress;
      const latency = feed.latency;
      const problem = failure ?? sinkError;
      const state: TerminalRunState = problem !== undefined ? 'failed' : ended.state;
      return {
        state,
        recordsIn: progress.recordsIn,
        recordsOut: progress.recordsOut,
        rowsWritten: sink.written,
        duplicatesDropped: sink.dropped,
        maxInFlight: progress.maxInFlight,
        durationMs: Date.now() - started,
        metrics,
        ...(latency === undefined ? {} : { latencyMs: latency }),
        reason: problem === undefined ? ended.reason : problem.message,
      };
    })();
  }

  /** Calls `listener` with every event from now on; returns a function that unsubscribes. */
  on(listener: (event: RunEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** The last rows of a `memory` sink (empty for other sinks). */
  tail(): readonly KeyedOutputRow[] {
    return this.#memory?.rows() ?? [];
  }

  /** Stops the run: kills every role, ends `cancelled`. */
  async cancel(reason = 'cancelled on request'): Promise<RunOutcome> {
    await this.coordinator.cancel(reason);
    return this.result;
  }

  /** Cancels the run if it is going and waits for it to end. Idempotent. */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      await this.coordinator.dispose();
      await this.result;
      this.#subscribers.clear();
    })();
    return this.#disposing;
  }

  /** @internal */
  emit(event: RunEvent): void {
    this.#emit(event);
  }

  #emit(event: RunEvent): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        process.emitWarning(`a Run event listener threw: ${String(error)}`);
      }
    }
  }
}

function sinkOf(
  job: Job,
  schema: Schema | undefined,
  inputSchema: Schema,
  stdout: NodeJS.WritableStream | undefined,
): RecordSink | undefined {
  const sink = job.output?.sink;
  if (sink === undefined) {
    return undefined;
  }
  // Every row written out says which input record it answers (unless the model writes the key).
  const key = keyField(job.input.key, inputSchema);
  switch (sink.kind) {
    case 'file':
      return new FileSink(sink.file.resolved, schema, sink.format, { key });
    case 'stdout':
      return new StdoutSink(stdout, { key });
    case 'memory':
      return new MemorySink(sink.tail);
  }
}

const NO_SINK: RecordSink = { write: () => Promise.resolve(), close: () => Promise.resolve() };

/**
 * Starts a job: compiles the model into the run folder, opens the input, starts the coordinator
 * with one worker process per `cluster.workers` (and the parameter servers), feeds the records
 * and collects the outputs into the sink, each input key once. The run finishes when a bounded
 * input has been consumed and every output (or acknowledgement) is in.
 *
 * @throws `COMPILE_ERROR` when the model does not compile; `JOB_INVALID` or codec errors when the
 *   input cannot be opened. Failures after the start end the run `failed` (see `result`).
 *
 * @example
 * ```ts
 * const run = await startRun(await loadJob('job.json'), { runDir: '.tfstream/runs/1' });
 * run.on((event) => event.type === 'log' && console.log(event.line));
 * const outcome = await run.result; // { state: 'finished', recordsIn: 344, recordsOut: 344, ... }
 * ```
 */
export async function startRun(job: Job, options: StartRunOptions): Promise<Run> {
  const started = Date.now();
  const runDir = resolve(options.runDir);
  await mkdir(runDir, { recursive: true });
  const compiled = await compileModel(job.model.source, {
    fileName: job.model.fileName,
    dir: job.dir,
  });
  const compiledPath = join(runDir, 'compiled-model.json');
  await writeFile(compiledPath, JSON.stringify(compiled));
  // Written here once, so that workers starting together find the module and never race to write it.
  await writeFile(join(runDir, `${compiled.outputFile}.map`), JSON.stringify(compiled.map));
  await writeFile(join(runDir, compiled.outputFile), compiled.code);
  const source =
    job.input.source.kind === 'push' && options.push !== undefined
      ? options.push
      : await openRecordSource(job);
  const evalSplit = await openEvalSplit(job, source.schema);
  const outputSchema =
    job.output === undefined || job.output.schema.kind === 'infer'
      ? undefined
      : job.output.schema.schema;
  const transfer = job.transfer;
  const spec: WorkerSpec = {
    runId: job.name,
    mode: job.mode,
    training: job.cluster.training,
    hyperparameters: job.hyperparameters,
    inputSchema: schemaToJson(source.schema),
    ...(outputSchema === undefined ? {} : { outputSchema: schemaToJson(outputSchema) }),
    ...(job.mode === 'inference' ? {} : { epochs: job.training.epochs }),
    ...(job.mode !== 'inference' && job.training.checkpoint !== undefined
      ? { checkpoint: job.training.checkpoint }
      : {}),
    ...(evalSplit === undefined ? {} : { eval: evalSplit }),
    compiledModel: compiledPath,
    runDir,
    window: options.window ?? 4,
  };
  const specPath = join(runDir, 'worker-spec.json');
  await writeFile(specPath, JSON.stringify(spec));
  const memory =
    job.output?.sink.kind === 'memory'
      ? (sinkOf(job, outputSchema, source.schema, undefined) as MemorySink)
      : undefined;
  const inner = memory ?? sinkOf(job, outputSchema, source.schema, options.stdout) ?? NO_SINK;
  // Output events carry the rows each write kept, made only if a listener reads them.
  const sink = new DedupeSink(
    inner,
    memory !== undefined || options.emitOutput === true
      ? { onWrite: (records, keys) => ref.run?.emit(outputEvent(records, keys)) }
      : {},
  );
  if (job.output?.sink.kind === 'file') {
    await mkdir(dirname(job.output.sink.file.resolved), { recursive: true });
  }
  const entry = options.workerEntry ?? defaultWorkerEntry();
  if (!existsSync(entry)) {
    throw new Error(
      `the worker entry ${entry} does not exist; build @tfstream/runtime or pass workerEntry`,
    );
  }
  const coordinator = new Coordinator({
    ...(job.cluster.maxRestarts === undefined ? {} : { maxRestarts: job.cluster.maxRestarts }),
    ...options.coordinator,
    workers: job.cluster.workers,
    parameterServers: job.cluster.parameterServers,
    entry,
    ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.rolePool === undefined ? {} : { rolePool: options.rolePool }),
    env: {
      TFSTREAM_RUN_DIR: runDir,
      [WORKER_SPEC_ENV]: specPath,
      ...(job.mode === 'inference'
        ? { TFSTREAM_MODEL_PATH: job.inference.modelPath.resolved }
        : {}),
    },
  });
  // The feed reports through the run, which needs the feed first.
  const ref: { run?: Run } = {};
  const feed = new Feed(coordinator, {
    source,
    transfer,
    mode: job.mode,
    workers: job.cluster.workers,
    lockstep:
      job.mode !== 'inference' && job.cluster.training === 'sync' && job.cluster.workers > 1,
    ...(job.mode === 'inference' ? {} : { epochs: job.training.epochs }),
    ...(job.input.key === undefined ? {} : { keyField: job.input.key }),
    ...(outputSchema === undefined ? {} : { outputSchema }),
    onOutput: (records, keys) => sink.write(records, keys),
    onDuplicates: (rows) => sink.skip(rows),
    onProgress: (progress) => ref.run?.emit({ type: 'progress', ...progress, at: Date.now() }),
    onSummary: (index, summary) =>
      ref.run?.emit({ type: 'summary', index, summary, at: Date.now() }),
  });
  const run = new Run(coordinator, feed, sink, memory, started);
  ref.run = run;
  const progressTimeoutMs = options.progressTimeoutMs ?? job.cluster.progressTimeoutMs;
  if (progressTimeoutMs !== undefined) {
    const watchdog = new ProgressWatchdog(coordinator, feed.ledger, progressTimeoutMs);
    void coordinator.result.then(() => watchdog.dispose());
  }
  feed.start();
  coordinator.start().catch(() => {
    // A cluster that cannot form ends the run failed; `result` says why.
  });
  return run;
}
