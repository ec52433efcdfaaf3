// The job document, version 1: what a run executes and what the studio edits. `parseJob` is the
// one validator; `JOB_JSON_SCHEMA` (job-json-schema.ts) mirrors it for editors.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { FieldJson, Schema, SchemaJson } from '@tfstream/schema';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_LINGER_MS,
  DEFAULT_MEMORY_TAIL,
  JOB_NAME_PATTERN,
  TfstreamError,
  isTfstreamError,
  parseSchema,
  preview,
  schemaFromPbtxt,
  schemaToJson,
} from '@tfstream/schema';
import type { Format, FormatName, RecordCodec, RecordCodecName } from '@tfstream/codecs';
import { csvFormat, exampleCodec, jsonCodec, jsonlFormat, rawCodec } from '@tfstream/codecs';
import { isFormatName, resolveFormatName } from '@tfstream/codecs/node';

/** The version of the job document format this tfstream reads and writes. */
export const JOB_VERSION = 1;

/**
 * What a job does with its records:
 * - `'train'`: fits the model on the input (for `training.epochs` passes over a bounded input);
 * - `'inference'`: loads a saved model and writes a prediction per record;
 * - `'online'`: test-then-train, for each (micro-)batch: predict and write, then train on it.
 */
export type JobMode = 'train' | 'inference' | 'online';

/** All job modes, in the order the studio lists them. */
export const JOB_MODES: readonly JobMode[] = ['train', 'inference', 'online'];

/**
 * How records travel from the input to the workers:
 * - `'stream'`: each record on its own, as soon as it is read;
 * - `'micro-batch'`: up to `batchSize` records, or fewer once `lingerMs` passed since the first;
 * - `'batch'`: a bounded input read whole, then handed out in batches of `batchSize`.
 */
export type TransferMode = 'stream' | 'micro-batch' | 'batch';

/** All transfer modes. */
export const TRANSFER_MODES: readonly TransferMode[] = ['stream', 'micro-batch', 'batch'];

/**
 * How workers combine their updates: `'sync'` averages every step's gradients across workers
 * (all-reduce, or through the parameter servers); `'async'` lets each worker push its gradients
 * to the parameter servers on its own.
 */
export type TrainingMode = 'sync' | 'async';

/** The value of one hyperparameter. */
export type HyperparameterValue = number | string | boolean;

/** Where a schema comes from in a job document: a schema document, a file path, or `'infer'`. */
export type SchemaRefJson = SchemaJson | FieldJson[] | string;

/** A file input: its format is told from the extension (`.csv`, `.jsonl`, `.tfrecord.gz`, …). */
export interface FileSourceJson {
  kind: 'file';
  /** Relative paths are resolved against the job file's folder. */
  path: string;
  /** Overrides the format told from the extension. */
  format?: FormatName;
}

/** Records made up by a named, seeded generator: for demos and benchmarks. */
export interface SyntheticSourceJson {
  kind: 'synthetic';
  /** The generator's name, e.g. `"sensors"`. */
  generator: string;
  /** Records per second; as fast as the job takes them when left out. */
  rate?: number;
  /** Records in all; an endless stream when left out. */
  count?: number;
  /** Seed of the generator's PRNG; default 0, so that runs repeat. */
  seed?: number;
}

/** Records pushed to the run from outside (the studio's `POST /api/runs/:runId/records`). */
export interface PushSourceJson {
  kind: 'push';
}

/** Where the input records come from. */
export type SourceJson = FileSourceJson | SyntheticSourceJson | PushSourceJson;

/** The `input` part of a job document. */
export interface InputJson {
  source: SourceJson;
  /** A schema document, a path to a `schema.json` or TFX `schema.pbtxt`, or `"infer"`. */
  schema: SchemaRefJson;
  /** How a TFRecord payload (or a pushed record) is encoded; default `example` (`json` for push). */
  codec?: RecordCodecName;
  /** The field used as the record key; the record's position in the input when left out. */
  key?: string;
}

/** A file output; format by extension, gzip-compressed when the name ends in `.gz`. */
export interface FileSinkJson {
  kind: 'file';
  path: string;
  format?: FormatName;
}

/** Records written to the run's standard output. */
export interface StdoutSinkJson {
  kind: 'stdout';
  /** Default `jsonl`. */
  format?: FormatName;
}

/** The last `tail` records kept in memory, for the studio's live table. */
export interface MemorySinkJson {
  kind: 'memory';
  /** Default 1000. */
  tail?: number;
}

/** Where the output records go. */
export type SinkJson = FileSinkJson | StdoutSinkJson | MemorySinkJson;

/** The `output` part of a job document. */
export interface OutputJson {
  /** A schema document, a path to a `schema.json` or `schema.pbtxt`, or `"infer"`. */
  schema: SchemaRefJson;
  sink: SinkJson;
  /** For TFRecord output: how each record is encoded; default `example`. */
  codec?: RecordCodecName;
}

/** The `transfer` part of a job document. */
export interface TransferJson {
  mode: TransferMode;
  /** Records per batch, for `micro-batch` and `batch`; default 32. */
  batchSize?: number;
  /** For `micro-batch`: longest wait for a batch to fill, in ms; default 100. */
  lingerMs?: number;
}

