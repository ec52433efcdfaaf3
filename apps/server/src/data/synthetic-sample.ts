// A synthetic source as sample data: the generator's first records (the runtime's own generator,
// with the job's seed, so the same records a run gets), as an Arrow IPC stream. Inference and the
// codec preview read it as they read an uploaded Arrow file, and Arrow carries the generator's
// exact types, so the inferred schema is the one a run with `"schema": "infer"` uses.
import type { RecordBatch } from '@tfstream/codecs';
import { loadFormat } from '@tfstream/codecs/node';
import type { Job } from '@tfstream/runtime';
import {
  SYNTHETIC_GENERATORS,
  syntheticRecords,
  syntheticSchema,
  syntheticSchemaProblem as generatorSchemaProblem,
} from '@tfstream/runtime';
import type { SyntheticSample } from '@tfstream/studio-api';
import { badRequest } from '../http/errors.js';
import type { SampleData } from './sample-data.js';

/** Records a synthetic sample holds at most (the largest inference `limit`). */
export const SYNTHETIC_SAMPLE_RECORDS = 100_000;

function optionalWhole(
  value: unknown,
  location: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`${location} must be a whole number from ${min} to ${max}`, location);
  }
  return value;
}

/** The `synthetic` part of a request, checked; `at` prefixes the locations of its problems. */
export function parseSyntheticSample(value: unknown, at = ''): SyntheticSample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('synthetic must be an object with a "generator"', at || 'synthetic');
  }
  const { generator, seed, count } = value as Record<string, unknown>;
  if (
    typeof generator !== 'string' ||
    !(SYNTHETIC_GENERATORS as readonly string[]).includes(generator)
  ) {
    throw badRequest(
      `unknown generator ${JSON.stringify(generator)}; use one of ${SYNTHETIC_GENERATORS.join(', ')}`,
      `${at}generator`,
    );
  }
  const whole = {
    // The bounds of the job document's `seed` and `count`.
    seed: optionalWhole(seed, `${at}seed`, 0, 4_294_967_295),
    count: optionalWhole(count, `${at}count`, 1, Number.MAX_SAFE_INTEGER),
  };
  return {
    generator,
    ...(whole.seed === undefined ? {} : { seed: whole.seed }),
    ...(whole.count === undefined ? {} : { count: whole.count }),
  };
}

/**
 * The generator's records as sample data. They are made as they are read (a reader that stops
 * after 20 records makes about one batch), up to the source's `count` or
 * {@link SYNTHETIC_SAMPLE_RECORDS}.
 */
export async function syntheticSampleData(sample: SyntheticSample): Promise<SampleData> {
  const schema = syntheticSchema(sample.generator);
  const arrow = await loadFormat('arrow');
  const label = `synthetic generator "${sample.generator}"`;
  const count = Math.min(sample.count ?? SYNTHETIC_SAMPLE_RECORDS, SYNTHETIC_SAMPLE_RECORDS);
  return {
    format: arrow,
    label,
    kind: 'synthetic',
    async *chunks() {
      const encoder = arrow.createEncoder(schema, { source: label });
      yield encoder.start();
      const records: AsyncIterable<RecordBatch> = syntheticRecords(sample.generator, {
        seed: sample.seed ?? 0,
        count,
      });
      for await (const batch of records) {
        yield encoder.encode(batch);
      }
      yield encoder.end();
    },
  };
}

/**
 * What is wrong with the input schema of a job with a synthetic source whose schema is not its
 * generator's: a run does not convert a generator's records, so such a job would fail once they
 * reach a worker (`PROTOCOL_ERROR: … a corrupt record batch body`). `undefined` for `"infer"`,
 * the generator's own schema, another kind of source, or an unknown generator (the run says so).
 */
export function syntheticSchemaProblem(job: Job): { path: string; message: string } | undefined {
  const { source, schema } = job.input;
  if (
    source.kind !== 'synthetic' ||
    schema.kind === 'infer' ||
    !(SYNTHETIC_GENERATORS as readonly string[]).includes(source.generator)
  ) {
    return undefined;
  }
  return generatorSchemaProblem(source.generator, schema.schema);
}
