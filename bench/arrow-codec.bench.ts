// Arrow IPC encode and decode throughput on two record shapes: an MNIST-like record (784 float32
// pixels, a string and an int64) and a taxi-like one (18 fields of ints, floats, timestamps and
// strings). Baseline, measured in the same run: apache-arrow's own writer and reader on the same
// batches and bytes, without conversion to or from tfstream columns.
import { RecordBatchReader, RecordBatchStreamWriter } from 'apache-arrow';
import type { Field, Schema } from '@tfstream/schema';
import { defineSchema, elementCount, isTensorShape } from '@tfstream/schema';
import type { Column } from '@tfstream/codecs';
import { RecordBatch, storageOf } from '@tfstream/codecs';
import { arrowFormat, batchToArrow } from '@tfstream/codecs/arrow';
import { machine, median, printTable, rate, writeResults } from './harness.js';

/** Rows per encoded Arrow record batch, and batches per stream. */
const BATCH = 4096;
const BATCHES = 16;
const ROWS = BATCH * BATCHES;

let seed = 7;
const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const ZONES = [
  'JFK Airport',
  'Midtown Center',
  'Upper East Side North',
  'LaGuardia Airport',
  'Times Sq/Theatre District',
  'Union Sq',
  'East Village',
  'Murray Hill',
];

/** A column of `BATCH` rows for a field, filled with plausible values. */
function column(field: Field, texts?: readonly string[]): Column {
  const perRow = isTensorShape(field.shape) ? elementCount(field.shape) : 1;
  const storage = storageOf(field.type);
  const base = { field, length: BATCH, validity: undefined, offsets: undefined };
  if (storage === 'varbinary') {
    const encoder = new TextEncoder();
    const parts = Array.from({ length: BATCH }, (_, i) =>
      encoder.encode(texts![i % texts!.length]!),
    );
    const valueOffsets = new Int32Array(BATCH + 1);
    parts.forEach((part, i) => (valueOffsets[i + 1] = valueOffsets[i]! + part.length));
    const data = new Uint8Array(valueOffsets[BATCH]!);
    parts.forEach((part, i) => data.set(part, valueOffsets[i]!));
    return { ...base, values: undefined, data, valueOffsets };
  }
  const values = new storage(BATCH * perRow);
  for (let i = 0; i < values.length; i++) {
    const x = next();
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      values[i] = BigInt(Math.floor(x * 1e15));
    } else if (values instanceof Float32Array || values instanceof Float64Array) {
      values[i] =
        field.type === 'float32'
          ? x < 0.8
            ? 0
            : Math.floor(x * 256) / 255
          : Math.round(x * 10000) / 100;
    } else {
      values[i] = Math.floor(x * 100);
    }
  }
  return { ...base, values, data: undefined, valueOffsets: undefined };
}

function batchOf(schema: Schema, texts: Record<string, readonly string[]>): RecordBatch {
  return new RecordBatch(
    schema,
    schema.fields.map((field) => column(field, texts[field.name])),
  );
}

const mnist = defineSchema([
  { name: 'id', type: 'int64' },
  { name: 'label', type: 'string' },
  { name: 'pixels', type: 'float32', shape: [784] },
]);
const taxi = defineSchema([
  { name: 'vendor_id', type: 'int32' },
  { name: 'pickup_at', type: 'timestamp', unit: 'us' },
  { name: 'dropoff_at', type: 'timestamp', unit: 'us' },
  { name: 'passenger_count', type: 'int8' },
  { name: 'trip_distance', type: 'float64' },
  { name: 'rate_code', type: 'int16' },
  { name: 'store_and_fwd_flag', type: 'string' },
  { name: 'pu_location_id', type: 'int32' },
  { name: 'do_location_id', type: 'int32' },
  { name: 'payment_type', type: 'int8' },
  { name: 'fare_amount', type: 'float64' },
  { name: 'extra', type: 'float64' },
  { name: 'mta_tax', type: 'float64' },
  { name: 'tip_amount', type: 'float64' },
  { name: 'tolls_amount', type: 'float64' },
  { name: 'improvement_surcharge', type: 'float64' },
  { name: 'total_amount', type: 'float64' },
  { name: 'pickup_zone', type: 'string' },
]);