/** The `cluster` part of a job document. */
export interface ClusterJson {
  /** Worker processes, 1 to 64; default 1. */
  workers?: number;
  /** Parameter-server processes, 0 to 16; default 0. */
  parameterServers?: number;
  /** Default `sync`. */
  training?: TrainingMode;
  /** Restarts of a failed role before the run fails, 0 to 100; default 3. */
  maxRestarts?: number;
  /**
   * Restart a worker that holds records but has reported nothing (output, acknowledgement,
   * credit, metric) for this long, e.g. model code stuck awaiting something; 1000 to 3 600 000 ms.
   * Default: no limit.
   */
  progressTimeoutMs?: number;
}

/** When to save a checkpoint; whichever comes first. */
export interface CheckpointJson {
  everySteps?: number;
  everySeconds?: number;
}

/**
 * A held-out split that the chief evaluates the model on: when training ends (with the weights it
 * exports) and, with `everyEpochs`, after every that many epochs. It reports `eval_loss` and
 * `eval_<metric>` for each metric the model is compiled with.
 */
export interface EvalJson {
  /** A record file, read by the chief itself; relative paths start at the job file's folder. */
  source: FileSourceJson;
  /** Default: the input's schema (the split has the input's fields). */
  schema?: SchemaRefJson;
  /** Also evaluate after every that many epochs; only at the end when left out. */
  everyEpochs?: number;
}

/** The `training` part of a job document (train and online modes). */
export interface TrainingJson {
  /** Passes over a bounded input; default 1. */
  epochs?: number;
  /** Periodic checkpoints; the model is always saved when the run ends. */
  checkpoint?: CheckpointJson;
  /** Train jobs: a held-out split to evaluate the trained model on. */
  eval?: EvalJson;
}

/** The model code: TypeScript, inline or in a file next to the job. */
export type ModelJson =
  { language?: 'typescript'; source: string } | { language?: 'typescript'; path: string };

/** The `inference` part of a job document. */
export interface InferenceJson {
  /** A model exported by an earlier run, or a TensorFlow.js model folder (with `model.json`). */
  modelPath: string;
}

/** A job document as written in `job.json`: everything that has a default may be left out. */
export interface JobJson {
  /** The JSON Schema that editors validate the document with. */
  $schema?: string;
  version: typeof JOB_VERSION;
  /** 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
  name: string;
  description?: string;
  mode: JobMode;
  input: InputJson;
  /** Required for inference and online jobs. */
  output?: OutputJson;
  /** Default `{ "mode": "micro-batch", "batchSize": 32, "lingerMs": 100 }`. */
  transfer?: TransferJson;
  cluster?: ClusterJson;
  hyperparameters?: Record<string, HyperparameterValue>;
  /** Train and online jobs only. */
  training?: TrainingJson;
  model: ModelJson;
  /** Inference jobs only, and required there. */
  inference?: InferenceJson;
}

/** A path as the document gives it, and resolved against the job file's folder. */
export interface JobPath {
  /** As written in the document (written back by {@link jobToJson}). */
  readonly path: string;
  /** Absolute. */
  readonly resolved: string;
}

/** A schema of a parsed job. `'infer'` schemas are inferred from the data when the run starts. */
export type JobSchema =
  | { readonly kind: 'inline'; readonly schema: Schema }
  | { readonly kind: 'file'; readonly file: JobPath; readonly schema: Schema }
  | { readonly kind: 'infer' };

/** The input source of a parsed job, with every default filled in. */
export type JobSource =
  | { readonly kind: 'file'; readonly file: JobPath; readonly format: FormatName }
  | {
      readonly kind: 'synthetic';
      readonly generator: string;
      readonly rate?: number;
      readonly count?: number;
      readonly seed: number;
    }
  | { readonly kind: 'push' };

/** The input of a parsed job. */
export interface JobInput {
  readonly source: JobSource;
  readonly schema: JobSchema;
  /** Set where it applies (TFRecord files and pushed records), absent elsewhere. */
  readonly codec?: RecordCodecName;
  /** The key field; absent when records are keyed by position. */
  readonly key?: string;
}

/** The sink of a parsed job, with every default filled in. */
export type JobSink =
  | { readonly kind: 'file'; readonly file: JobPath; readonly format: FormatName }
  | { readonly kind: 'stdout'; readonly format: FormatName }
  | { readonly kind: 'memory'; readonly tail: number };

/** The output of a parsed job. */
export interface JobOutput {
  readonly schema: JobSchema;
  readonly sink: JobSink;
  /** Set where it applies (TFRecord output), absent elsewhere. */
  readonly codec?: RecordCodecName;
}

/** The transfer of a parsed job: each mode carries exactly the settings it uses. */
export type JobTransfer =
  | { readonly mode: 'stream' }
  | { readonly mode: 'micro-batch'; readonly batchSize: number; readonly lingerMs: number }
  | { readonly mode: 'batch'; readonly batchSize: number };

/** The cluster of a parsed job. */
export interface JobCluster {
  readonly workers: number;
  readonly parameterServers: number;
  readonly training: TrainingMode;
  /** Absent: the coordinator's default (3). */
  readonly maxRestarts?: number;
  /** Absent: no limit. */
  readonly progressTimeoutMs?: number;
}

/** The eval split of a parsed train job. */
export interface JobEval {
  readonly source: Extract<JobSource, { readonly kind: 'file' }>;
  /** Absent: the input's schema. */
  readonly schema?: JobSchema;
  /** Absent: evaluated once, when training ends. */
  readonly everyEpochs?: number;
}

/** The training settings of a parsed train or online job. */
export interface JobTraining {
  readonly epochs: number;
  /** Absent: the model is saved only when the run ends. */
  readonly checkpoint?: { readonly everySteps?: number; readonly everySeconds?: number };
  /** Train jobs only; absent: no evaluation. */
  readonly eval?: JobEval;
}

