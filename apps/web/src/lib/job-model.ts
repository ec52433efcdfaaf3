// Reading and editing the job document (the runtime's JobJson) the way the cells need it: the
// defaults the runtime fills in, inline schemas, and immutable updates.
import type { StudioJob } from '@tfstream/studio-api';
import type { FieldJson, SchemaJson } from '@tfstream/schema';
import { DEFAULT_BATCH_SIZE, DEFAULT_LINGER_MS, JOB_NAME_PATTERN } from '@tfstream/schema';

export type Job = StudioJob;
export type JobMode = Job['mode'];
export type TransferJson = NonNullable<Job['transfer']>;
export type TransferMode = TransferJson['mode'];
export type SourceJson = Job['input']['source'];
export type SchemaRef = Job['input']['schema'];
export type OutputJson = NonNullable<Job['output']>;
export type HyperparameterValue = string | number | boolean;

/** The defaults the runtime fills in, and every data type in the order docs/types.md lists them. */
export {
  DATA_TYPES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_LINGER_MS,
  DEFAULT_MEMORY_TAIL,
} from '@tfstream/schema';

/** The runtime's rule for job names. */
export const JOB_NAME_RE = new RegExp(JOB_NAME_PATTERN);

export const BLANK_MODEL = `import * as tf from '@tensorflow/tfjs';
import { defineModel } from '@tfstream/sdk';

// Say only what is about the model: tfstream runs the cluster, feeds the records and
// averages the gradients on the parameter servers.
const FEATURES = ['temperature', 'humidity', 'vibration'];

export default defineModel({
  hyperparameters: { learningRate: 0.05, hidden: 8 },
  build: (hp) =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: hp.hidden, activation: 'relu', inputShape: [FEATURES.length] }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    }),
  compile: (hp) => ({
    optimizer: tf.train.adam(hp.learningRate),
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  }),
  features: (batch) => ({
    xs: tf.stack(FEATURES.map((name) => batch.tensor(name)), 1),
    ys: batch.tensor('label').toFloat().reshape([-1, 1]),
  }),
});
`;

/** A job that runs as it is: the `sensors` generator and a small classifier of its label. */
export function blankJob(): Job {
  return {
    version: 1,
    name: 'untitled',
    description: "Classify the sensors generator's label from temperature, humidity and vibration.",
    mode: 'train',
    input: {
      source: { kind: 'synthetic', generator: 'sensors', count: 2000, seed: 0 },
      schema: {
        version: 1,
        fields: [
          { name: 'id', type: 'int64' },
          { name: 'temperature', type: 'float32' },
          { name: 'humidity', type: 'float32' },
          { name: 'vibration', type: 'float32' },
          { name: 'label', type: 'int32' },
        ],
      },
      key: 'id',
    },
    transfer: { mode: 'micro-batch', batchSize: DEFAULT_BATCH_SIZE, lingerMs: DEFAULT_LINGER_MS },
    cluster: { workers: 1, parameterServers: 0, training: 'sync' },
    hyperparameters: { learningRate: 0.05, hidden: 8 },
    training: { epochs: 3 },
    model: { language: 'typescript', source: BLANK_MODEL },
  };
}

/** The inline schema of a schema reference, if it is one. */
export function inlineSchema(ref: SchemaRef | undefined): SchemaJson | undefined {
  if (ref === undefined || typeof ref === 'string') {
    return undefined;
  }
  return Array.isArray(ref) ? { version: 1, fields: ref } : ref;
}

export function schemaFields(ref: SchemaRef | undefined): FieldJson[] {
  return inlineSchema(ref)?.fields ?? [];
}

export function transferOf(job: Job): TransferJson {
  return (
    job.transfer ?? {
      mode: 'micro-batch',
      batchSize: DEFAULT_BATCH_SIZE,
      lingerMs: DEFAULT_LINGER_MS,
    }
  );
}

/** The transfer block for a mode, keeping the batch size across modes. */
export function transferFor(mode: TransferMode, previous: TransferJson): TransferJson {
  const batchSize = previous.batchSize ?? DEFAULT_BATCH_SIZE;
  switch (mode) {
    case 'stream':
      return { mode };
    case 'micro-batch':
      return { mode, batchSize, lingerMs: previous.lingerMs ?? DEFAULT_LINGER_MS };
    case 'batch':
      return { mode, batchSize };
  }
}

export function modelSource(job: Job): string {
  return 'source' in job.model ? job.model.source : '';
}

export function withModelSource(job: Job, source: string): Job {
  return { ...job, model: { language: 'typescript', source } };
}

/** The field's shape as the schema table shows it: `scalar`, `list` or `[28, 28]`. */
export function shapeText(shape: FieldJson['shape']): string {
  if (shape === undefined || shape === 'scalar') {
    return 'scalar';
  }
  return shape === 'list' ? 'list' : `[${shape.join(', ')}]`;
}

/** Parses what a user typed as a shape; undefined when it is not one. */
export function parseShape(text: string): FieldJson['shape'] | undefined {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'scalar') {
    return 'scalar';
  }
  if (t === 'list') {
    return 'list';
  }
  const dims = t
    .replace(/^\[|\]$/g, '')
    .split(/[\s,x×]+/)
    .filter((d) => d !== '');
  const numbers = dims.map(Number);
  return numbers.length > 0 && numbers.every((n) => Number.isInteger(n) && n > 0)
    ? numbers
    : undefined;
}

/** A field without the parts that equal the defaults, as the runtime writes it. */
export function compactField(field: FieldJson): FieldJson {
  const out: FieldJson = { ...field };
  if (out.shape === 'scalar') {
    delete out.shape;
  }
  if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}

export function sourceLabel(source: SourceJson): string {
  switch (source.kind) {
    case 'file':
      return source.path;
    case 'synthetic':
      return `synthetic “${source.generator}”${source.count === undefined ? ', endless' : `, ${source.count} records`}`;
    case 'push':
      return 'pushed over HTTP';
  }
}

export function isBounded(source: SourceJson): boolean {
  return source.kind === 'file' || (source.kind === 'synthetic' && source.count !== undefined);
}
