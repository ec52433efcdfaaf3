import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordBatch } from '@tfstream/codecs';
import type { Field, FieldJson, Schema, Value } from '@tfstream/schema';
import { defineSchema, isTfstreamError } from '@tfstream/schema';
import { concatBatches, sliceBatch } from './batch-slices.js';
import { decodeRecordBody, encodeRecordBody } from './record-body.js';

/** Fields of every storage kind: fixed width (8 to 64 bits), bool, variable width; all shapes. */
const FIELD_KINDS: readonly Omit<FieldJson, 'name'>[] = [
  { type: 'int32' },
  { type: 'int64', nullable: true },
  { type: 'float32', shape: [2] },
  { type: 'float64', shape: 'list', nullable: true },
  { type: 'bool', nullable: true },
  { type: 'uint8', shape: 'list' },
  { type: 'string', nullable: true },
  { type: 'string', shape: 'list' },
  { type: 'bytes', shape: [2], nullable: true },
];

function arbElement(field: Field): fc.Arbitrary<Value> {
  switch (field.type) {
    case 'int32':
      return fc.integer();
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float32':
      return fc.float({ noDefaultInfinity: true, noNaN: true }).map((v) => (v === 0 ? 0 : v));
    case 'float64':
      return fc.double({ noNaN: true }).map((v) => (v === 0 ? 0 : v));
    case 'bool':
      return fc.boolean();
    case 'uint8':
      return fc.integer({ min: 0, max: 255 });
    case 'bytes':
      return fc.uint8Array({ maxLength: 5 });
    default:
      return fc.string({ unit: 'grapheme', maxLength: 6 });
  }
}

function arbValue(field: Field): fc.Arbitrary<Value> {
  const element = arbElement(field);
  const value: fc.Arbitrary<Value> =
    field.shape === 'scalar'
      ? element
      : field.shape === 'list'
        ? fc.array(element, { maxLength: 4 })
        : fc.array(element, { minLength: 2, maxLength: 2 });
  return field.nullable ? fc.option(value, { nil: null, freq: 4 }) : value;
}

const arbBatch: fc.Arbitrary<{ schema: Schema; rows: Record<string, Value>[] }> = fc
  .subarray([...FIELD_KINDS], { minLength: 1 })
  .chain((kinds) => {
    const schema = defineSchema(kinds.map((kind, i) => ({ ...kind, name: `f${i}` })));
    const row = fc.record(
      Object.fromEntries(schema.fields.map((field) => [field.name, arbValue(field)])),
    );
    return fc.array(row, { maxLength: 12 }).map((rows) => ({ schema, rows }));
  });

/** The body placed `shift` bytes into a larger buffer, as a frame body lies in a socket chunk. */
function shifted(body: Uint8Array, shift: number): Uint8Array {
  const buffer = new Uint8Array(body.length + shift + 3);
  buffer.set(body, shift);
  return buffer.subarray(shift, shift + body.length);
}

/** What `decode` gives: a batch, or the error it threw. */
function outcomeOf(decode: () => RecordBatch): RecordBatch | unknown {
  try {
    return decode();
  } catch (error) {
    return error;
  }
}

describe('record bodies', () => {
  it('decode to the rows they were encoded from, for slices too, wherever the body lies', () => {
    fc.assert(
      fc.property(
        arbBatch,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        ({ schema, rows }, a, b, shift) => {
          const batch = RecordBatch.fromRows(schema, rows);
          const start = rows.length === 0 ? 0 : a % (rows.length + 1);
          const end = start + (rows.length === 0 ? 0 : b % (rows.length - start + 1));
          const slice = sliceBatch(batch, start, end);
          const decoded = decodeRecordBody(shifted(encodeRecordBody(slice), shift), schema, 'x');
          expect(decoded.numRows).toBe(end - start);
          expect(decoded.toObjects()).toEqual(rows.slice(start, end).map((row) => ({ ...row })));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('join slices back into the batch they were cut from, in memory and in one body', () => {
    fc.assert(
      fc.property(arbBatch, fc.array(fc.nat(), { maxLength: 4 }), ({ schema, rows }, cuts) => {
        const batch = RecordBatch.fromRows(schema, rows);
        const at = [...new Set(cuts.map((cut) => cut % (rows.length + 1)))].sort((x, y) => x - y);
        const bounds = [0, ...at, rows.length];
        const parts = bounds.slice(1).map((end, i) => sliceBatch(batch, bounds[i]!, end));
        expect(concatBatches(schema, parts).toObjects()).toEqual(batch.toObjects());
        // Consecutive batches encode as one body, as if they were one batch.
        const body = encodeRecordBody(parts);
        expect(decodeRecordBody(body, schema, 'x').toObjects()).toEqual(batch.toObjects());
      }),
      { numRuns: 300 },
    );
  });

  it('turn every corrupted body into a PROTOCOL_ERROR or a batch, never a crash', () => {
    const schema = defineSchema(FIELD_KINDS.map((kind, i) => ({ ...kind, name: `f${i}` })));
    const rows = fc.sample(
      fc.array(
        fc.record(Object.fromEntries(schema.fields.map((field) => [field.name, arbValue(field)]))),
        { minLength: 3, maxLength: 6 },
      ),
      { numRuns: 1, seed: 7 },
    )[0]!;
    const valid = encodeRecordBody(RecordBatch.fromRows(schema, rows));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        (edits, cut) => {
          const bytes = valid.slice(0, cut === undefined ? valid.length : cut % valid.length);
          for (const [at, value] of edits) {
            if (bytes.length > 0) {
              bytes[at % bytes.length] = value;
            }
          }
          const outcome = outcomeOf(() => decodeRecordBody(bytes, schema, 'corrupt'));
          expect(
            outcome instanceof RecordBatch ||
              (isTfstreamError(outcome) && outcome.code === 'PROTOCOL_ERROR'),
          ).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('says which field of a body is cut short', () => {
    const schema = defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
    ]);
    const body = encodeRecordBody(RecordBatch.fromRows(schema, [{ id: 1n, name: 'a' }]));
    expect(() =>
      decodeRecordBody(body.subarray(0, body.length - 8), schema, 'input batch 3'),
    ).toThrow(/PROTOCOL_ERROR: input batch 3: a corrupt record batch body: field "name"/);
    expect(() => decodeRecordBody(undefined, schema, 'input batch 3')).toThrow(/has no body/);
    expect(() =>
      decodeRecordBody(body, defineSchema([{ name: 'id', type: 'int64' }]), 'output 2'),
    ).toThrow(/2 columns, the schema 1 fields/);
  });
});