const workloads = [
  {
    name: 'mnist',
    schema: mnist,
    batch: batchOf(mnist, { label: Array.from({ length: 10 }, (_, i) => `digit ${i}`) }),
  },
  {
    name: 'taxi',
    schema: taxi,
    batch: batchOf(taxi, { store_and_fwd_flag: ['N', 'N', 'N', 'Y'], pickup_zone: ZONES }),
  },
];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The stream's messages, each as the encoder returns it (a writer would hand each to a sink). */
function encodeParts(schema: Schema, batch: RecordBatch): Uint8Array[] {
  const encoder = arrowFormat.createEncoder(schema);
  const parts = [encoder.start()];
  for (let i = 0; i < BATCHES; i++) {
    parts.push(encoder.encode(batch));
  }
  parts.push(encoder.end());
  return parts;
}

/** `bytes` in pieces: views of it, as a memory-mapped or fully read file gives them. */
function views(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(bytes.subarray(i, i + size));
  }
  return out;
}

/** `bytes` in pieces, each a fresh copy, as a file or socket stream hands them over. */
function copies(bytes: Uint8Array, size: number): Uint8Array[] {
  return views(bytes, size).map((view) => view.slice());
}

async function* stream(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

async function decodeRows(
  schema: Schema,
  parts: readonly Uint8Array[],
  batchSize?: number,
): Promise<number> {
  let rows = 0;
  for await (const batch of arrowFormat.decode(stream(parts), {
    schema,
    ...(batchSize === undefined ? {} : { batchSize }),
  })) {
    rows += batch.numRows;
  }
  return rows;
}

/** Median seconds per call over rounds of at least 300 ms, after a warm-up round. */
async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const perCall: number[] = [];
  for (let round = 0; round < 6; round++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 300) {
      await fn();
      calls++;
      now = performance.now();
    }
    if (round > 0) {
      perCall.push((now - start) / 1000 / calls);
    }
  }
  return median(perCall);
}

const results: Record<string, unknown>[] = [];
const table: string[][] = [];
for (const { name, schema, batch } of workloads) {
  const bytes = concat(encodeParts(schema, batch));
  const arrowBatch = batchToArrow(batch);
  const baselines = {
    encode: await time(() => {
      const writer = new RecordBatchStreamWriter();
      for (let i = 0; i < BATCHES; i++) {
        writer.write(arrowBatch);
      }
      return writer.finish().toUint8Array(true);
    }),
    decode: await time(() => {
      let rows = 0;
      for (const read of RecordBatchReader.from(bytes)) {
        rows += read.numRows;
      }
      return rows;
    }),
  };
  table.push(
    [
      `${name} apache-arrow write (baseline)`,
      rate(ROWS / baselines.encode),
      rate(bytes.length / baselines.encode / 1e6),
      '1.00',
    ],
    [
      `${name} apache-arrow read (baseline)`,
      rate(ROWS / baselines.decode),
      rate(bytes.length / baselines.decode / 1e6),
      '1.00',
    ],
  );
  const views64k = views(bytes, 64 * 1024);
  const copies1m = copies(bytes, 1 << 20);
  const copies64k = copies(bytes, 64 * 1024);
  for (const parts of [[bytes], views64k, copies1m, copies64k]) {
    if ((await decodeRows(schema, parts)) !== ROWS) {
      throw new Error(`${name}: the decoder lost records`);
    }
  }
  const cases: [string, () => unknown, number][] = [
    ['encode', () => encodeParts(schema, batch), baselines.encode],
    ['decode, one buffer', () => decodeRows(schema, [bytes]), baselines.decode],
    ['decode, 64 KiB views', () => decodeRows(schema, views64k), baselines.decode],
    ['decode, 1 MiB copies', () => decodeRows(schema, copies1m), baselines.decode],
    ['decode, 64 KiB copies', () => decodeRows(schema, copies64k), baselines.decode],
    [
      'decode, one buffer, batchSize 4096',
      () => decodeRows(schema, [bytes], 4096),
      baselines.decode,
    ],
  ];
  for (const [op, fn, baseline] of cases) {
    const seconds = await time(fn);
    const recordsPerSecond = ROWS / seconds;
    const megabytesPerSecond = bytes.length / seconds / 1e6;
    table.push([
      `${name} ${op}`,
      rate(recordsPerSecond),
      rate(megabytesPerSecond),
      (baseline / seconds).toFixed(2),
    ]);
    results.push({
      workload: name,
      op,
      recordsPerSecond,
      megabytesPerSecond,
      vsBaseline: baseline / seconds,
      bytesPerRecord: bytes.length / ROWS,
    });
  }
}
printTable(['workload', 'records/s', 'MB/s', 'x baseline'], table);
console.log(
  `results: ${writeResults('arrow-codec', { machine: machine(), rows: ROWS, batch: BATCH, results })}`,
);
