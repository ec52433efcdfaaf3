// JSON Schema (draft 2020-12) of the job document, for the studio's editor: validation,
// hovers and completion. It mirrors parseJob, which stays the one authority: checks that need the
// file system (schema and model files), a field name in a schema, or unique field names are
// parseJob's alone.
import type { FormatName, RecordCodecName } from '@tfstream/codecs';
import {
  DATA_TYPES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_LINGER_MS,
  DEFAULT_MEMORY_TAIL,
  JOB_NAME_PATTERN,
  MAX_TENSOR_ELEMENTS,
  TIME_UNITS,
} from '@tfstream/schema';
import {
  GENERATOR_NAME_PATTERN,
  JOB_LIMITS,
  JOB_MODES,
  JOB_VERSION,
  TRANSFER_MODES,
} from './job-document.js';

/** A JSON Schema document, as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

const FORMATS: readonly FormatName[] = ['csv', 'jsonl', 'tfrecord', 'arrow'];
const CODECS: readonly RecordCodecName[] = ['example', 'json', 'raw'];

/** The file name endings the codecs tell a format from (`@tfstream/codecs/node`'s registry). */
const FORMAT_EXTENSIONS = [
  'tfrecords',
  'tfrecord',
  'jsonl',
  'ndjson',
  'json',
  'csv',
  'arrows',
  'arrow',
  'ipc',
];

/** `csv` → `[cC][sS][vV]`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(word: string): string {
  return [...word].map((ch) => (/[a-z]/.test(ch) ? `[${ch}${ch.toUpperCase()}]` : ch)).join('');
}

function endingPattern(extensions: readonly string[]): string {
  return `\\.(?:${extensions.map(anyCase).join('|')})(?:\\.${anyCase('gz')})?$`;
}

const KNOWN_EXTENSION = endingPattern(FORMAT_EXTENSIONS);
const TFRECORD_EXTENSION = endingPattern(['tfrecords', 'tfrecord']);

const kind = (value: string) => ({ properties: { kind: { const: value } }, required: ['kind'] });

const whole = (range: readonly [number, number], description: string, fallback?: number) => ({
  type: 'integer',
  minimum: range[0],
  maximum: range[1],
  description,
  ...(fallback === undefined ? {} : { default: fallback }),
});

const field: JsonSchema = {
  type: 'object',
  description: 'One named, typed field of a record.',
  required: ['name', 'type'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    type: { enum: DATA_TYPES },
    shape: {
      description:
        '"scalar" (default), "list" (any length), or a fixed tensor shape such as [28, 28].',
      default: 'scalar',
      oneOf: [
        { enum: ['scalar', 'list'] },
        { type: 'array', items: { type: 'integer', minimum: 1, maximum: MAX_TENSOR_ELEMENTS } },
      ],
    },
    nullable: { type: 'boolean', default: false },
    unit: { enum: TIME_UNITS, description: 'For time and timestamp fields; default "ms".' },
    precision: { type: 'integer', minimum: 1, maximum: 76, description: 'For decimal fields.' },
    scale: { type: 'integer', minimum: 0, maximum: 76, description: 'For decimal fields.' },
    description: { type: 'string' },
  },
  allOf: [
    {
      if: { properties: { type: { const: 'decimal' } } },
      then: { required: ['precision'] },
      else: { not: { anyOf: [{ required: ['precision'] }, { required: ['scale'] }] } },
    },
    {
      if: { properties: { type: { enum: ['time', 'timestamp'] } } },
      else: { not: { required: ['unit'] } },
    },
  ],
};

const schemaRef: JsonSchema = {
  description:
    'A schema document, a path to a schema.json or TFX schema.pbtxt (relative to the job file), or "infer".',
  oneOf: [
    { const: 'infer', description: 'Infer the schema from the first records.' },
    {
      type: 'string',
      pattern: `\\.(?:${anyCase('json')}|${anyCase('pbtxt')})$`,
      description: 'A schema.json document or a TFX schema.pbtxt.',
    },
    {
      type: 'object',
      required: ['fields'],
      additionalProperties: false,
      properties: {
        $schema: { type: 'string' },
        version: { const: 1 },
        fields: { type: 'array', items: { $ref: '#/$defs/field' } },
      },
    },
    { type: 'array', items: { $ref: '#/$defs/field' } },
  ],
};

const fileSource: JsonSchema = {
  type: 'object',
  description: 'A CSV, JSONL, TFRecord[.gz] or Arrow file; the format is told from the extension.',
  required: ['kind', 'path'],
  additionalProperties: false,
  properties: {
    kind: { const: 'file' },
    path: { type: 'string', minLength: 1, description: 'Relative to the job file.' },
    format: { enum: FORMATS, description: 'Overrides the format told from the extension.' },
  },
  if: { not: { required: ['format'] } },
  then: { properties: { path: { pattern: KNOWN_EXTENSION } } },
};

const source: JsonSchema = {
  description: 'Where the input records come from.',
  oneOf: [
    fileSource,
    {
      type: 'object',
      description: 'Records made up by a named, seeded, rate-controlled generator.',
      required: ['kind', 'generator'],
      additionalProperties: false,
      properties: {
        kind: { const: 'synthetic' },
        generator: { type: 'string', pattern: GENERATOR_NAME_PATTERN },
        rate: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: JOB_LIMITS.rate,
          description: 'Records per second; as fast as the job takes them when left out.',
        },
        count: {
          type: 'integer',
          minimum: 1,
          maximum: Number.MAX_SAFE_INTEGER,
          description: 'Records in all; endless when left out.',
        },
        seed: whole(JOB_LIMITS.seed, 'Seed of the generator.', 0),
      },
    },
    {
      type: 'object',
      description: 'Records pushed to the run over HTTP.',
      required: ['kind'],
      additionalProperties: false,
      properties: { kind: { const: 'push' } },
    },
  ],
};

const sink: JsonSchema = {
  description: 'Where the output records go.',
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'path'],
      additionalProperties: false,
      properties: {
        kind: { const: 'file' },
        path: {
          type: 'string',
          minLength: 1,
          description: 'Relative to the job file; .gz compresses.',
        },
        format: { enum: FORMATS },
      },
      if: { not: { required: ['format'] } },
      then: { properties: { path: { pattern: KNOWN_EXTENSION } } },
    },
    {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: { kind: { const: 'stdout' }, format: { enum: FORMATS, default: 'jsonl' } },
    },
    {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { const: 'memory' },
        tail: whole(JOB_LIMITS.tail, 'Records kept for the studio.', DEFAULT_MEMORY_TAIL),
      },
    },
  ],
};

const tfrecordFile = [
  {
    properties: { kind: { const: 'file' }, format: { const: 'tfrecord' } },
    required: ['kind', 'format'],
  },
  {
    properties: { kind: { const: 'file' }, path: { pattern: TFRECORD_EXTENSION } },
    required: ['kind'],
    not: { required: ['format'] },
  },
];

const codec = {
  enum: CODECS,
  description: 'How each TFRecord payload (or pushed record) is encoded; default "example".',
};

const unboundedSource = {
  anyOf: [kind('push'), { ...kind('synthetic'), not: { required: ['count'] } }],
};

/**
 * The JSON Schema (draft 2020-12) of job documents, version 1. Editors use it for validation and
 * completion of `job.json`; what it accepts, {@link parseJob} accepts, except for the checks that
 * need the files the job names (schema and model files, and the fields of those schemas).
 */
