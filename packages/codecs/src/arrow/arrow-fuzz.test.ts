// Hostile input: random bytes and mutations (bit flips, truncations, overwritten lengths,
// deleted and repeated ranges) of small valid Arrow streams and files, from tfstream and from
// apache-arrow. Every one must end in a TfstreamError or in records, never in another exception,
// a hang or an allocation driven by a length in the data.
import { describe, expect, it } from 'vitest';
import {
  Field as ArrowField,
  Int32,
  List,
  RecordBatchStreamWriter,
  Table,
  Utf8,
  Utf8View,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { FieldJson, Schema } from '@tfstream/schema';
import { TfstreamError, defineSchema } from '@tfstream/schema';
import { concatBytes } from '../batch/decode-context.js';
import { RecordBatch } from '../batch/record-batch.js';
import { arrowFormat, arrowSchemaToSchema } from './index.js';
import { seededRandom } from '../test-support/chunks.js';

const INPUTS = 100_000;
const SEED = 0x5eed_a770;

const prng = seededRandom;

interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly schema: Schema;
}

/** Small streams written by tfstream, which together hold every type and shape. */
function tfstreamSeeds(): Seed[] {
  const seed = (name: string, fields: FieldJson[], batches: Record<string, unknown>[][]): Seed => {
    const schema = defineSchema(fields);
    const encoder = arrowFormat.createEncoder(schema);
    const bytes = concatBytes([
      encoder.start(),
      ...batches.map((rows) => encoder.encode(RecordBatch.fromRows(schema, rows))),
      encoder.end(),
    ]);
    return { name, bytes, schema };
  };
  return [
    seed(
      'tfstream bytes and tensors',
      [
        { name: 's', type: 'string', nullable: true },
        { name: 'b', type: 'bytes' },
        { name: 'ok', type: 'bool', nullable: true },
        { name: 'f', type: 'float32', shape: [2, 2] },
      ],
      [
        [
          { s: 'sü', b: Uint8Array.of(1, 2), ok: true, f: [1, 2, 3, 4] },
          { s: null, b: new Uint8Array(0), ok: null, f: [0, -1, 0.5, 2] },
        ],
        [{ s: '', b: Uint8Array.of(3), ok: false, f: [9, 9, 9, 9] }],
      ],
    ),
    seed(
      'tfstream integers and times',
      [
        { name: 'i', type: 'int64' },
        { name: 'u', type: 'uint16' },
        { name: 'd', type: 'date' },
        { name: 't', type: 'time', unit: 'ms' },
        { name: 'ts', type: 'timestamp', unit: 'ns' },
      ],
      [
        [
          { i: -5n, u: 7, d: 100, t: 1000n, ts: 10n ** 15n },
          { i: 1n << 40n, u: 65535, d: -3, t: 0n, ts: -1n },
        ],
      ],
    ),
    seed(
      'tfstream decimals, chars and lists',
      [
        { name: 'dec', type: 'decimal', precision: 9, scale: 3, nullable: true },
        { name: 'c', type: 'char' },
        { name: 'l', type: 'string', shape: 'list', nullable: true },
      ],
      [
        [
          { dec: '1.125', c: 'x', l: ['a', 'bc'] },
          { dec: null, c: '😀', l: null },
        ],
        [{ dec: '-999999.999', c: 'y', l: [] }],
      ],
    ),
  ];
}

function arrowJsSeeds(): Seed[] {
  const table = tableFromArrays({
    x: Float64Array.of(1, 2, 3),
    label: ['a', 'b', 'a'],
    id: Int32Array.of(7, 8, 9),
  });
  const withList = new Table({
    l: vectorFromArray([[1, 2], [3]], new List(new ArrowField('item', new Int32(), false))),
    s: vectorFromArray(['x', 'yy'], new Utf8()),
    v: vectorFromArray(['inline', 'a view into a variadic buffer'], new Utf8View()),
  });
  const legacy = RecordBatchStreamWriter.writeAll(table, {
    writeLegacyIpcFormat: true,
  }).toUint8Array(true);
  const schemaOf = (t: Table): Schema => arrowSchemaToSchema(t.schema);
  return [
    { name: 'apache-arrow stream', bytes: tableToIPC(table, 'stream'), schema: schemaOf(table) },
    { name: 'apache-arrow file', bytes: tableToIPC(table, 'file'), schema: schemaOf(table) },
    {
      name: 'apache-arrow lists',
      bytes: tableToIPC(withList, 'stream'),
      schema: schemaOf(withList),
    },
    { name: 'pre-0.15 stream', bytes: legacy, schema: schemaOf(table) },
  ];
}

