import { describe, expect, it } from 'vitest';
import { RecordBatch } from '@tfstream/codecs';
import { parseSchema, schemaToJson } from '@tfstream/schema';
import { parseJob } from '../../job/index.js';
import { openRecordSource } from './record-source.js';
import {
  SENSORS_SCHEMA,
  positions,
  syntheticRecords,
  syntheticSchemaProblem,
} from './synthetic-source.js';

/** The generator as first written, row by row: the columnar one must make the same records. */
function referenceRows(seed: number, count: number): Record<string, unknown>[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, (_, i) => {
    const temperature = random() * 2 - 0.5;
    const humidity = random();
    const vibration = random();
    return {
      id: BigInt(i),
      temperature,
      humidity,
      vibration,
      label: temperature + 2 * vibration > 1.5 ? 1 : 0,
    };
  });
}

describe('syntheticRecords', () => {
  it('makes the records of the row-by-row generator, seed for seed, in batches of maxBatch', async () => {
    const batches: RecordBatch[] = [];
    for await (const batch of syntheticRecords('sensors', {
      count: 700,
      seed: 42,
      maxBatch: 256,
    })) {
      batches.push(batch);
    }
    expect(batches.map((batch) => batch.numRows)).toEqual([256, 256, 188]);
    expect(batches.flatMap((batch) => batch.toObjects())).toEqual(
      RecordBatch.fromRows(SENSORS_SCHEMA, referenceRows(42, 700)).toObjects(),
    );
  });

  it('numbers records past 2^32 exactly', () => {
    const first = 2 ** 40 - 1;
    expect([...positions(first, 3)]).toEqual([2n ** 40n - 1n, 2n ** 40n, 2n ** 40n + 1n]);
    expect([...positions(2 ** 53 - 2, 2)]).toEqual([2n ** 53n - 2n, 2n ** 53n - 1n]);
  });
});

describe('a synthetic source with a schema of its own', () => {
  it('is refused before the run starts, naming the first field that differs', async () => {
    expect(syntheticSchemaProblem('sensors', SENSORS_SCHEMA)).toBeUndefined();
    const json = schemaToJson(SENSORS_SCHEMA);
    const humidity64 = parseSchema(
      {
        ...json,
        fields: json.fields.map((f) => (f.name === 'humidity' ? { ...f, type: 'float64' } : f)),
      },
      'test',
    );
    const job = parseJob(
      {
        version: 1,
        name: 'override',
        mode: 'train',
        input: {
          source: { kind: 'synthetic', generator: 'sensors', count: 10 },
          schema: schemaToJson(humidity64),
        },
        model: { source: 'export default {};\n' },
      },
      'job.json',
    );
    await expect(openRecordSource(job)).rejects.toThrow(
      /^JOB_INVALID: input\.schema\.fields\[2\]: the "sensors" generator makes \{"name":"humidity","type":"float32"\} here, not \{"name":"humidity","type":"float64"\}/,
    );
  });
});
