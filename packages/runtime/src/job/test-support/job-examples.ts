// Job documents shared by the parseJob and JSON Schema tests, so that both validators are held to
// the same examples.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the realistic job fixtures (each has a job.json and the files it names). */
export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The realistic jobs: folder names under {@link FIXTURES_DIR}. */
export const FIXTURE_NAMES = ['penguin-train', 'penguin-inference', 'online-sensors'] as const;

/** A fixture's job.json, parsed. */
export function readFixture(name: (typeof FIXTURE_NAMES)[number]): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name, 'job.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** The smallest train job: everything else is a default. */
export function minimalJob(): Record<string, unknown> {
  return {
    version: 1,
    name: 'minimal',
    mode: 'train',
    input: {
      source: { kind: 'synthetic', generator: 'sensors', count: 100 },
      schema: { fields: [{ name: 'x', type: 'float32' }] },
    },
    model: { source: 'export const answer: number = 42;\n' },
  };
}

/** The smallest inference job. */
export function inferenceJob(): Record<string, unknown> {
  return {
    ...minimalJob(),
    name: 'minimal-inference',
    mode: 'inference',
    output: { schema: 'infer', sink: { kind: 'stdout' } },
    inference: { modelPath: 'models/latest' },
  };
}

/** A copy of `doc` with the value at a dotted path set, or deleted when `value` is undefined. */
export function change(doc: Record<string, unknown>, path: string, value: unknown) {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) {
    delete at[last];
  } else {
    at[last] = value;
  }
  return copy;
}

/** Valid documents beyond the fixtures; `dir` is FIXTURES_DIR when they name files. */
export const VALID_JOBS: ReadonlyArray<{ readonly title: string; readonly doc: unknown }> = [
  { title: 'the minimal train job', doc: minimalJob() },
  { title: 'the minimal inference job', doc: inferenceJob() },
  { title: 'a job with an empty description', doc: change(minimalJob(), 'description', '') },
  {
    title: 'a cluster with its own restart budget and progress timeout',
    doc: change(minimalJob(), 'cluster', { workers: 2, maxRestarts: 0, progressTimeoutMs: 30_000 }),
  },
  {
    title: 'a stream transfer to stdout as CSV',
    doc: {
      ...change(minimalJob(), 'transfer', { mode: 'stream' }),
      output: { schema: 'infer', sink: { kind: 'stdout', format: 'csv' } },
    },
  },
  {
    title: 'a pushed JSON input with an inline field list',
    doc: change(
      change(minimalJob(), 'input', {
        source: { kind: 'push' },
        schema: [{ name: 'id', type: 'int64' }],
        key: 'id',
      }),
      'hyperparameters',
      { 'learning rate': 0.5, layers: 'dense', dropout: false },
    ),
  },
  {
    title: 'a TFRecord input whose name does not tell, with its format given',
    doc: change(minimalJob(), 'input.source', {
      kind: 'file',
      path: 'data/part-00000',
      format: 'tfrecord',
    }),
  },
  {
    title: "a train job with an eval split of the input's schema",
    doc: change(minimalJob(), 'training.eval', {
      source: { kind: 'file', path: 'data/eval.tfrecord.gz' },
    }),
  },
  {
    title: 'a train job evaluated every 5 epochs on a CSV split with a schema of its own',
    doc: change(change(minimalJob(), 'training.epochs', 20), 'training.eval', {
      source: { kind: 'file', path: 'data/holdout.csv' },
      schema: { fields: [{ name: 'x', type: 'float32' }] },
      everyEpochs: 5,
    }),
  },
  {
    title: 'a decimal and a timestamp field',
    doc: change(minimalJob(), 'input.schema', {
      version: 1,
      fields: [
        { name: 'price', type: 'decimal', precision: 10, scale: 2 },
        { name: 'at', type: 'timestamp', unit: 'us', nullable: true },
        { name: 'image', type: 'uint8', shape: [28, 28] },
      ],
    }),
  },
];

/**
 * Invalid documents, the message parseJob gives (with source `job.json`), and whether the
 * JSON Schema can tell too (it cannot read files or look fields up in a schema).
 */
