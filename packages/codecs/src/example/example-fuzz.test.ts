import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Schema } from '@tfstream/schema';
import { TfstreamError, defineSchema } from '@tfstream/schema';
import { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import { arbSchemaWithRows } from '../test-support/arbitraries.js';
import { PENGUIN_DATA, TAXI_TFRECORD } from '../test-support/tensorflow-files.js';
import { TfRecordReader } from '../tfrecord/tfrecord-reader.js';
import { exampleCodec } from './example-codec.js';
import { sampleExample } from './example-sample.js';
import { below, mutate, prng, randomBytes } from './test-support/fuzz.js';

function fixtureRecords(path: string, limit: number): Uint8Array[] {
  const reader = new TfRecordReader();
  reader.push(gunzipSync(readFileSync(path)));
  const out: Uint8Array[] = [];
  for (
    let frame = reader.next();
    frame !== undefined && out.length < limit;
    frame = reader.next()
  ) {
    out.push(frame.payload);
  }
  return out;
}

const EXPECTED_CODES = new Set([
  'CODEC_MALFORMED',
  'CODEC_TYPE_MISMATCH',
  'CODEC_NULL_VALUE',
  'CODEC_SHAPE_MISMATCH',
]);

describe('Example decoder fuzzing', () => {
  it('ends 100,000 random and mutated records in a row or a TfstreamError, quickly', () => {
    // Records of every type and shape, and TensorFlow's own, each with the schema it was written
    // for; a fifth of the time another schema reads them (kind and shape mismatches).
    const corpus: { schema: Schema; record: Uint8Array }[] = [];
    for (const { schema, rows } of fc.sample(arbSchemaWithRows({ maxRows: 3 }), {
      seed: 42,
      numRuns: 300,
    })) {
      const batch = RecordBatch.fromRows(schema, rows);
      for (let row = 0; row < batch.numRows; row++) {
        corpus.push({ schema, record: exampleCodec.encodeRecord(batch, row) });
      }
    }
    const penguin = defineSchema([
      { name: 'species', type: 'int64' },
      { name: 'culmen_length_mm', type: 'float32', shape: [1] },
      { name: 'body_mass_g', type: 'float32', nullable: true },
    ]);
    for (const record of fixtureRecords(resolve(PENGUIN_DATA, 'train.tfrecord.gz'), 50)) {
      corpus.push({ schema: penguin, record });
    }
    const taxi = defineSchema([
      { name: 'company', type: 'string', nullable: true },
      { name: 'trip_start_timestamp', type: 'int64', nullable: true },
      { name: 'fare', type: 'float32', shape: 'list', nullable: true },
    ]);
    for (const record of fixtureRecords(TAXI_TFRECORD, 50)) {
      corpus.push({ schema: taxi, record });
    }

    const rand = prng(0x9e3779b9);
    const builders = new Map<Schema, RecordBatchBuilder>();
    const counts = { rows: 0, errors: 0 };
    let slowest = 0;
    for (let i = 0; i < 100_000; i++) {
      const item = corpus[below(rand, corpus.length)]!;
      const schema =
        below(rand, 5) === 0 ? corpus[below(rand, corpus.length)]!.schema : item.schema;
      const input = i % 20 === 0 ? randomBytes(rand, below(rand, 100)) : mutate(rand, item.record);
      let builder = builders.get(schema);
      if (builder === undefined) {
        builder = new RecordBatchBuilder(schema, 64);
        builders.set(schema, builder);
      }
      const started = performance.now();
      builder.beginRecord();
      try {
        exampleCodec.decodeRecord(input, builder);
        builder.commitRecord();
        counts.rows++;
      } catch (error) {
        builder.rollbackRecord();
        if (!(error instanceof TfstreamError) || !EXPECTED_CODES.has(error.code)) {
          throw error;
        }
        counts.errors++;
      }
      try {
        sampleExample(input);
      } catch (error) {
        if (!(error instanceof TfstreamError) || error.code !== 'CODEC_MALFORMED') {
          throw error;
        }
      }
      slowest = Math.max(slowest, performance.now() - started);
      if (builder.length >= 256) {
        // Whatever was accepted must read back as values (valid UTF-8 included).
        builder.finish().toObjects();
        builder.reset();
      }
    }
    for (const builder of builders.values()) {
      builder.finish().toObjects();
    }
    expect(counts.rows).toBeGreaterThan(2_000);
    expect(counts.errors).toBeGreaterThan(50_000);
    expect(slowest).toBeLessThan(250);
  });

  it('rejects lengths that claim more than the record holds without allocating for them', () => {
    const schema = defineSchema([{ name: 'x', type: 'float32', shape: 'list' }]);
    const builder = new RecordBatchBuilder(schema);
    const before = process.memoryUsage().arrayBuffers;
    // Example{features{entry{key "x", value{float_list{packed, length 2^31 - 4}}}}}
    const hostile = Uint8Array.from([
      0x0a, 15, 0x0a, 13, 0x0a, 1, 0x78, 0x12, 8, 0x12, 6, 0x0a, 0xfc, 0xff, 0xff, 0xff, 0x07,
    ]);
    builder.beginRecord();
    expect(() => exampleCodec.decodeRecord(hostile, builder)).toThrow(
      'CODEC_MALFORMED: field "x": a length of 2147483644 bytes at byte 17 runs past the end of its message (0 bytes left)',
    );
    builder.rollbackRecord();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });
});
