// `npm run bench -- codecs`: encode and decode throughput of every codec on two records, each
// against a baseline measured in the same run, interleaved round by round:
// - "mnist": 784 float32 (a [28, 28] tensor) + a string + an int64;
// - "taxi": a taxi-trip-like record of 18 mixed fields (ints, floats, strings, timestamps, nulls).
// Targets (ratios or absolute figures from the same run): tf.Example decode into the columnar batch
// >= 3x protobufjs's generic decode; TFRecord read with CRC check >= 500 MB/s; Arrow decode
// >= 1M rows/s.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { RecordBatchReader, tableToIPC, Table } from 'apache-arrow';
import type { Schema, Value } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import type { Format } from '@tfstream/codecs';
import {
  RecordBatch,
  RecordBatchBuilder,
  TfRecordReader,
  csvFormat,
  exampleCodec,
  jsonlFormat,
  tfrecordFormat,
  toJsonValue,
} from '@tfstream/codecs';
import { arrowFormat, batchToArrow } from '@tfstream/codecs/arrow';
import type { Measurement } from './harness.js';
import {
  machine,
  measureInterleaved,
  measureInterleavedAsync,
  printTable,
  rate,
  writeResults,
} from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHUNK = 1 << 20;

// ----- the two records -----

let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

const mnistSchema = defineSchema([
  { name: 'pixels', type: 'float32', shape: [28, 28] },
  { name: 'label', type: 'string' },
  { name: 'id', type: 'int64' },
]);

function mnistRows(count: number): Record<string, Value>[] {
  return Array.from({ length: count }, (_, i) => ({
    pixels: Array.from({ length: 784 }, () =>
      random() < 0.8 ? 0 : Math.fround(Math.floor(random() * 256) / 255),
    ),
    label: `digit ${i % 10}`,
    id: BigInt(i) * 4294967311n,
  }));
}

const ZONES = [
  'JFK Airport',
  'Midtown Center',
  'Upper East Side North',
  'LaGuardia Airport',
  'Times Sq/Theatre District',
  'Ünion Sq',
];
const COMPANIES = [
  'Flash Cab',
  'Taxi Affiliation Services',
  'Yellow Cab',
  'Blue Ribbon Taxi Association Inc.',
];

const taxiSchema = defineSchema([
  { name: 'trip_id', type: 'int64' },
  { name: 'company', type: 'string', nullable: true },
  { name: 'payment_type', type: 'string' },
  { name: 'pickup_zone', type: 'string' },
  { name: 'dropoff_zone', type: 'string', nullable: true },
  { name: 'trip_start', type: 'timestamp', unit: 'us' },
  { name: 'trip_seconds', type: 'int32', nullable: true },
  { name: 'trip_miles', type: 'float32' },
  { name: 'pickup_latitude', type: 'float64' },
  { name: 'pickup_longitude', type: 'float64' },
  { name: 'dropoff_latitude', type: 'float64', nullable: true },
  { name: 'dropoff_longitude', type: 'float64', nullable: true },
  { name: 'pickup_census_tract', type: 'int64', nullable: true },
  { name: 'dropoff_community_area', type: 'int16', nullable: true },
  { name: 'fare', type: 'float32' },
  { name: 'tips', type: 'float32' },
  { name: 'tolls', type: 'float32' },
  { name: 'extras', type: 'float32' },
]);