const INTERESTING_32 = [0, 1, -1, 8, 0x7f, 0x80, 0xff, 0x7fffffff, -0x80000000, 0x10000, 0xfffffff];

function mutate(random: () => number, seed: Uint8Array): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  const roll = random();
  if (roll < 0.05) {
    return Uint8Array.from({ length: pick(200) }, () => pick(256));
  }
  if (roll < 0.08) {
    const out = Uint8Array.from({ length: 8 + pick(300) }, () => pick(256));
    new DataView(out.buffer).setInt32(0, -1, true);
    new DataView(out.buffer).setInt32(4, pick(out.length), true);
    return out;
  }
  let bytes: Uint8Array = seed.slice();
  const operations = 1 + pick(3);
  for (let op = 0; op < operations && bytes.length > 0; op++) {
    const at = pick(bytes.length);
    switch (pick(7)) {
      case 0:
        bytes[at]! ^= 1 << pick(8);
        break;
      case 1:
        bytes[at] = [0, 0xff, 0x7f, 0x80, 1][pick(5)]!;
        break;
      case 2:
        bytes = bytes.slice(0, at);
        break;
      case 3:
        if (at + 4 <= bytes.length) {
          new DataView(bytes.buffer).setInt32(
            at,
            INTERESTING_32[pick(INTERESTING_32.length)]!,
            true,
          );
        }
        break;
      case 4:
        if (at + 8 <= bytes.length) {
          new DataView(bytes.buffer).setBigInt64(
            at,
            [0n, -1n, 1n << 40n, 1n << 62n, 1n << 31n][pick(5)]!,
            true,
          );
        }
        break;
      case 5: {
        const end = Math.min(bytes.length, at + 1 + pick(32));
        bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(end)]);
        break;
      }
      default: {
        const end = Math.min(bytes.length, at + 1 + pick(64));
        bytes = concatBytes([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
    }
  }
  return bytes;
}

async function* chunksOf(random: () => number, bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (random() < 0.7) {
    yield bytes;
    return;
  }
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 64);
    yield bytes.slice(at, at + size);
    at += size;
  }
}

/** Signs that a length from the data reached an allocation. */
const ALLOCATION = /allocation failed|invalid (typed )?array length|array buffer|out of memory/i;

describe('Arrow decoder under hostile input', () => {
  it(`ends ${INPUTS} random and mutated inputs in a TfstreamError or in records`, async () => {
    const random = prng(SEED);
    const seeds = [...tfstreamSeeds(), ...arrowJsSeeds()];
    const codes = new Map<string, number>();
    let records = 0;
    let deadLetters = 0;
    let slowest = 0;
    let peakArrayBuffers = 0;
    for (let n = 0; n < INPUTS; n++) {
      const seed = seeds[n % seeds.length]!;
      const input = mutate(random, seed.bytes);
      const started = performance.now();
      try {
        if (random() < 0.8) {
          const options = {
            schema: seed.schema,
            batchSize: 2,
            onError: n % 2 === 0 ? ('fail' as const) : ('skip' as const),
            onDeadLetter: () => {
              deadLetters++;
            },
          };
          for await (const batch of arrowFormat.decode(chunksOf(random, input), options)) {
            records += batch.toObjects().length;
          }
        } else {
          for await (const record of arrowFormat.sample(chunksOf(random, input))) {
            records += record.size > 0 ? 1 : 0;
          }
        }
      } catch (error) {
        if (!(error instanceof TfstreamError)) {
          throw new Error(`input ${n} (from ${seed.name}) threw ${String(error)}`, {
            cause: error,
          });
        }
        if (error.message.includes('the stream is corrupt (unexpected')) {
          // The safety net caught what no check did: a gap to close.
          throw new Error(
            `input ${n} (from ${seed.name}) slipped past the checks: ${error.message}`,
            { cause: error },
          );
        }
        const cause = String((error.cause as Error | undefined)?.message ?? '');
        if (ALLOCATION.test(cause) || ALLOCATION.test(error.message)) {
          throw new Error(
            `input ${n} (from ${seed.name}) reached an allocation: ${error.message}`,
            { cause: error },
          );
        }
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - started);
      if (n % 1000 === 0) {
        peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
      }
    }
    expect(slowest).toBeLessThan(1000);
    expect(peakArrayBuffers).toBeLessThan(256 * 1024 * 1024);
    expect(records).toBeGreaterThan(0);
    expect(deadLetters).toBeGreaterThan(0);
    expect(codes.get('CODEC_MALFORMED')).toBeGreaterThan(0);
  }, 120_000);
});
