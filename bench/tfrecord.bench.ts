// tf.Example and TFRecord throughput. Baseline, measured in the same run: protobufjs's generic
// `decode` of the same serialized Examples, reading TensorFlow's own example.proto and
// feature.proto; the target is the columnar decode at 3x the baseline or more, and TFRecord reads
// with CRC checks at 500 MB/s or more.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import type { FieldJson, Schema } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import {
  RecordBatch,
  RecordBatchBuilder,
  TfRecordReader,
  crc32c,
  exampleCodec,
  tfrecordFormat,
} from '@tfstream/codecs';
import { machine, measureInterleaved, printTable, rate, writeResults } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHUNK = 64 * 1024;

const root = new protobuf.Root();
for (const file of ['feature.proto', 'example.proto']) {
  const path = join(here, '../packages/codecs/src/example/test-support', file);
  protobuf.parse(readFileSync(path, 'utf8'), root, { keepCase: true });
}
root.resolveAll();
const ProtoExample = root.lookupType('tensorflow.Example');

function frames(stream: Uint8Array): Uint8Array[] {
  const reader = new TfRecordReader();
  reader.push(stream);
  const out: Uint8Array[] = [];
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
    out.push(frame.payload);
  }
  return out;
}

function mnist(): { schema: Schema; stream: Uint8Array } {
  const schema = defineSchema([
    { name: 'pixels', type: 'float32', shape: [28, 28] },
    { name: 'label', type: 'string' },
    { name: 'id', type: 'int64' },
  ]);
  let seed = 1;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = Array.from({ length: 2048 }, (_, i) => ({
    pixels: Array.from({ length: 784 }, () => Math.fround(next())),
    label: `digit ${i % 10}`,
    id: BigInt(i) * 4294967311n,
  }));
  return {
    schema,
    stream: tfrecordFormat.createEncoder(schema).encode(RecordBatch.fromRows(schema, rows)),
  };
}

function taxi(): { schema: Schema; stream: Uint8Array } {
  const path = join(here, '../../shared/fixtures/taxi/data_tfrecord-00000-of-00002.gz');
  const stream = new Uint8Array(gunzipSync(readFileSync(path)));
  const fields = new Map<string, FieldJson['type']>();
  const cells = [...frames(stream).slice(0, 1000)].map((record) => {
    // The kinds, from protobufjs: int64_list, float_list, bytes_list (text).
    const object = ProtoExample.toObject(ProtoExample.decode(record)) as {
      features: { feature: Record<string, Record<string, unknown>> };
    };
    return object.features.feature;
  });
  for (const features of cells) {
    for (const [name, feature] of Object.entries(features)) {
      const type =
        'int64_list' in feature ? 'int64' : 'float_list' in feature ? 'float32' : 'string';
      if (!fields.has(name) || 'int64_list' in feature || 'float_list' in feature) {
        fields.set(name, fields.get(name) === undefined || type !== 'string' ? type : 'string');
      }
    }
  }
  const schema = defineSchema(
    [...fields].map(([name, type]): FieldJson => ({ name, type, nullable: true })),
  );
  return { schema, stream };
}

const table: string[][] = [];
const results: Record<string, unknown>[] = [];

const big = new Uint8Array(16 << 20).map((_, i) => (i * 2654435761) >>> 24);
const [crc] = measureInterleaved([() => (crc32c(big), big.length / 1e6)]);
table.push(['crc32c', '', rate(crc!.opsPerSecond), '']);
results.push({ op: 'crc32c', megabytesPerSecond: crc!.opsPerSecond });

for (const [name, workload] of [
  ['mnist', mnist()],
  ['taxi', taxi()],
] as const) {
  const { schema, stream } = workload;
  const records = frames(stream);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += CHUNK) {
    parts.push(stream.subarray(at, at + CHUNK));
  }
  const [framing] = measureInterleaved([
    () => {
      const reader = new TfRecordReader();
      for (const part of parts) {
        reader.push(part);
        while (reader.next() !== undefined) {
          // count nothing: the payloads are views
        }
      }
      reader.end();
      return stream.length / 1e6;
    },
  ]);
  const builder = new RecordBatchBuilder(schema, records.length);
  const [ours, baseline] = measureInterleaved([
    () => {
      builder.reset();
      for (const record of records) {
        builder.beginRecord();
        exampleCodec.decodeRecord(record, builder);
        builder.commitRecord();
      }
      return records.length;
    },
    () => {
      for (const record of records) {
        ProtoExample.decode(record);
      }
      return records.length;
    },
  ]);
  // End to end: chunks in, batches out, CRCs checked.
  let seconds = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    let rows = 0;
    for await (const batch of tfrecordFormat.decode(
      (async function* () {
        yield* parts;
      })(),
      { schema },
    )) {
      rows += batch.numRows;
    }
    if (rows !== records.length) {
      throw new Error(`${name}: decoded ${rows} of ${records.length} records`);
    }
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  const perRecord = Math.round(stream.length / records.length);
  table.push(
    [`${name} TFRecord framing + CRC`, '', rate(framing!.opsPerSecond), ''],
    [
      `${name} tfrecordFormat.decode`,
      rate(records.length / seconds),
      rate(stream.length / seconds / 1e6),
      '',
    ],
    [`${name} protobufjs decode (baseline)`, rate(baseline!.opsPerSecond), '', '1.00'],
    [
      `${name} exampleCodec.decodeRecord`,
      rate(ours!.opsPerSecond),
      '',
      (ours!.opsPerSecond / baseline!.opsPerSecond).toFixed(2),
    ],
  );
  results.push({
    workload: name,
    bytesPerRecord: perRecord,
    framingMegabytesPerSecond: framing!.opsPerSecond,
    endToEndMegabytesPerSecond: stream.length / seconds / 1e6,
    endToEndRecordsPerSecond: records.length / seconds,
    decodeRecordsPerSecond: ours!.opsPerSecond,
    protobufjsRecordsPerSecond: baseline!.opsPerSecond,
    vsBaseline: ours!.opsPerSecond / baseline!.opsPerSecond,
  });
}
printTable(['measure', 'records/s', 'MB/s', 'x baseline'], table);
console.log(`results: ${writeResults('tfrecord', { machine: machine(), results })}`);