function taxiRows(count: number): Record<string, Value>[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const cents = (max: number): number => Math.fround(Math.round(random() * max * 100) / 100);
  return Array.from({ length: count }, (_, i) => ({
    trip_id: 1000000000000n + BigInt(i),
    company: random() < 0.3 ? null : pick(COMPANIES),
    payment_type: pick(['Cash', 'Credit Card', 'No Charge']),
    pickup_zone: pick(ZONES),
    dropoff_zone: random() < 0.05 ? null : pick(ZONES),
    trip_start: 1420070400000000n + BigInt(Math.floor(random() * 3e13)),
    trip_seconds: random() < 0.01 ? null : Math.floor(random() * 5000),
    trip_miles: cents(30),
    pickup_latitude: 41.8 + random() / 10,
    pickup_longitude: -87.6 - random() / 10,
    dropoff_latitude: random() < 0.05 ? null : 41.8 + random() / 10,
    dropoff_longitude: random() < 0.05 ? null : -87.6 - random() / 10,
    pickup_census_tract:
      random() < 0.5 ? null : 17031000000n + BigInt(Math.floor(random() * 999999)),
    dropoff_community_area: random() < 0.1 ? null : Math.floor(random() * 77) + 1,
    fare: cents(80),
    tips: cents(20),
    tolls: random() < 0.9 ? 0 : cents(10),
    extras: random() < 0.7 ? 0 : cents(5),
  }));
}

// ----- baselines' helpers -----

const protoRoot = new protobuf.Root();
for (const file of ['feature.proto', 'example.proto']) {
  protobuf.parse(
    readFileSync(join(here, '../packages/codecs/src/example/test-support', file), 'utf8'),
    protoRoot,
    { keepCase: true },
  );
}
protoRoot.resolveAll();
const ProtoExample = protoRoot.lookupType('tensorflow.Example');

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) {
    out.push(bytes.subarray(at, at + CHUNK));
  }
  return out;
}

async function* stream(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

function encodeAll(format: Format, schema: Schema, batch: RecordBatch): Uint8Array {
  const encoder = format.createEncoder(schema);
  return concat([encoder.start(), encoder.encode(batch), encoder.end()]);
}

async function decodeAll(
  format: Format,
  schema: Schema,
  parts: readonly Uint8Array[],
): Promise<number> {
  let rows = 0;
  // The default batch size (1024 records), as users get it.
  for await (const batch of format.decode(stream(parts), { schema })) {
    rows += batch.numRows;
  }
  return rows;
}

function frames(bytes: Uint8Array, verifyChecksums: boolean): Uint8Array[] {
  const reader = new TfRecordReader({ verifyChecksums });
  reader.push(bytes);
  const out: Uint8Array[] = [];
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
    out.push(frame.payload);
  }
  reader.end();
  return out;
}

const utf8 = new TextDecoder();
const textEncoder = new TextEncoder();

// ----- the cases -----

interface Target {
  readonly measure: 'ratio' | 'MB/s' | 'records/s';
  readonly atLeast: number;
}

interface Result {
  readonly name: string;
  readonly record: string;
  readonly bytesPerRecord: number;
  readonly recordsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly baseline: {
    readonly name: string;
    readonly recordsPerSecond: number;
    readonly megabytesPerSecond: number;
  };
  readonly ratio: number;
  readonly target?: Target & { readonly met: boolean };
}

const results: Result[] = [];

function record(
  name: string,
  recordName: string,
  bytes: number,
  records: number,
  ours: Measurement,
  baselineName: string,
  baseline: Measurement,
  target?: Target,
): void {
  const perRecord = bytes / records;
  const result: Result = {
    name,
    record: recordName,
    bytesPerRecord: Math.round(perRecord),
    recordsPerSecond: ours.opsPerSecond,
    megabytesPerSecond: (ours.opsPerSecond * perRecord) / 1e6,
    baseline: {
      name: baselineName,
      recordsPerSecond: baseline.opsPerSecond,
      megabytesPerSecond: (baseline.opsPerSecond * perRecord) / 1e6,
    },
    ratio: ours.opsPerSecond / baseline.opsPerSecond,
  };
  if (target !== undefined) {
    const value =
      target.measure === 'ratio'
        ? result.ratio
        : target.measure === 'MB/s'
          ? result.megabytesPerSecond
          : result.recordsPerSecond;
    results.push({ ...result, target: { ...target, met: value >= target.atLeast } });
  } else {
    results.push(result);
  }
  const last = results[results.length - 1]!;
  console.log(
    `  ${name} [${recordName}]: ${rate(last.recordsPerSecond)} rec/s, ${rate(last.megabytesPerSecond)} MB/s; ${baselineName} ${rate(baseline.opsPerSecond)} rec/s; x${last.ratio.toFixed(2)}`,
  );
}