/** The model code of a parsed job; a model file has been read. */
export interface JobModel {
  readonly language: 'typescript';
  /** The TypeScript source. */
  readonly source: string;
  /**
   * The name that compile errors and stack traces show, relative to the job's folder:
   * the model file's path, or `model.ts` for inline source.
   */
  readonly fileName: string;
  /** The model file, when the document gives a path instead of inline source. */
  readonly file?: JobPath;
}

/** The parts every parsed job has. */
export interface JobBase {
  readonly $schema?: string;
  readonly version: typeof JOB_VERSION;
  readonly name: string;
  readonly description?: string;
  readonly input: JobInput;
  readonly transfer: JobTransfer;
  readonly cluster: JobCluster;
  readonly hyperparameters: Readonly<Record<string, HyperparameterValue>>;
  readonly model: JobModel;
  /** Absolute folder that the document's relative paths (and the model's imports) resolve against. */
  readonly dir: string;
}

/** A parsed train job. */
export interface TrainJob extends JobBase {
  readonly mode: 'train';
  readonly training: JobTraining;
  readonly output?: JobOutput;
}

/** A parsed inference job. */
export interface InferenceJob extends JobBase {
  readonly mode: 'inference';
  readonly output: JobOutput;
  readonly inference: { readonly modelPath: JobPath };
}

/** A parsed online (test-then-train) job. */
export interface OnlineJob extends JobBase {
  readonly mode: 'online';
  readonly training: JobTraining;
  readonly output: JobOutput;
}

/** A validated job with every default filled in and every path resolved. */
export type Job = TrainJob | InferenceJob | OnlineJob;

/** Options of {@link parseJob}. */
export interface ParseJobOptions {
  /**
   * Folder that relative paths resolve against. Default: the folder of `source` when given,
   * else the current directory.
   */
  readonly dir?: string;
}

/** Limits shared with the JSON Schema, so the two validators agree. */
export const JOB_LIMITS = {
  nameMaxLength: 64,
  workers: [1, 64],
  parameterServers: [0, 16],
  maxRestarts: [0, 100],
  progressTimeoutMs: [1000, 3_600_000],
  batchSize: [1, 1_000_000],
  lingerMs: [0, 60_000],
  tail: [1, 1_000_000],
  epochs: [1, 100_000],
  everySteps: [1, 1_000_000_000],
  everySeconds: [1, 604_800],
  rate: 10_000_000,
  seed: [0, 4_294_967_295],
} as const;

/** The pattern a synthetic generator name follows. */
export const GENERATOR_NAME_PATTERN = '^[a-z][a-z0-9-]*$';

const MODES_TEXT = '"train", "inference" or "online"';
const CODECS: readonly RecordCodecName[] = ['example', 'json', 'raw'];
const FORMATS_TEXT = 'csv, jsonl, tfrecord or arrow';

type Obj = Record<string, unknown>;

/**
 * Validates a job document and returns the job with every default filled in, every relative
 * path resolved against the job file's folder, and its schema and model files read.
 * Input data and the model to load for inference are not touched: the run opens them.
 *
 * @param json - the parsed document
 * @param source - the job file's path or label, for error messages (e.g. `job.json`)
 * @throws TfstreamError `JOB_INVALID` naming the JSON path, e.g.
 *   `JOB_INVALID: job.json: cluster.workers: must be a whole number from 1 to 64, got 0`
 *
 * @example
 * ```ts
 * const job = parseJob(JSON.parse(await readFile('jobs/penguin/job.json', 'utf8')), 'jobs/penguin/job.json');
 * job.input.source; // { kind: 'file', file: { path: 'data.csv', resolved: '/…/jobs/penguin/data.csv' }, format: 'csv' }
 * ```
 */
export function parseJob(json: unknown, source?: string, options: ParseJobOptions = {}): Job {
  const dir = resolve(options.dir ?? (source === undefined ? '.' : dirname(source)));
  return new JobParser(source, dir).job(json);
}

/**
 * Reads and parses a job file; see {@link parseJob}.
 * @throws TfstreamError `IO_ERROR` when the file cannot be read, `JOB_INVALID` for bad JSON
 *   (with its line) or a bad document
 */
export function loadJob(file: string): Job {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `cannot read the job file: ${ioReason(error)}`,
      { file },
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(withoutBom(text));
  } catch (error) {
    throw new TfstreamError(
      'JOB_INVALID',
      jsonSyntaxDetail(text, error),
      { file },
      { cause: error },
    );
  }
  return parseJob(json, file);
}

/**
 * The job as a document: parsing it again gives an equal job. Defaults are written out, so a
 * saved job keeps its meaning if a later tfstream changes a default; paths are written as given.
 */
export function jobToJson(job: Job): JobJson {
  const { input, output, model } = job;
  return {
    ...(job.$schema === undefined ? {} : { $schema: job.$schema }),
    version: JOB_VERSION,
    name: job.name,
    ...(job.description === undefined ? {} : { description: job.description }),
    mode: job.mode,
    input: {
      source: sourceToJson(input.source),
      schema: schemaRefToJson(input.schema),
      ...(input.codec === undefined ? {} : { codec: input.codec }),
      ...(input.key === undefined ? {} : { key: input.key }),
    },
    ...(output === undefined
      ? {}
      : {
          output: {
            schema: schemaRefToJson(output.schema),
            sink: sinkToJson(output.sink),
            ...(output.codec === undefined ? {} : { codec: output.codec }),
          },
        }),
    transfer: { ...job.transfer },
    cluster: { ...job.cluster },
    hyperparameters: { ...job.hyperparameters },
    ...(job.mode === 'inference' ? {} : { training: trainingToJson(job.training) }),
    model:
      model.file === undefined
        ? { language: model.language, source: model.source }
        : { language: model.language, path: model.file.path },
    ...(job.mode === 'inference' ? { inference: { modelPath: job.inference.modelPath.path } } : {}),
  };
}

