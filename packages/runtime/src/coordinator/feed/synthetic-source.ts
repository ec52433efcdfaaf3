// Seeded, rate-controlled generators of records, for demos, benchmarks and tests.
import { RecordBatch } from '@tfstream/codecs';
import type { FieldJson, Schema } from '@tfstream/schema';
import { TfstreamError, parseSchema, schemaToJson } from '@tfstream/schema';

/** Options of {@link syntheticRecords}. */
export interface SyntheticOptions {
  /** Records per second; as fast as they are taken when absent. */
  readonly rate?: number;
  /** Records in all; endless when absent. */
  readonly count?: number;
  /** PRNG seed; default 0. */
  readonly seed?: number;
  /** Most records per yielded batch; default 256. */
  readonly maxBatch?: number;
  /** Stops the generator (an endless stream ends when it aborts). */
  readonly signal?: AbortSignal;
}

/** The generators by name. */
export const SYNTHETIC_GENERATORS = ['sensors'] as const;

/**
 * The schema of the `sensors` generator: `id` (int64 position), `temperature`, `humidity`,
 * `vibration` (float32) and `label` (int32: 1 when `temperature + 2 * vibration > 1.5`).
 */
export const SENSORS_SCHEMA: Schema = parseSchema(
  {
    version: 1,
    fields: [
      { name: 'id', type: 'int64' },
      { name: 'temperature', type: 'float32' },
      { name: 'humidity', type: 'float32' },
      { name: 'vibration', type: 'float32' },
      { name: 'label', type: 'int32' },
    ],
  },
  'sensors generator',
);

/** The schema a generator's records have. @throws `JOB_INVALID` for an unknown generator. */
export function syntheticSchema(generator: string): Schema {
  if (generator === 'sensors') {
    return SENSORS_SCHEMA;
  }
  throw new TfstreamError(
    'JOB_INVALID',
    `input.source.generator: unknown generator ${JSON.stringify(generator)}; use one of ${SYNTHETIC_GENERATORS.join(', ')}`,
  );
}

/**
 * Why `given` cannot be the schema of `generator`'s records, or `undefined` when it is exactly the
 * generator's schema. A run does not convert a generator's records, so any other schema would
 * make every batch unreadable to the workers. `path` is within the job document.
 *
 * @example
 * ```ts
 * syntheticSchemaProblem('sensors', SENSORS_SCHEMA); // undefined
 * ```
 */
export function syntheticSchemaProblem(
  generator: string,
  given: Schema,
): { readonly path: string; readonly message: string } | undefined {
  const wanted = schemaToJson(syntheticSchema(generator)).fields;
  const fields = schemaToJson(given).fields;
  const text = (field: FieldJson | undefined): string =>
    field === undefined ? 'no field' : JSON.stringify(field);
  for (let i = 0; i < Math.max(wanted.length, fields.length); i++) {
    if (text(wanted[i]) !== text(fields[i])) {
      return {
        path: i < fields.length ? `input.schema.fields[${i}]` : 'input.schema.fields',
        message: `the "${generator}" generator makes ${text(wanted[i])} here, not ${text(fields[i])}, and a run does not convert its records: give the generator's schema (fields ${wanted.map((f) => `${f.name} ${f.type}`).join(', ')}) or "infer"`,
      };
    }
  }
  return undefined;
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
class Mulberry32 {
  #a: number;

  constructor(seed: number) {
    this.#a = seed >>> 0;
  }

  /** Writes the next `n` values into `out` (a typed array: no number is boxed on the way). */
  fill(out: Float64Array, n: number): void {
    let a = this.#a;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    this.#a = a;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whole numbers `first, first + 1, …` (below 2^53) as int64s, written as 32-bit halves: no bigint is made. */
export function positions(first: number, n: number): BigInt64Array {
  const out = new BigInt64Array(n);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++) {
      out[i] = BigInt(first + i);
    }
    return out;
  }
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const value = first + i;
    words[2 * i] = value >>> 0;
    words[2 * i + 1] = Math.floor(value / 4294967296);
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * The records of a named generator, in batches. With a `rate`, record `i` is released at
 * `start + i / rate` seconds, and a batch holds the records that are due (so a slow consumer
 * gets bigger batches, never a burst beyond what is due). Same seed, same records.
 *
 * @example
 * ```ts
 * for await (const batch of syntheticRecords('sensors', { rate: 100, count: 1000, seed: 1 })) {
 *   console.log(batch.numRows);
 * }
 * ```
 */
export async function* syntheticRecords(
  generator: string,
  options: SyntheticOptions = {},
): AsyncGenerator<RecordBatch> {
  const schema = syntheticSchema(generator);
  const random = new Mulberry32(options.seed ?? 0);
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const maxBatch = options.maxBatch ?? 256;
  const uniforms = new Float64Array(3 * maxBatch);
  const start = Date.now();
  let produced = 0;
  while (produced < count && options.signal?.aborted !== true) {
    let due = maxBatch;
    if (options.rate !== undefined) {
      const elapsed = (Date.now() - start) / 1000;
      due = Math.floor(elapsed * options.rate) + 1 - produced;
      if (due <= 0) {
        await sleep((produced / options.rate) * 1000 - (Date.now() - start), options.signal);
        continue;
      }
    }
    const n = Math.min(due, maxBatch, count - produced);
    // Straight into the columns: no row objects (the values are what appendRow would store).
    const id = positions(produced, n);
    const temperature = new Float32Array(n);
    const humidity = new Float32Array(n);
    const vibration = new Float32Array(n);
    const label = new Int32Array(n);
    random.fill(uniforms, 3 * n);
    for (let i = 0; i < n; i++) {
      const t = uniforms[3 * i]! * 2 - 0.5;
      const v = uniforms[3 * i + 2]!;
      temperature[i] = t;
      humidity[i] = uniforms[3 * i + 1]!;
      vibration[i] = v;
      label[i] = t + 2 * v > 1.5 ? 1 : 0;
    }
    const values = [id, temperature, humidity, vibration, label];
    produced += n;
    yield new RecordBatch(
      schema,
      schema.fields.map((field, i) => ({
        field,
        length: n,
        validity: undefined,
        offsets: undefined,
        values: values[i],
        data: undefined,
        valueOffsets: undefined,
      })),
    );
  }
}