const workloads = [
  { name: 'mnist', schema: mnistSchema, rows: mnistRows(2048) },
  { name: 'taxi', schema: taxiSchema, rows: taxiRows(8192) },
];

for (const { name, schema, rows } of workloads) {
  console.log(`${name}: ${rows.length} records`);
  const batch = RecordBatch.fromRows(schema, rows);
  const n = rows.length;

  // tf.Example records.
  const examples = Array.from({ length: n }, (_, row) => exampleCodec.encodeRecord(batch, row));
  const exampleBytes = examples.reduce((total, bytes) => total + bytes.length, 0);
  const builder = new RecordBatchBuilder(schema, n);
  const protoMessages = examples.map((bytes) => ProtoExample.decode(bytes));
  {
    const [ours, baseline] = measureInterleaved([
      () => {
        builder.reset();
        for (const bytes of examples) {
          builder.beginRecord();
          exampleCodec.decodeRecord(bytes, builder);
          builder.commitRecord();
        }
        builder.finish();
        return n;
      },
      () => {
        for (const bytes of examples) {
          ProtoExample.decode(bytes);
        }
        return n;
      },
    ]);
    record(
      'tf.Example decode -> columnar batch',
      name,
      exampleBytes,
      n,
      ours!,
      'protobufjs decode',
      baseline!,
      { measure: 'ratio', atLeast: 3 },
    );
  }
  {
    const [ours, baseline] = measureInterleaved([
      () => {
        for (let row = 0; row < n; row++) {
          exampleCodec.encodeRecord(batch, row);
        }
        return n;
      },
      () => {
        for (const message of protoMessages) {
          ProtoExample.encode(message).finish();
        }
        return n;
      },
    ]);
    record('tf.Example encode', name, exampleBytes, n, ours!, 'protobufjs encode', baseline!);
  }

  // TFRecord files.
  const tfrecord = encodeAll(tfrecordFormat, schema, batch);
  {
    const [ours, baseline] = measureInterleaved([
      () => (frames(tfrecord, true), n),
      () => (frames(tfrecord, false), n),
    ]);
    record(
      'TFRecord read, CRC32C checked',
      name,
      tfrecord.length,
      n,
      ours!,
      'same, CRC unchecked',
      baseline!,
      { measure: 'MB/s', atLeast: 500 },
    );
  }
  {
    const parts = chunks(tfrecord);
    const [ours, baseline] = await measureInterleavedAsync([
      () => decodeAll(tfrecordFormat, schema, parts),
      async () => {
        for (const payload of frames(tfrecord, false)) {
          ProtoExample.decode(payload);
        }
        return n;
      },
    ]);
    record(
      'TFRecord file decode (CRC + Example -> batches)',
      name,
      tfrecord.length,
      n,
      ours!,
      'framing + protobufjs decode',
      baseline!,
    );
  }
  {
    const [ours, baseline] = measureInterleaved([
      () => (encodeAll(tfrecordFormat, schema, batch), n),
      () => {
        for (const message of protoMessages) {
          ProtoExample.encode(message).finish();
        }
        return n;
      },
    ]);
    record('TFRecord file encode', name, tfrecord.length, n, ours!, 'protobufjs encode', baseline!);
  }

  // JSON Lines.
  const jsonl = encodeAll(jsonlFormat, schema, batch);
  const jsonObjects = rows.map((row) =>
    Object.fromEntries(
      schema.fields.map((field) => [field.name, toJsonValue(field, row[field.name] ?? null)]),
    ),
  );
  {
    const parts = chunks(jsonl);
    const [ours, baseline] = await measureInterleavedAsync([
      () => decodeAll(jsonlFormat, schema, parts),
      async () => {
        for (const line of utf8.decode(jsonl).split('\n')) {
          if (line !== '') {
            JSON.parse(line);
          }
        }
        return n;
      },
    ]);
    record('JSONL decode', name, jsonl.length, n, ours!, 'JSON.parse per line', baseline!);
  }
  {
    const [ours, baseline] = measureInterleaved([
      () => (encodeAll(jsonlFormat, schema, batch), n),
      () => (textEncoder.encode(jsonObjects.map((object) => JSON.stringify(object)).join('\n')), n),
    ]);
    record('JSONL encode', name, jsonl.length, n, ours!, 'JSON.stringify per record', baseline!);
  }

  // CSV.
  const csv = encodeAll(csvFormat, schema, batch);
  {
    const parts = chunks(csv);
    const [ours, baseline] = await measureInterleavedAsync([
      () => decodeAll(csvFormat, schema, parts),
      async () => {
        for (const line of utf8.decode(csv).split('\n')) {
          line.split(',');
        }
        return n;
      },
    ]);
    record(
      'CSV decode',
      name,
      csv.length,
      n,
      ours!,
      'split lines and commas (no quoting, no types)',
      baseline!,
    );
  }
  {
    const cells = jsonObjects.map((object) =>
      Object.values(object).map((value) =>
        typeof value === 'string' ? value : JSON.stringify(value),
      ),
    );
    const [ours, baseline] = measureInterleaved([
      () => (encodeAll(csvFormat, schema, batch), n),
      () => (textEncoder.encode(cells.map((row) => row.join(',')).join('\n')), n),
    ]);
    record(
      'CSV encode',
      name,
      csv.length,
      n,
      ours!,
      'join cells with commas (no quoting)',
      baseline!,
    );
  }

  // Arrow IPC.
  const arrow = encodeAll(arrowFormat, schema, batch);
  {
    const [ours, baseline] = await measureInterleavedAsync([
      () => decodeAll(arrowFormat, schema, [arrow]),
      async () => {
        let count = 0;
        for (const read of RecordBatchReader.from(arrow)) {
          count += read.numRows;
        }
        return count;
      },
    ]);
    record(
      'Arrow IPC decode -> columnar batch',
      name,
      arrow.length,
      n,
      ours!,
      'apache-arrow RecordBatchReader',
      baseline!,
      { measure: 'records/s', atLeast: 1_000_000 },
    );
  }
  {
    // As a file or socket hands it over: 1 MiB chunks, each its own allocation.
    const copies = chunks(arrow).map((chunk) => chunk.slice());
    const [ours, baseline] = await measureInterleavedAsync([
      () => decodeAll(arrowFormat, schema, copies),
      async () => {
        let count = 0;
        for (const read of RecordBatchReader.from(concat(copies))) {
          count += read.numRows;
        }
        return count;
      },
    ]);
    record(
      'Arrow IPC decode from 1 MiB chunks',
      name,
      arrow.length,
      n,
      ours!,
      'concat + apache-arrow RecordBatchReader',
      baseline!,
    );
  }
  {
    const table = new Table(batchToArrow(batch));
    const [ours, baseline] = measureInterleaved([
      () => (encodeAll(arrowFormat, schema, batch), n),
      () => (tableToIPC(table, 'stream'), n),
    ]);
    record('Arrow IPC encode', name, arrow.length, n, ours!, 'apache-arrow tableToIPC', baseline!);
  }
}

console.log('');
printTable(
  ['codec', 'record', 'B/rec', 'records/s', 'MB/s', 'baseline', 'base rec/s', 'ratio', 'target'],
  results.map((result) => [
    result.name,
    result.record,
    String(result.bytesPerRecord),
    rate(result.recordsPerSecond),
    rate(result.megabytesPerSecond),
    result.baseline.name,
    rate(result.baseline.recordsPerSecond),
    `x${result.ratio.toFixed(2)}`,
    result.target === undefined
      ? ''
      : `${result.target.met ? 'met' : 'MISSED'} (>= ${result.target.measure === 'ratio' ? `x${result.target.atLeast}` : `${rate(result.target.atLeast)} ${result.target.measure}`})`,
  ]),
);
const path = writeResults('codecs', { machine: machine(), results });
console.log(`\nwrote ${path}`);