export const JOB_JSON_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `urn:tfstream:job:${JOB_VERSION}`,
  title: 'tfstream job',
  description: 'A TensorFlow.js job on a stream of records: input, output, cluster and model code.',
  type: 'object',
  required: ['version', 'name', 'mode', 'input', 'model'],
  additionalProperties: false,
  $defs: { field },
  properties: {
    $schema: { type: 'string' },
    version: { const: JOB_VERSION },
    name: {
      type: 'string',
      pattern: JOB_NAME_PATTERN,
      description: 'Letters, digits, ".", "_" or "-", e.g. "penguin-train".',
    },
    description: { type: 'string' },
    mode: {
      enum: JOB_MODES,
      description: 'train; inference (needs "inference.modelPath"); online (test, then train).',
    },
    input: {
      type: 'object',
      required: ['source', 'schema'],
      additionalProperties: false,
      properties: {
        source,
        schema: schemaRef,
        codec,
        key: {
          type: 'string',
          minLength: 1,
          description: "The key field; the record's position when left out.",
        },
      },
      allOf: [
        {
          if: { required: ['codec'] },
          then: { properties: { source: { anyOf: [kind('push'), ...tfrecordFile] } } },
        },
        {
          if: { properties: { source: kind('push') } },
          then: { properties: { schema: { not: { const: 'infer' } } } },
        },
      ],
    },
    output: {
      type: 'object',
      required: ['schema', 'sink'],
      additionalProperties: false,
      properties: { schema: schemaRef, sink, codec },
      allOf: [
        {
          if: { required: ['codec'] },
          then: {
            properties: {
              sink: {
                anyOf: [
                  ...tfrecordFile,
                  {
                    properties: { kind: { const: 'stdout' }, format: { const: 'tfrecord' } },
                    required: ['kind', 'format'],
                  },
                ],
              },
            },
          },
        },
      ],
    },
    transfer: {
      type: 'object',
      required: ['mode'],
      additionalProperties: false,
      default: { mode: 'micro-batch', batchSize: DEFAULT_BATCH_SIZE, lingerMs: DEFAULT_LINGER_MS },
      properties: {
        mode: { enum: TRANSFER_MODES },
        batchSize: whole(JOB_LIMITS.batchSize, 'Records per batch.', DEFAULT_BATCH_SIZE),
        lingerMs: whole(
          JOB_LIMITS.lingerMs,
          'micro-batch: longest wait for a batch to fill, in ms.',
          DEFAULT_LINGER_MS,
        ),
      },
      allOf: [
        {
          if: { properties: { mode: { const: 'stream' } } },
          then: { not: { anyOf: [{ required: ['batchSize'] }, { required: ['lingerMs'] }] } },
        },
        {
          if: { properties: { mode: { const: 'batch' } } },
          then: { not: { required: ['lingerMs'] } },
        },
      ],
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        workers: whole(JOB_LIMITS.workers, 'Worker processes.', 1),
        parameterServers: whole(JOB_LIMITS.parameterServers, 'Parameter-server processes.', 0),
        training: { enum: ['sync', 'async'], default: 'sync' },
        maxRestarts: whole(
          JOB_LIMITS.maxRestarts,
          'Restarts of a failed role before the run fails.',
          3,
        ),
        progressTimeoutMs: whole(
          JOB_LIMITS.progressTimeoutMs,
          'Restart a worker that holds records but reported nothing for this long (ms); no limit when left out.',
        ),
      },
      if: { properties: { training: { const: 'async' } }, required: ['training'] },
      then: { required: ['parameterServers'], properties: { parameterServers: { minimum: 1 } } },
    },
    hyperparameters: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { type: ['number', 'string', 'boolean'] },
    },
    training: {
      type: 'object',
      additionalProperties: false,
      properties: {
        epochs: whole(JOB_LIMITS.epochs, 'Passes over a bounded input.', 1),
        checkpoint: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            everySteps: whole(JOB_LIMITS.everySteps, 'Save a checkpoint every N steps.'),
            everySeconds: whole(JOB_LIMITS.everySeconds, 'Save a checkpoint every N seconds.'),
          },
        },
        eval: {
          type: 'object',
          description:
            'Train jobs: a held-out record file the chief evaluates the model on when training ends (eval_loss, eval_<metric>).',
          required: ['source'],
          additionalProperties: false,
          properties: {
            source: fileSource,
            schema: { ...schemaRef, description: "Default: the input's schema." },
            everyEpochs: whole(JOB_LIMITS.epochs, 'Also evaluate after every N epochs.'),
          },
        },
      },
    },
    model: {
      type: 'object',
      description: 'The model code: TypeScript source inline, or the path of a .ts file.',
      additionalProperties: false,
      properties: {
        language: { const: 'typescript', default: 'typescript' },
        source: { type: 'string' },
        path: { type: 'string', pattern: `\\.${anyCase('m')}?${anyCase('ts')}$` },
      },
      oneOf: [{ required: ['source'] }, { required: ['path'] }],
    },
    inference: {
      type: 'object',
      required: ['modelPath'],
      additionalProperties: false,
      properties: {
        modelPath: {
          type: 'string',
          minLength: 1,
          description: 'A model exported by an earlier run, or a TensorFlow.js model folder.',
        },
      },
    },
  },
  allOf: [
    {
      if: { properties: { mode: { const: 'inference' } } },
      then: {
        required: ['inference', 'output'],
        not: { required: ['training'] },
        properties: {
          cluster: { properties: { parameterServers: { const: 0 }, training: { const: 'sync' } } },
        },
      },
      else: { not: { required: ['inference'] } },
    },
    {
      if: { properties: { mode: { const: 'online' } } },
      then: {
        required: ['output'],
        properties: {
          training: { properties: { epochs: { const: 1 } }, not: { required: ['eval'] } },
        },
      },
    },
    {
      if: { properties: { input: { properties: { source: unboundedSource } } } },
      then: {
        properties: {
          transfer: { properties: { mode: { not: { const: 'batch' } } } },
          training: { properties: { epochs: { const: 1 } } },
        },
      },
    },
  ],
};
