import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataType, FieldJson, SampleRecord, Schema, Value } from '@tfstream/schema';
import { DATA_TYPES, TfstreamError, defineSchema } from '@tfstream/schema';
import { concatBytes } from '../batch/decode-context.js';
import { RecordBatch } from '../batch/record-batch.js';
import { exampleCodec } from '../example/example-codec.js';
import { below, mutate, prng } from '../example/test-support/fuzz.js';
import type { DeadLetter, DecodeOptions } from '../format.js';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import { PENGUIN_DATA, TAXI_TFRECORD } from '../test-support/tensorflow-files.js';
import { TfRecordReader } from './tfrecord-reader.js';
import { frameTfRecord } from './tfrecord-writer.js';
import { tfrecordFormat } from './tfrecord-format.js';

/** A gzip file's decompressed bytes, as a plain Uint8Array of its own. */
function fixture(path: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(path)));
}

/** The bytes as a stream of chunks of the given sizes (cycled), or one chunk. */
async function* chunked(
  bytes: Uint8Array,
  sizes: readonly number[] = [],
): AsyncGenerator<Uint8Array> {
  if (sizes.length === 0) {
    yield bytes;
    return;
  }
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function decodeRows(
  bytes: Uint8Array,
  options: DecodeOptions,
  sizes?: readonly number[],
): Promise<Record<string, Value>[]> {
  const rows: Record<string, Value>[] = [];
  for await (const batch of tfrecordFormat.decode(chunked(bytes, sizes), options)) {
    rows.push(...batch.toObjects());
  }
  return rows;
}

async function sampleAll(bytes: Uint8Array, limit?: number): Promise<SampleRecord[]> {
  const out: SampleRecord[] = [];
  for await (const record of tfrecordFormat.sample(chunked(bytes, [7000]), { limit })) {
    out.push(record);
  }
  return out;
}

/** Byte offset of each record of a TFRecord stream. */
function recordOffsets(bytes: Uint8Array): number[] {
  const reader = new TfRecordReader();
  reader.push(bytes);
  const offsets: number[] = [];
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
    offsets.push(frame.offset);
  }
  return offsets;
}

const PENGUIN_MEASUREMENTS = [
  'culmen_length_mm',
  'culmen_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
] as const;

const penguinSchema = defineSchema([
  { name: 'species', type: 'int64' },
  ...PENGUIN_MEASUREMENTS.map((name): FieldJson => ({ name, type: 'float32' })),
]);

function penguinKey(species: bigint | number, measurements: readonly number[]): string {
  return [String(species), ...measurements.map((m) => Math.fround(m).toString())].join(',');
}