function trainingToJson({ epochs, checkpoint, eval: split }: JobTraining): TrainingJson {
  return {
    epochs,
    ...(checkpoint === undefined ? {} : { checkpoint: { ...checkpoint } }),
    ...(split === undefined
      ? {}
      : {
          eval: {
            source: { kind: 'file', path: split.source.file.path, format: split.source.format },
            ...(split.schema === undefined ? {} : { schema: schemaRefToJson(split.schema) }),
            ...(split.everyEpochs === undefined ? {} : { everyEpochs: split.everyEpochs }),
          },
        }),
  };
}

function sourceToJson(source: JobSource): SourceJson {
  switch (source.kind) {
    case 'file':
      return { kind: 'file', path: source.file.path, format: source.format };
    case 'synthetic':
      return { ...source };
    case 'push':
      return { kind: 'push' };
  }
}

function sinkToJson(sink: JobSink): SinkJson {
  switch (sink.kind) {
    case 'file':
      return { kind: 'file', path: sink.file.path, format: sink.format };
    case 'stdout':
      return { kind: 'stdout', format: sink.format };
    case 'memory':
      return { kind: 'memory', tail: sink.tail };
  }
}

function schemaRefToJson(ref: JobSchema): SchemaRefJson {
  switch (ref.kind) {
    case 'inline':
      return schemaToJson(ref.schema);
    case 'file':
      return ref.file.path;
    case 'infer':
      return 'infer';
  }
}

/** `a.b[2]["odd key"]`: a JSON path as people read it. */
function child(path: string, key: string | number): string {
  if (typeof key === 'number') {
    return `${path}[${key}]`;
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) {
    return `${path}[${JSON.stringify(key)}]`;
  }
  return path === '' ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' && value !== null ? 'an object' : preview(value);
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ioReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') {
    return 'no such file';
  }
  if (code === 'EISDIR') {
    return 'it is a folder, not a file';
  }
  return error instanceof Error ? error.message : String(error);
}

