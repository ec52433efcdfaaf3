import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldJson } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { DecodeContext } from '../batch/decode-context.js';
import { RecordBatch } from '../batch/record-batch.js';
import { arbFieldJson, arbSchema, assertSameRows } from '../test-support/arbitraries.js';
import { rawCodec } from './raw-codec.js';

const schema = defineSchema([{ name: 'payload', type: 'bytes' }]);

function isRawField(field: FieldJson): boolean {
  return (
    field.type === 'bytes' && (field.shape ?? 'scalar') === 'scalar' && field.nullable !== true
  );
}

/** A TfstreamError of code CODEC_UNSUPPORTED_TYPE located at `field`. */
function unsupportedAt(field: string | undefined): unknown {
  return expect.objectContaining({
    name: 'TfstreamError',
    code: 'CODEC_UNSUPPORTED_TYPE',
    location: field === undefined ? {} : { field },
  });
}

describe('rawCodec', () => {
  it('carries any bytes, the empty record included, exactly as they are', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (records) => {
        const batch = RecordBatch.fromRows(
          schema,
          records.map((payload) => ({ payload })),
        );
        const ctx = new DecodeContext({ schema, batchSize: 1000 });
        records.forEach((_, row) => {
          const bytes = rawCodec.encodeRecord(batch, row);
          expect(bytes).toEqual(records[row]);
          ctx.decodeRecord((builder) => rawCodec.decodeRecord(bytes, builder), bytes);
        });
        const decoded = ctx.flush()?.toObjects() ?? [];
        assertSameRows(
          decoded,
          records.map((payload) => ({ payload })),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('accepts one non-nullable scalar bytes field, whatever its name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 10 }), (name) => {
        rawCodec.checkSchema(defineSchema([{ name, type: 'bytes' }]));
      }),
    );
  });

  it('rejects every other single field at schema time, naming it and what to use instead', () => {
    fc.assert(
      fc.property(
        arbFieldJson('f').filter((field) => !isRawField(field)),
        (field) => {
          const check = (): void => rawCodec.checkSchema(defineSchema([field]));
          expect(check).toThrow(unsupportedAt('f'));
          expect(check).toThrow(/exactly one non-null scalar bytes field/);
          expect(check).toThrow(/declare the field bytes|example or json codec|non-nullable/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects every schema of several fields, naming the second one', () => {
    fc.assert(
      fc.property(
        arbSchema().filter((s) => s.fields.length > 1),
        (several) => {
          const check = (): void => rawCodec.checkSchema(several);
          expect(check).toThrow(unsupportedAt(several.fields[1]!.name));
          expect(check).toThrow('use the example or json codec for several');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects a nullable bytes field, since null and the empty record cannot be told apart', () => {
    expect(() =>
      rawCodec.checkSchema(defineSchema([{ name: 'payload', type: 'bytes', nullable: true }])),
    ).toThrow(
      'CODEC_UNSUPPORTED_TYPE: field "payload": the raw codec carries exactly one non-null scalar bytes field, a record being its bytes as they are; make the field non-nullable',
    );
  });

  it('rejects a schema with no field', () => {
    expect(() => rawCodec.checkSchema(defineSchema([]))).toThrow(unsupportedAt(undefined));
    expect(() => rawCodec.checkSchema(defineSchema([]))).toThrow(/the schema has no field$/);
  });

  it('refuses to encode or decode with a schema it does not carry', () => {
    const other = defineSchema([{ name: 'text', type: 'string' }]);
    const batch = RecordBatch.fromRows(other, [{ text: 'a' }]);
    expect(() => rawCodec.encodeRecord(batch, 0)).toThrow('CODEC_UNSUPPORTED_TYPE');
    const ctx = new DecodeContext({ schema: other });
    expect(() =>
      ctx.decodeRecord((builder) => rawCodec.decodeRecord(new Uint8Array(1), builder)),
    ).toThrow('CODEC_UNSUPPORTED_TYPE');
  });
});
