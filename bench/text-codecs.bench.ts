// JSONL and CSV encode and decode throughput on two record shapes: an MNIST-like record (784
// float32 pixels, a string and an int64) and a penguin-like one (an int64 and four float64s).
// Baseline, measured in the same run: JSON.parse / JSON.stringify of the same records as plain
// objects, the least any JSON reader or writer in JavaScript does.
import type { Schema } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { RecordBatch, csvFormat, jsonlFormat } from '@tfstream/codecs';
import { machine, median, printTable, rate, writeResults } from './harness.js';

/** A format, as the codecs package exports them (its `Format` type is not exported). */
type Format = typeof jsonlFormat;

const ROWS = 2048;
const CHUNK = 64 * 1024;

function mnistRows(): Record<string, unknown>[] {
  let seed = 1;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: ROWS }, (_, i) => ({
    id: BigInt(i) * 4294967311n,
    label: `digit ${i % 10}`,
    pixels: Array.from({ length: 784 }, () =>
      next() < 0.8 ? 0 : Math.fround(Math.floor(next() * 256) / 255),
    ),
  }));
}

function penguinRows(): Record<string, unknown>[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    species: BigInt(i % 3),
    culmen_length_mm: Math.sin(i) ** 2,
    culmen_depth_mm: Math.cos(i) ** 2,
    flipper_length_mm: i / ROWS,
    body_mass_g: 1 - i / ROWS,
  }));
}

const workloads: { name: string; schema: Schema; rows: Record<string, unknown>[] }[] = [
  {
    name: 'mnist',
    schema: defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'label', type: 'string' },
      { name: 'pixels', type: 'float32', shape: [784] },
    ]),
    rows: mnistRows(),
  },
  {
    name: 'penguin',
    schema: defineSchema([
      { name: 'species', type: 'int64' },
      { name: 'culmen_length_mm', type: 'float64' },
      { name: 'culmen_depth_mm', type: 'float64' },
      { name: 'flipper_length_mm', type: 'float64' },
      { name: 'body_mass_g', type: 'float64' },
    ]),
    rows: penguinRows(),
  },
];

function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out.push(bytes.subarray(i, i + CHUNK));
  }
  return out;
}

async function* stream(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

/** Median seconds per call over rounds of at least 200 ms, after a warm-up round. */
async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const perCall: number[] = [];
  for (let round = 0; round < 8; round++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 200) {
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

function encodeAll(format: Format, schema: Schema, batch: RecordBatch): Uint8Array {
  const encoder = format.createEncoder(schema);
  const parts = [encoder.start(), encoder.encode(batch), encoder.end()];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function decodeAll(
  format: Format,
  schema: Schema,
  parts: readonly Uint8Array[],
): Promise<number> {
  let rows = 0;
  for await (const batch of format.decode(stream(parts), { schema })) {
    rows += batch.numRows;
  }
  return rows;
}

const results: Record<string, unknown>[] = [];
const table: string[][] = [];
for (const { name, schema, rows } of workloads) {
  const batch = RecordBatch.fromRows(schema, rows);
  const plain = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
    ),
  );
  const plainLines = plain.map((row) => JSON.stringify(row));
  const plainBytes = plainLines.reduce((n, line) => n + line.length + 1, 0);
  const baselines = {
    encode: await time(() => plain.map((row) => JSON.stringify(row))),
    decode: await time(() => plainLines.map((line) => JSON.parse(line) as unknown)),
  };
  table.push(
    [
      `${name} JSON.stringify (baseline)`,
      rate(ROWS / baselines.encode),
      rate(plainBytes / baselines.encode / 1e6),
      '1.00',
    ],
    [
      `${name} JSON.parse (baseline)`,
      rate(ROWS / baselines.decode),
      rate(plainBytes / baselines.decode / 1e6),
      '1.00',
    ],
  );
  for (const format of [jsonlFormat, csvFormat]) {
    const bytes = encodeAll(format, schema, batch);
    const parts = chunks(bytes);
    if ((await decodeAll(format, schema, parts)) !== ROWS) {
      throw new Error(`${format.name} lost records`);
    }
    const encode = await time(() => encodeAll(format, schema, batch));
    const decode = await time(() => decodeAll(format, schema, parts));
    for (const [op, seconds, baseline] of [
      ['encode', encode, baselines.encode],
      ['decode', decode, baselines.decode],
    ] as const) {
      const recordsPerSecond = ROWS / seconds;
      const megabytesPerSecond = bytes.length / seconds / 1e6;
      table.push([
        `${name} ${format.name} ${op}`,
        rate(recordsPerSecond),
        rate(megabytesPerSecond),
        (baseline / seconds).toFixed(2),
      ]);
      results.push({
        workload: name,
        format: format.name,
        op,
        recordsPerSecond,
        megabytesPerSecond,
        vsBaseline: baseline / seconds,
        bytesPerRecord: bytes.length / ROWS,
      });
    }
  }
}
printTable(['workload', 'records/s', 'MB/s', 'x baseline'], table);
console.log(`results: ${writeResults('text-codecs', { machine: machine(), rows: ROWS, results })}`);