export const INVALID_JOBS: ReadonlyArray<{
  readonly doc: unknown;
  readonly message: string;
  readonly jsonSchemaRejects: boolean;
}> = [
  {
    doc: ['not', 'a', 'job'],
    message: 'JOB_INVALID: job.json: a job document must be a JSON object, got an array',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster.workers', 0),
    message: 'JOB_INVALID: job.json: cluster.workers: must be a whole number from 1 to 64, got 0',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster.workers', 2.5),
    message: 'cluster.workers: must be a whole number from 1 to 64, got 2.5',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'version', undefined),
    message: 'JOB_INVALID: job.json: version: missing; start the document with "version": 1',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'version', 2),
    message: 'version: this tfstream reads job documents of version 1, got 2',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'description', 42),
    message: 'JOB_INVALID: job.json: description: must be a string, got 42',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'name', 'my job!'),
    message: 'name: must be 1 to 64 letters, digits, ".", "_" or "-"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'mode', 'training'),
    message: 'mode: must be "train", "inference" or "online", got "training"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'epochs', 3),
    message: 'JOB_INVALID: job.json: epochs: unknown property; a job has "$schema", "version"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.sourc', { kind: 'push' }),
    message:
      'input.sourc: unknown property (did you mean "source"?); "input" has "source", "schema", "codec", "key"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.source', undefined),
    message: 'JOB_INVALID: job.json: input.source: missing',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.source.kind', 'kafka'),
    message: 'input.source.kind: must be "file", "synthetic" or "push", got "kafka"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.source', { kind: 'file', path: 'data/records.bin' }),
    message:
      'input.source.path: cannot tell the format of "data/records.bin" from its name; name it .csv, .jsonl, .tfrecord[.gz] or .arrow, or set "format"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(
      change(minimalJob(), 'input.source', { kind: 'file', path: 'data.csv' }),
      'input.codec',
      'example',
    ),
    message:
      'input.codec: a record codec applies to TFRecord data and pushed records only; this one is csv: remove "codec"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.source.rate', 0),
    message: 'input.source.rate: must be records per second, more than 0',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.schema', { fields: [{ name: 'x', type: 'float' }] }),
    message: 'JOB_INVALID: job.json: input.schema: field "x": unknown type "float"; use one of',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.schema', {
      fields: [{ name: 'price', type: 'decimal' }],
    }),
    message: 'input.schema: field "price": a decimal field needs "precision"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.schema', 'schema.yaml'),
    message: 'input.schema: a schema file must be a .json schema document or a TFX .pbtxt schema',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'input.schema', 'no-such-schema.json'),
    message: `input.schema: cannot read the schema file "no-such-schema.json"`,
    jsonSchemaRejects: false,
  },
  {
    doc: change(minimalJob(), 'input.schema', {
      fields: [
        { name: 'x', type: 'float32' },
        { name: 'x', type: 'int32' },
      ],
    }),
    message: 'input.schema: field "x": the name is used by more than one field',
    jsonSchemaRejects: false,
  },
  {
    doc: change(minimalJob(), 'input.key', 'id'),
    message: 'input.key: the input schema has no field "id"; its fields are x',
    jsonSchemaRejects: false,
  },
  {
    doc: change(
      change(minimalJob(), 'input.source', { kind: 'file', path: 'images.tfrecord.gz' }),
      'input.codec',
      'raw',
    ),
    message:
      'JOB_INVALID: job.json: input.schema: field "x": the raw codec carries exactly one non-null scalar bytes field',
    jsonSchemaRejects: false,
  },
  {
    doc: change(minimalJob(), 'input', { source: { kind: 'push' }, schema: 'infer' }),
    message: 'input.schema: a push input cannot infer its schema',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'transfer', { mode: 'stream', batchSize: 8 }),
    message:
      'transfer.batchSize: a "stream" transfer sends each record on its own; remove "batchSize", or use "micro-batch"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'transfer', { mode: 'batch', lingerMs: 5 }),
    message: 'transfer.lingerMs: a "batch" transfer reads the whole input before it starts',
    jsonSchemaRejects: true,
  },
  {
    doc: change(change(minimalJob(), 'input.source.count', undefined), 'transfer', {
      mode: 'batch',
    }),
    message:
      'transfer.mode: "batch" reads the whole input first, so it needs a bounded input, but input.source is a synthetic generator without a "count"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'transfer', { batchSize: 8 }),
    message: 'transfer.mode: must be "stream", "micro-batch" or "batch", got nothing',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster', { workers: 4, training: 'async' }),
    message:
      'cluster.training: "async" training needs at least one parameter server to push updates to; set cluster.parameterServers to 1 or more, or use "sync"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster.parameterServers', 17),
    message: 'cluster.parameterServers: must be a whole number from 0 to 16, got 17',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster.maxRestarts', -1),
    message: 'cluster.maxRestarts: must be a whole number from 0 to 100, got -1',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'cluster.progressTimeoutMs', 10),
    message: 'cluster.progressTimeoutMs: must be a whole number from 1000 to 3600000, got 10',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'hyperparameters', { rate: null }),
    message: 'hyperparameters.rate: must be a number, a string or a boolean, got null',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'hyperparameters', { layers: [8, 8] }),
    message: 'hyperparameters.layers: must be a number, a string or a boolean, got an array',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'training.checkpoint', {}),
    message: 'training.checkpoint: give "everySteps", "everySeconds" or both',
    jsonSchemaRejects: true,
  },
  {
    doc: change(change(minimalJob(), 'input.source.count', undefined), 'training.epochs', 3),
    message:
      'training.epochs: more than one epoch needs a bounded input, but input.source is a synthetic generator without a "count"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'training.eval', {
      source: { kind: 'synthetic', generator: 'sensors', count: 10 },
    }),
    message:
      'training.eval.source.kind: an eval split is a record file that the chief reads itself: must be "file", got "synthetic"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'training.eval', { schema: 'infer' }),
    message: 'JOB_INVALID: job.json: training.eval.source: must be an object, got nothing',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'training.eval', {
      source: { kind: 'file', path: 'eval.csv' },
      everyEpochs: 0,
    }),
    message: 'training.eval.everyEpochs: must be a whole number from 1 to 100000, got 0',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'training.eval', {
      source: { kind: 'file', path: 'eval.csv' },
      every: 2,
    }),
    message:
      'training.eval.every: unknown property; "training.eval" has "source", "schema", "everyEpochs"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(
      change(change(minimalJob(), 'mode', 'online'), 'training.eval', {
        source: { kind: 'file', path: 'eval.csv' },
      }),
      'output',
      { schema: 'infer', sink: { kind: 'memory' } },
    ),
    message:
      'training.eval: an online job evaluates each batch before it trains on it (test, then train)',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'model', { source: 'export {}', path: 'model.ts' }),
    message: 'JOB_INVALID: job.json: model: give either "source" or "path", not both',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'model', {}),
    message: 'model: give the TypeScript code as "source", or a .ts file as "path"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'model', { path: 'model.py' }),
    message: 'model.path: must be a TypeScript file (.ts or .mts), got "model.py"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'model.language', 'python'),
    message: 'model.language: must be "typescript", got "python"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'inference', { modelPath: 'models/latest' }),
    message:
      'inference: only an inference job loads a saved model; remove "inference", or set mode to "inference"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(inferenceJob(), 'inference', undefined),
    message: 'JOB_INVALID: job.json: inference: missing; an inference job needs "inference"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(inferenceJob(), 'training', { epochs: 2 }),
    message: 'JOB_INVALID: job.json: training: an inference job does not train; remove "training"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(inferenceJob(), 'cluster.parameterServers', 1),
    message:
      'cluster.parameterServers: an inference job does not train, so it has no parameter servers; set it to 0',
    jsonSchemaRejects: true,
  },
  {
    doc: change(inferenceJob(), 'cluster.training', 'async'),
    message: 'cluster.training: an inference job does not train; remove it',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'mode', 'online'),
    message:
      'output: missing; an online job writes a result per record: add "output": { "schema": "infer", "sink": { "kind": "memory" } } or another sink',
    jsonSchemaRejects: true,
  },
  {
    doc: change(change(change(minimalJob(), 'mode', 'online'), 'training.epochs', 2), 'output', {
      schema: 'infer',
      sink: { kind: 'memory' },
    }),
    message: 'training.epochs: an online job sees each record once (test, then train)',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'output', { schema: 'infer', sink: { kind: 'kafka' } }),
    message: 'output.sink.kind: must be "file", "stdout" or "memory", got "kafka"',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'output', { schema: 'infer', sink: { kind: 'memory', tail: 0 } }),
    message: 'output.sink.tail: must be a whole number from 1 to 1000000, got 0',
    jsonSchemaRejects: true,
  },
  {
    doc: change(minimalJob(), 'output', {
      schema: 'infer',
      sink: { kind: 'stdout' },
      codec: 'example',
    }),
    message: 'output.codec: a record codec applies to TFRecord data and pushed records only',
    jsonSchemaRejects: true,
  },
];