describe('tfrecordFormat', () => {
  it('describes the format and accepts every type', () => {
    expect(tfrecordFormat.name).toBe('tfrecord');
    expect([...tfrecordFormat.extensions].sort()).toEqual(['.tfrecord', '.tfrecords']);
    const all = defineSchema(
      DATA_TYPES.map((type): FieldJson => ({
        name: type,
        type,
        ...(type === 'decimal' ? { precision: 10, scale: 2 } : {}),
      })),
    );
    expect(() => tfrecordFormat.checkSchema(all)).not.toThrow();
    expect(() => exampleCodec.checkSchema(all)).not.toThrow();
  });

  it("reads TensorFlow's penguin splits: 334 records equal to the CSV they were made from", async () => {
    const rows = [
      ...(await decodeRows(fixture(resolve(PENGUIN_DATA, 'train.tfrecord.gz')), {
        schema: penguinSchema,
      })),
      ...(await decodeRows(
        // As a Node.js Buffer, which is what file streams yield.
        gunzipSync(readFileSync(resolve(PENGUIN_DATA, 'eval.tfrecord.gz'))),
        { schema: penguinSchema },
        [100, 4096, 1],
      )),
    ];
    expect(rows).toHaveLength(334);
    const csv = readFileSync(resolve(PENGUIN_DATA, 'penguins_processed.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('species,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g');
    const expected = csv
      .slice(1)
      .map((line) => line.split(','))
      .map(([species, ...measurements]) => penguinKey(BigInt(species!), measurements.map(Number)));
    const actual = rows.map((row) =>
      penguinKey(
        row.species as bigint,
        PENGUIN_MEASUREMENTS.map((name) => row[name] as number),
      ),
    );
    expect(actual.sort()).toEqual(expected.sort());
  });

  it("reads TensorFlow's taxi file: 9,988 records, empty features as nulls, strings as UTF-8 text", async () => {
    const bytes = fixture(TAXI_TFRECORD);
    // Discover the features and their kinds from the records themselves.
    const kinds = new Map<string, DataType | undefined>();
    const multi = new Set<string>();
    for (const record of await sampleAll(bytes)) {
      for (const [name, cell] of record) {
        if (!kinds.has(name) || kinds.get(name) === undefined) {
          kinds.set(
            name,
            cell === null ? undefined : cell.kind === 'typed' ? cell.type : undefined,
          );
        }
        if (cell !== null && cell.kind === 'typed' && cell.values.length !== 1) {
          multi.add(name);
        }
      }
    }
    expect(kinds.size).toBe(18);
    expect(new Set(kinds.values())).toEqual(new Set(['int64', 'float32', 'bytes', undefined]));
    const schema: Schema = defineSchema(
      [...kinds].map(([name, type]) => ({
        name,
        // A bytes_list is text here; a feature empty in every sampled record could be anything.
        type: type === undefined || type === 'bytes' ? 'string' : type,
        shape: multi.has(name) ? 'list' : 'scalar',
        nullable: true,
      })),
    );
    const rows = await decodeRows(bytes, { schema, batchSize: 1000 }, [65536]);
    expect(rows).toHaveLength(9988);
    const nulls = (name: string): number => rows.filter((row) => row[name] === null).length;
    expect(nulls('company')).toBe(3402);
    expect(nulls('trip_seconds')).toBe(5);
    expect(nulls('pickup_census_tract')).toBe(9988);
    expect(nulls('fare')).toBe(0);
    for (const name of ['company', 'payment_type']) {
      for (const row of rows) {
        const value = row[name];
        if (value !== null) {
          expect(typeof value).toBe('string');
          expect(value).not.toContain('\uFFFD');
          expect((value as string).length).toBeGreaterThan(0);
        }
      }
    }
    expect(rows[0]).toMatchObject({ company: 'Taxi Affiliation Services', payment_type: 'Cash' });
    // What we write back reads back the same.
    const batch = RecordBatch.fromRows(schema, rows);
    const written = tfrecordFormat.createEncoder(schema).encode(batch);
    assertSameRows(await decodeRows(written, { schema }, [1000, 3]), rows);
  });

  it('decodes what it encodes, through TFRecord framing, however the stream is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows(),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }),
        async ({ schema, rows }, batchSize, sizes) => {
          const encoder = tfrecordFormat.createEncoder(schema);
          const batch = RecordBatch.fromRows(schema, rows);
          const bytes = concatBytes([encoder.start(), encoder.encode(batch), encoder.end()]);
          const framed = concatBytes(
            Array.from({ length: batch.numRows }, (_, row) =>
              frameTfRecord(exampleCodec.encodeRecord(batch, row)),
            ),
          );
          expect(bytes).toEqual(framed);
          const batches: RecordBatch[] = [];
          for await (const decoded of tfrecordFormat.decode(chunked(bytes, sizes), {
            schema,
            batchSize,
          })) {
            batches.push(decoded);
          }
          expect(batches.every((b) => b.numRows <= batchSize)).toBe(true);
          assertSameRows(
            batches.flatMap((b) => b.toObjects()),
            rows,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('samples typed cells: int64_list as int64, float_list as float32, bytes_list as bytes', async () => {
    const records = await sampleAll(fixture(TAXI_TFRECORD), 3);
    expect(records).toHaveLength(3);
    const first = records[0]!;
    expect(first.get('trip_start_timestamp')).toEqual({
      kind: 'typed',
      type: 'int64',
      values: [1368016200n],
    });
    expect(first.get('fare')).toEqual({
      kind: 'typed',
      type: 'float32',
      values: [Math.fround(6.45)],
    });
    expect(first.get('payment_type')).toEqual({
      kind: 'typed',
      type: 'bytes',
      values: [new TextEncoder().encode('Cash')],
    });
    expect(first.get('pickup_census_tract')).toBeNull();
  });
});

describe('tfrecordFormat errors', () => {
  const train = fixture(resolve(PENGUIN_DATA, 'train.tfrecord.gz'));
  const offsets = recordOffsets(train);

  it('reports a damaged record as TFRECORD_CORRUPT with file, record and byte offset, after the good ones', async () => {
    const damaged = train.slice();
    damaged[offsets[2]! + 12 + 20]! ^= 0x10;
    const seen: number[] = [];
    const decoding = (async () => {
      for await (const batch of tfrecordFormat.decode(chunked(damaged, [999]), {
        schema: penguinSchema,
        source: 'train.tfrecord',
      })) {
        seen.push(batch.numRows);
      }
    })();
    await expect(decoding).rejects.toThrow(
      new RegExp(
        `^TFRECORD_CORRUPT: train\\.tfrecord: record 3: byte offset ${offsets[2]}: the data CRC of this \\d+-byte record does not match`,
      ),
    );
    expect(seen).toEqual([2]);
  });

  it("skips a damaged record under 'skip', reporting it as a dead letter", async () => {
    const damaged = train.slice();
    damaged[offsets[2]! + 12 + 20]! ^= 0x10;
    damaged[offsets[9]! + 12 + 5]! ^= 0x01;
    const letters: DeadLetter[] = [];
    const rows = await decodeRows(damaged, {
      schema: penguinSchema,
      source: 'train.tfrecord',
      onError: 'skip',
      onDeadLetter: (letter) => letters.push(letter),
    });
    expect(rows).toHaveLength(232);
    expect(letters.map((letter) => [letter.record, letter.error.code])).toEqual([
      [3, 'TFRECORD_CORRUPT'],
      [10, 'TFRECORD_CORRUPT'],
    ]);
    expect(letters[0]!.error.message).toMatch(
      `TFRECORD_CORRUPT: train.tfrecord: record 3: byte offset ${offsets[2]}: `,
    );
    expect(letters[0]!.raw).toEqual(damaged.subarray(offsets[2]! + 12, offsets[3]! - 4));
  });

  it("ends the stream at a bad length CRC even under 'skip', keeping the records before it", async () => {
    const damaged = train.slice();
    damaged[offsets[5]! + 3]! ^= 0x01;
    const rows: Record<string, Value>[] = [];
    const decoding = (async () => {
      for await (const batch of tfrecordFormat.decode(chunked(damaged), {
        schema: penguinSchema,
        source: 'train.tfrecord',
        onError: 'skip',
      })) {
        rows.push(...batch.toObjects());
      }
    })();
    await expect(decoding).rejects.toThrow(
      `TFRECORD_CORRUPT: train.tfrecord: record 6: byte offset ${offsets[5]}: the length CRC does not match`,
    );
    expect(rows).toHaveLength(5);
  });

  it('reports a file cut short as TFRECORD_TRUNCATED at the last record', async () => {
    await expect(
      decodeRows(train.subarray(0, train.length - 3), {
        schema: penguinSchema,
        source: 'train.tfrecord',
      }),
    ).rejects.toThrow(
      `TFRECORD_TRUNCATED: train.tfrecord: record 234: byte offset ${offsets[233]}: the stream ends inside a record`,
    );
  });

  it('rejects a record above limits.maxRecordBytes', async () => {
    await expect(
      decodeRows(train, {
        schema: penguinSchema,
        source: 'train.tfrecord',
        limits: { maxRecordBytes: 100 },
      }),
    ).rejects.toThrow(
      'CODEC_LIMIT_EXCEEDED: train.tfrecord: record 1: byte offset 0: the record length 136 exceeds the limit of 100 bytes',
    );
  });

  it('names the file, record, offset and field of a value that does not fit', async () => {
    const misread = defineSchema([
      { name: 'species', type: 'float32' },
      { name: 'body_mass_g', type: 'float32' },
    ]);
    await expect(decodeRows(train, { schema: misread, source: 'train.tfrecord' })).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: train.tfrecord: record 1: byte offset 0: field "species": expected float_list (how tf.Example carries float32), got int64_list',
    );
    const ages = defineSchema([{ name: 'age', type: 'int32' }]);
    const bytes = tfrecordFormat
      .createEncoder(ages)
      .encode(RecordBatch.fromRows(ages, [{ age: 30 }, { age: 70000 }, { age: -5 }]));
    const narrow = defineSchema([{ name: 'age', type: 'int16' }]);
    await expect(decodeRows(bytes, { schema: narrow, source: 'ages.tfrecord' })).rejects.toThrow(
      `CODEC_TYPE_MISMATCH: ages.tfrecord: record 2: byte offset ${recordOffsets(bytes)[1]}: field "age": 70000 is out of range for int16`,
    );
    const letters: DeadLetter[] = [];
    const kept = await decodeRows(bytes, {
      schema: narrow,
      onError: 'skip',
      onDeadLetter: (letter) => letters.push(letter),
    });
    expect(kept).toEqual([{ age: 30 }, { age: -5 }]);
    expect(letters.map((letter) => letter.record)).toEqual([2]);
  });

  it('names the record of a malformed Example when sampling', async () => {
    const bad = concatBytes([
      frameTfRecord(new Uint8Array([0x0a, 0x00])),
      frameTfRecord(new Uint8Array([0x0a, 0x05])),
    ]);
    const sampling = (async () => {
      for await (const _ of tfrecordFormat.sample(chunked(bad), { source: 'bad.tfrecord' })) {
        // drain
      }
    })();
    await expect(sampling).rejects.toThrow(
      'CODEC_MALFORMED: bad.tfrecord: record 2: byte offset 18: a length of 5 bytes',
    );
  });

  it('ends 20,000 mutated files in batches or a TfstreamError, under both policies', async () => {
    const rand = prng(0x51ed270b);
    const base = train.subarray(0, offsets[12]);
    for (let i = 0; i < 20_000; i++) {
      const input = mutate(rand, base);
      try {
        for await (const _ of tfrecordFormat.decode(chunked(input, [1 + below(rand, 600)]), {
          schema: penguinSchema,
          onError: (i & 1) === 0 ? 'fail' : 'skip',
          batchSize: 1 + below(rand, 8),
        })) {
          // drain
        }
      } catch (error) {
        if (!(error instanceof TfstreamError)) {
          throw error;
        }
      }
    }
  });
});