/** Editors on Windows may start a UTF-8 file with U+FEFF, which JSON.parse refuses. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON.parse's complaint, with a line and column instead of a character position. */
function jsonSyntaxDetail(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  let where = '';
  if (position !== null) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    where = ` at line ${line}, column ${column}`;
  }
  return `not valid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}

/** Edit distance, for "did you mean" on misspelt properties. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  return quoted.length <= 1
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

class JobParser {
  constructor(
    /** The job file's label, for error messages. */
    private readonly label: string | undefined,
    private readonly dir: string,
  ) {}

  private fail(path: string, detail: string, cause?: unknown): never {
    throw new TfstreamError(
      'JOB_INVALID',
      path === '' ? detail : `${path}: ${detail}`,
      this.label === undefined ? {} : { file: this.label },
      cause === undefined ? undefined : { cause },
    );
  }

  job(json: unknown): Job {
    if (!isObject(json)) {
      this.fail('', `a job document must be a JSON object, got ${describe(json)}`);
    }
    this.keys(json, '', [
      '$schema',
      'version',
      'name',
      'description',
      'mode',
      'input',
      'output',
      'transfer',
      'cluster',
      'hyperparameters',
      'training',
      'model',
      'inference',
    ]);
    if (json.version !== JOB_VERSION) {
      this.fail(
        'version',
        json.version === undefined
          ? `missing; start the document with "version": ${JOB_VERSION}`
          : `this tfstream reads job documents of version ${JOB_VERSION}, got ${describe(json.version)}`,
      );
    }
    const $schema = this.optionalString(json, '$schema', '');
    const name = this.string(json, 'name', '');
    if (!new RegExp(JOB_NAME_PATTERN).test(name)) {
      this.fail(
        'name',
        `must be 1 to ${JOB_LIMITS.nameMaxLength} letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. "penguin-train"), got ${describe(name)}`,
      );
    }
    // Free text: empty is as good as absent, and kept as written.
    const description = json.description;
    if (description !== undefined && typeof description !== 'string') {
      this.fail('description', `must be a string, got ${describe(description)}`);
    }
    const mode = json.mode;
    if (mode !== 'train' && mode !== 'inference' && mode !== 'online') {
      this.fail('mode', `must be ${MODES_TEXT}, got ${describe(mode)}`);
    }
    const input = this.input(this.object(json, 'input', ''));
    const output =
      json.output === undefined ? undefined : this.output(this.object(json, 'output', ''));
    const transfer = this.transfer(json.transfer, input.source);
    const cluster = this.cluster(json.cluster, mode);
    const hyperparameters = this.hyperparameters(json.hyperparameters);
    const model = this.model(this.object(json, 'model', ''));
    const base: JobBase = {
      ...($schema === undefined ? {} : { $schema }),
      version: JOB_VERSION,
      name,
      ...(description === undefined ? {} : { description }),
      input,
      transfer,
      cluster,
      hyperparameters,
      model,
      dir: this.dir,
    };

    if (mode === 'inference') {
      if (json.training !== undefined) {
        this.fail('training', 'an inference job does not train; remove "training"');
      }
      if (json.inference === undefined) {
        this.fail(
          'inference',
          'missing; an inference job needs "inference": { "modelPath": "…" }, the folder of a model exported by an earlier run or of a TensorFlow.js model.json',
        );
      }
      const inference = this.object(json, 'inference', '');
      this.keys(inference, 'inference', ['modelPath']);
      const modelPath = this.path(this.string(inference, 'modelPath', 'inference'));
      return {
        ...base,
        mode,
        output: this.requireOutput(output, mode),
        inference: { modelPath },
      };
    }
    if (json.inference !== undefined) {
      this.fail(
        'inference',
        `only an inference job loads a saved model; remove "inference", or set mode to "inference"`,
      );
    }
    const training = this.training(json.training, mode, input.source);
    if (mode === 'online') {
      return { ...base, mode, training, output: this.requireOutput(output, mode) };
    }
    return { ...base, mode, training, ...(output === undefined ? {} : { output }) };
  }

  private requireOutput(output: JobOutput | undefined, mode: JobMode): JobOutput {
    if (output === undefined) {
      this.fail(
        'output',
        `missing; an ${mode} job writes a result per record: add "output": { "schema": "infer", "sink": { "kind": "memory" } } or another sink`,
      );
    }
    return output;
  }

  // --- input and output ---

  private input(input: Obj): JobInput {
    this.keys(input, 'input', ['source', 'schema', 'codec', 'key']);
    const source = this.inputSource(this.object(input, 'source', 'input'));
    const schema = this.schema(input.schema, 'input.schema');
    if (source.kind === 'push' && schema.kind === 'infer') {
      this.fail(
        'input.schema',
        'a push input cannot infer its schema, since no record arrives before the run starts; give a schema document or a schema file',
      );
    }
    const format = source.kind === 'file' ? source.format : undefined;
    const codec = this.codec(input.codec, 'input.codec', format, source.kind === 'push');
    if (schema.kind !== 'infer') {
      this.checkSchemaFits(schema.schema, 'input.schema', format, codec);
    }
    const key = this.optionalString(input, 'key', 'input');
    if (key !== undefined && schema.kind !== 'infer') {
      const field = schema.schema.fields.find((candidate) => candidate.name === key);
      if (field === undefined) {
        this.fail(
          'input.key',
          `the input schema has no field ${JSON.stringify(key)}; its fields are ${schema.schema.fields.map((f) => f.name).join(', ')}`,
        );
      }
      if (field.shape !== 'scalar') {
        this.fail('input.key', `the key field ${JSON.stringify(key)} must be a scalar field`);
      }
    }
    return {
      source,
      schema,
      ...(codec === undefined ? {} : { codec }),
      ...(key === undefined ? {} : { key }),
    };
  }

  private fileSource(source: Obj, path: string): Extract<JobSource, { kind: 'file' }> {
    this.keys(source, path, ['kind', 'path', 'format']);
    const file = this.path(this.string(source, 'path', path));
    return { kind: 'file', file, format: this.format(source, path, file) };
  }

  private inputSource(source: Obj): JobSource {
    const path = 'input.source';
    switch (source.kind) {
      case 'file':
        return this.fileSource(source, path);
      case 'synthetic': {
        this.keys(source, path, ['kind', 'generator', 'rate', 'count', 'seed']);
        const generator = this.string(source, 'generator', path);
        if (!new RegExp(GENERATOR_NAME_PATTERN).test(generator)) {
          this.fail(
            child(path, 'generator'),
            `must be a generator name in lower case letters, digits and "-" (e.g. "sensors"), got ${describe(generator)}`,
          );
        }
        let rate: number | undefined;
        if (source.rate !== undefined) {
          rate = source.rate as number;
          if (typeof rate !== 'number' || !(rate > 0) || rate > JOB_LIMITS.rate) {
            this.fail(
              child(path, 'rate'),
              `must be records per second, more than 0 and at most ${JOB_LIMITS.rate}, got ${describe(source.rate)}; leave it out to go as fast as the job takes records`,
            );
          }
        }
        const count = this.optionalWhole(source, 'count', path, 1, Number.MAX_SAFE_INTEGER);
        const seed = this.optionalWhole(source, 'seed', path, ...JOB_LIMITS.seed) ?? 0;
        return {
          kind: 'synthetic',
          generator,
          ...(rate === undefined ? {} : { rate }),
          ...(count === undefined ? {} : { count }),
          seed,
        };
      }
      case 'push':
        this.keys(source, path, ['kind']);
        return { kind: 'push' };
      default:
        return this.fail(
          child(path, 'kind'),
          `must be "file", "synthetic" or "push", got ${describe(source.kind)}`,
        );
    }
  }

  private output(output: Obj): JobOutput {
    this.keys(output, 'output', ['schema', 'sink', 'codec']);
    const schema = this.schema(output.schema, 'output.schema');
    const sink = this.sink(this.object(output, 'sink', 'output'));
    const format = sink.kind === 'memory' ? undefined : sink.format;
    const codec = this.codec(output.codec, 'output.codec', format, false);
    if (schema.kind !== 'infer') {
      this.checkSchemaFits(schema.schema, 'output.schema', format, codec);
    }
    return { schema, sink, ...(codec === undefined ? {} : { codec }) };
  }

  private sink(sink: Obj): JobSink {
    const path = 'output.sink';
    switch (sink.kind) {
      case 'file': {
        this.keys(sink, path, ['kind', 'path', 'format']);
        const file = this.path(this.string(sink, 'path', path));
        return { kind: 'file', file, format: this.format(sink, path, file) };
      }
      case 'stdout': {
        this.keys(sink, path, ['kind', 'format']);
        const format = sink.format ?? 'jsonl';
        if (typeof format !== 'string' || !isFormatName(format)) {
          this.fail(child(path, 'format'), `must be ${FORMATS_TEXT}, got ${describe(format)}`);
        }
        return { kind: 'stdout', format };
      }
      case 'memory': {
        this.keys(sink, path, ['kind', 'tail']);
        const tail = this.optionalWhole(sink, 'tail', path, ...JOB_LIMITS.tail);
        return { kind: 'memory', tail: tail ?? DEFAULT_MEMORY_TAIL };
      }
      default:
        return this.fail(
          child(path, 'kind'),
          `must be "file", "stdout" or "memory", got ${describe(sink.kind)}`,
        );
    }
  }

  private format(obj: Obj, path: string, file: JobPath): FormatName {
    if (obj.format !== undefined) {
      if (typeof obj.format !== 'string' || !isFormatName(obj.format)) {
        this.fail(child(path, 'format'), `must be ${FORMATS_TEXT}, got ${describe(obj.format)}`);
      }
      return obj.format;
    }
    const told = resolveFormatName(file.path);
    if (told === undefined) {
      this.fail(
        child(path, 'path'),
        `cannot tell the format of ${JSON.stringify(file.path)} from its name; name it .csv, .jsonl, .tfrecord[.gz] or .arrow, or set "format" to ${FORMATS_TEXT}`,
      );
    }
    return told;
  }

  /** The record codec where it applies (TFRecord, push), absent elsewhere. */
  private codec(
    value: unknown,
    path: string,
    format: FormatName | undefined,
    push: boolean,
  ): RecordCodecName | undefined {
    const applies = push || format === 'tfrecord';
    if (value === undefined) {
      return !applies ? undefined : push ? 'json' : 'example';
    }
    if (!applies) {
      this.fail(
        path,
        `a record codec applies to TFRecord data and pushed records only; this one is ${format ?? 'kept in memory'}: remove "codec"`,
      );
    }
    if (typeof value !== 'string' || !(CODECS as readonly string[]).includes(value)) {
      this.fail(path, `must be ${quoteList(CODECS)}, got ${describe(value)}`);
    }
    return value as RecordCodecName;
  }

  /** Rejects, at parse time, a schema the format or codec cannot carry (Arrow: when the run opens it). */
  private checkSchemaFits(
    schema: Schema,
    path: string,
    format: FormatName | undefined,
    codec: RecordCodecName | undefined,
  ): void {
    const checks: (Format | RecordCodec)[] = [];
    if (format === 'csv') {
      checks.push(csvFormat);
    } else if (format === 'jsonl') {
      checks.push(jsonlFormat);
    }
    if (codec !== undefined) {
      checks.push(codec === 'example' ? exampleCodec : codec === 'json' ? jsonCodec : rawCodec);
    }
    for (const check of checks) {
      try {
        check.checkSchema(schema);
      } catch (error) {
        this.rethrow(error, path);
      }
    }
  }

  private rethrow(error: unknown, path: string): never {
    if (isTfstreamError(error) && error.code !== 'JOB_INVALID') {
      this.fail(path, error.message.slice(error.code.length + 2), error);
    }
    throw error;
  }

  // --- schemas ---

  private schema(value: unknown, path: string): JobSchema {
    if (value === undefined) {
      this.fail(
        path,
        'missing; give a schema document ({ "fields": [...] }), a path to a schema.json or schema.pbtxt, or "infer"',
      );
    }
    if (value === 'infer') {
      return { kind: 'infer' };
    }
    if (typeof value === 'string') {
      const file = this.path(value);
      const lower = file.path.toLowerCase();
      if (!lower.endsWith('.json') && !lower.endsWith('.pbtxt')) {
        this.fail(
          path,
          `a schema file must be a .json schema document or a TFX .pbtxt schema, got ${JSON.stringify(file.path)}; write "infer" to infer the schema from the data`,
        );
      }
      const text = this.readText(file, path, 'schema');
      try {
        const schema = lower.endsWith('.pbtxt')
          ? schemaFromPbtxt(text, file.path)
          : parseSchema(this.jsonOf(text, file, path), file.path);
        return { kind: 'file', file, schema };
      } catch (error) {
        this.rethrow(error, path);
      }
    }
    if (typeof value !== 'object' || value === null) {
      this.fail(
        path,
        `must be a schema document, a path to a schema file, or "infer", got ${describe(value)}`,
      );
    }
    try {
      return { kind: 'inline', schema: parseSchema(value) };
    } catch (error) {
      this.rethrow(error, path);
    }
  }

  private jsonOf(text: string, file: JobPath, path: string): unknown {
    try {
      return JSON.parse(withoutBom(text));
    } catch (error) {
      this.fail(path, `${file.path}: ${jsonSyntaxDetail(text, error)}`, error);
    }
  }

  private readText(file: JobPath, path: string, what: string): string {
    try {
      return readFileSync(file.resolved, 'utf8');
    } catch (error) {
      this.fail(
        path,
        `cannot read the ${what} file ${JSON.stringify(file.path)} (${file.resolved}): ${ioReason(error)}; relative paths start at the job file's folder`,
        error,
      );
    }
  }

  // --- run settings ---

  private transfer(value: unknown, source: JobSource): JobTransfer {
    if (value === undefined) {
      return { mode: 'micro-batch', batchSize: DEFAULT_BATCH_SIZE, lingerMs: DEFAULT_LINGER_MS };
    }
    const path = 'transfer';
    const transfer = this.asObject(value, path);
    this.keys(transfer, path, ['mode', 'batchSize', 'lingerMs']);
    const mode = transfer.mode;
    const batchSize = () =>
      this.optionalWhole(transfer, 'batchSize', path, ...JOB_LIMITS.batchSize) ??
      DEFAULT_BATCH_SIZE;
    switch (mode) {
      case 'stream':
        for (const key of ['batchSize', 'lingerMs']) {
          if (transfer[key] !== undefined) {
            this.fail(
              child(path, key),
              `a "stream" transfer sends each record on its own; remove "${key}", or use "micro-batch"`,
            );
          }
        }
        return { mode };
      case 'micro-batch': {
        const size = batchSize();
        const lingerMs =
          this.optionalWhole(transfer, 'lingerMs', path, ...JOB_LIMITS.lingerMs) ??
          DEFAULT_LINGER_MS;
        return { mode, batchSize: size, lingerMs };
      }
      case 'batch': {
        if (transfer.lingerMs !== undefined) {
          this.fail(
            child(path, 'lingerMs'),
            'a "batch" transfer reads the whole input before it starts; remove "lingerMs"',
          );
        }
        if (!isBounded(source)) {
          this.fail(
            child(path, 'mode'),
            `"batch" reads the whole input first, so it needs a bounded input, but input.source is ${unboundedText(source)}; use "micro-batch" or "stream"`,
          );
        }
        return { mode, batchSize: batchSize() };
      }
      default:
        return this.fail(
          child(path, 'mode'),
          `must be "stream", "micro-batch" or "batch", got ${describe(mode)}`,
        );
    }
  }

  private cluster(value: unknown, mode: JobMode): JobCluster {
    const path = 'cluster';
    const cluster = value === undefined ? {} : this.asObject(value, path);
    this.keys(cluster, path, [
      'workers',
      'parameterServers',
      'training',
      'maxRestarts',
      'progressTimeoutMs',
    ]);
    const workers = this.optionalWhole(cluster, 'workers', path, ...JOB_LIMITS.workers) ?? 1;
    const parameterServers =
      this.optionalWhole(cluster, 'parameterServers', path, ...JOB_LIMITS.parameterServers) ?? 0;
    const training = cluster.training ?? 'sync';
    if (training !== 'sync' && training !== 'async') {
      this.fail(child(path, 'training'), `must be "sync" or "async", got ${describe(training)}`);
    }
    if (mode === 'inference') {
      if (parameterServers > 0) {
        this.fail(
          child(path, 'parameterServers'),
          'an inference job does not train, so it has no parameter servers; set it to 0',
        );
      }
      if (training === 'async') {
        this.fail(child(path, 'training'), 'an inference job does not train; remove it');
      }
    } else if (training === 'async' && parameterServers === 0) {
      this.fail(
        child(path, 'training'),
        '"async" training needs at least one parameter server to push updates to; set cluster.parameterServers to 1 or more, or use "sync"',
      );
    }
    const maxRestarts = this.optionalWhole(cluster, 'maxRestarts', path, ...JOB_LIMITS.maxRestarts);
    const progressTimeoutMs = this.optionalWhole(
      cluster,
      'progressTimeoutMs',
      path,
      ...JOB_LIMITS.progressTimeoutMs,
    );
    return {
      workers,
      parameterServers,
      training,
      ...(maxRestarts === undefined ? {} : { maxRestarts }),
      ...(progressTimeoutMs === undefined ? {} : { progressTimeoutMs }),
    };
  }

  private hyperparameters(value: unknown): Record<string, HyperparameterValue> {
    const path = 'hyperparameters';
    if (value === undefined) {
      return {};
    }
    const obj = this.asObject(value, path);
    const out: Record<string, HyperparameterValue> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (key === '') {
        this.fail(path, 'a hyperparameter needs a non-empty name');
      }
      if (
        typeof item !== 'string' &&
        typeof item !== 'boolean' &&
        !(typeof item === 'number' && Number.isFinite(item))
      ) {
        this.fail(
          child(path, key),
          `must be a number, a string or a boolean, got ${describe(item)}`,
        );
      }
      out[key] = item;
    }
    return out;
  }

  private training(value: unknown, mode: 'train' | 'online', source: JobSource): JobTraining {
    const path = 'training';
    const training = value === undefined ? {} : this.asObject(value, path);
    this.keys(training, path, ['epochs', 'checkpoint', 'eval']);
    const epochs = this.optionalWhole(training, 'epochs', path, ...JOB_LIMITS.epochs) ?? 1;
    if (epochs > 1 && mode === 'online') {
      this.fail(
        child(path, 'epochs'),
        'an online job sees each record once (test, then train); remove "epochs" or use mode "train"',
      );
    }
    if (epochs > 1 && !isBounded(source)) {
      this.fail(
        child(path, 'epochs'),
        `more than one epoch needs a bounded input, but input.source is ${unboundedText(source)}`,
      );
    }
    const split = training.eval === undefined ? undefined : this.evalSplit(training.eval, mode);
    const withEval = split === undefined ? {} : { eval: split };
    if (training.checkpoint === undefined) {
      return { epochs, ...withEval };
    }
    const cpPath = child(path, 'checkpoint');
    const cp = this.asObject(training.checkpoint, cpPath);
    this.keys(cp, cpPath, ['everySteps', 'everySeconds']);
    const everySteps = this.optionalWhole(cp, 'everySteps', cpPath, ...JOB_LIMITS.everySteps);
    const everySeconds = this.optionalWhole(cp, 'everySeconds', cpPath, ...JOB_LIMITS.everySeconds);
    if (everySteps === undefined && everySeconds === undefined) {
      this.fail(
        cpPath,
        'give "everySteps", "everySeconds" or both; remove "checkpoint" to save only when the run ends',
      );
    }
    return {
      epochs,
      checkpoint: {
        ...(everySteps === undefined ? {} : { everySteps }),
        ...(everySeconds === undefined ? {} : { everySeconds }),
      },
      ...withEval,
    };
  }

  private evalSplit(value: unknown, mode: 'train' | 'online'): JobEval {
    const path = 'training.eval';
    const split = this.asObject(value, path);
    if (mode === 'online') {
      this.fail(
        path,
        'an online job evaluates each batch before it trains on it (test, then train); remove "eval", or use mode "train"',
      );
    }
    this.keys(split, path, ['source', 'schema', 'everyEpochs']);
    const sourcePath = child(path, 'source');
    const source = this.asObject(split.source, sourcePath);
    if (source.kind !== 'file') {
      this.fail(
        child(sourcePath, 'kind'),
        `an eval split is a record file that the chief reads itself: must be "file", got ${describe(source.kind)}`,
      );
    }
    const file = this.fileSource(source, sourcePath);
    const schema =
      split.schema === undefined ? undefined : this.schema(split.schema, child(path, 'schema'));
    if (schema !== undefined && schema.kind !== 'infer') {
      this.checkSchemaFits(
        schema.schema,
        child(path, 'schema'),
        file.format,
        file.format === 'tfrecord' ? 'example' : undefined,
      );
    }
    const everyEpochs = this.optionalWhole(split, 'everyEpochs', path, ...JOB_LIMITS.epochs);
    return {
      source: file,
      ...(schema === undefined ? {} : { schema }),
      ...(everyEpochs === undefined ? {} : { everyEpochs }),
    };
  }

  private model(model: Obj): JobModel {
    const path = 'model';
    this.keys(model, path, ['language', 'source', 'path']);
    if (model.language !== undefined && model.language !== 'typescript') {
      this.fail(child(path, 'language'), `must be "typescript", got ${describe(model.language)}`);
    }
    const hasSource = model.source !== undefined;
    const hasPath = model.path !== undefined;
    if (hasSource === hasPath) {
      this.fail(
        path,
        hasSource
          ? 'give either "source" or "path", not both'
          : 'give the TypeScript code as "source", or a .ts file as "path"',
      );
    }
    if (hasSource) {
      const source = model.source;
      if (typeof source !== 'string') {
        this.fail(child(path, 'source'), `must be TypeScript source text, got ${describe(source)}`);
      }
      return { language: 'typescript', source, fileName: 'model.ts' };
    }
    const file = this.path(this.string(model, 'path', path));
    if (!/\.m?ts$/i.test(file.path)) {
      this.fail(
        child(path, 'path'),
        `must be a TypeScript file (.ts or .mts), got ${JSON.stringify(file.path)}`,
      );
    }
    const source = this.readText(file, child(path, 'path'), 'model');
    const fileName = relative(this.dir, file.resolved).split(sep).join('/');
    return { language: 'typescript', source, fileName, file };
  }

  // --- primitives ---

  private path(given: string): JobPath {
    return { path: given, resolved: isAbsolute(given) ? given : resolve(this.dir, given) };
  }

  private keys(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const near = allowed.find((candidate) => distance(key, candidate) <= 2);
        const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
        const owner = path === '' ? 'a job' : `"${path}"`;
        this.fail(
          child(path, key),
          `unknown property${hint}; ${owner} has ${allowed.map((k) => `"${k}"`).join(', ')}`,
        );
      }
    }
  }

  private asObject(value: unknown, path: string): Obj {
    if (!isObject(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`);
    }
    return value;
  }

  private object(obj: Obj, key: string, path: string): Obj {
    if (obj[key] === undefined) {
      this.fail(child(path, key), 'missing');
    }
    return this.asObject(obj[key], child(path, key));
  }

  private string(obj: Obj, key: string, path: string): string {
    const value = obj[key];
    if (typeof value !== 'string' || value === '') {
      this.fail(
        child(path, key),
        value === undefined ? 'missing' : `must be a non-empty string, got ${describe(value)}`,
      );
    }
    return value;
  }

  private optionalString(obj: Obj, key: string, path: string): string | undefined {
    return obj[key] === undefined ? undefined : this.string(obj, key, path);
  }

  private optionalWhole(
    obj: Obj,
    key: string,
    path: string,
    min: number,
    max: number,
  ): number | undefined {
    const value = obj[key];
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(
        child(path, key),
        `must be a whole number from ${min} to ${max}, got ${describe(value)}`,
      );
    }
    return value;
  }
}

function isBounded(source: JobSource): boolean {
  return source.kind === 'file' || (source.kind === 'synthetic' && source.count !== undefined);
}

function unboundedText(source: JobSource): string {
  return source.kind === 'push' ? 'push' : 'a synthetic generator without a "count"';
}
