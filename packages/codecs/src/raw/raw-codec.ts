import type { Field, Schema } from '@tfstream/schema';
import { TfstreamError, fieldLabel } from '@tfstream/schema';
import type { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import type { RecordCodec } from '../format.js';

const WHAT =
  'the raw codec carries exactly one non-null scalar bytes field, a record being its bytes as they are';

function unsupported(detail: string, field?: Field): TfstreamError {
  return new TfstreamError(
    'CODEC_UNSUPPORTED_TYPE',
    detail,
    field === undefined ? {} : { field: field.name },
  );
}

/** Why `field` cannot be the raw codec's field, or `undefined` when it can. */
function fieldProblem(field: Field): string | undefined {
  if (field.type !== 'bytes') {
    return `${WHAT}, not ${fieldLabel(field)}; declare the field bytes, or use the example or json codec for typed fields`;
  }
  if (field.shape !== 'scalar') {
    return `${WHAT}, not ${fieldLabel(field)}; use the example or json codec for lists and tensors`;
  }
  if (field.nullable) {
    return `${WHAT}; make the field non-nullable: a raw record cannot be null (an empty record is an empty byte string, not null)`;
  }
  return undefined;
}

/**
 * The raw record codec: a record is the value of the schema's one `bytes` field, carried as it
 * is, with no framing or encoding of its own (the container frames it: a TFRecord, a message).
 *
 * Null cannot be carried: every byte string, the empty one included, is a value, so the field
 * must be non-nullable; this is checked when the codec is configured.
 *
 * `encodeRecord` returns a view of the batch's bytes, not a copy.
 *
 * @example
 * ```ts
 * const schema = defineSchema([{ name: 'image', type: 'bytes' }]);
 * rawCodec.checkSchema(schema);
 * const bytes = rawCodec.encodeRecord(RecordBatch.fromRows(schema, [{ image: png }]), 0); // png
 * ```
 */
export const rawCodec: RecordCodec = {
  name: 'raw',

  checkSchema(schema: Schema): void {
    const fields = schema.fields;
    if (fields.length === 0) {
      throw unsupported(`${WHAT}; the schema has no field`);
    }
    if (fields.length > 1) {
      throw unsupported(
        `${WHAT}; the schema has ${fields.length} fields, use the example or json codec for several`,
        fields[1],
      );
    }
    const problem = fieldProblem(fields[0]!);
    if (problem !== undefined) {
      throw unsupported(problem, fields[0]);
    }
  },

  encodeRecord(batch: RecordBatch, row: number): Uint8Array {
    const column = batch.columns[0];
    if (
      batch.columns.length !== 1 ||
      column === undefined ||
      fieldProblem(column.field) !== undefined
    ) {
      rawCodec.checkSchema(batch.schema);
    }
    if (row < 0 || row >= batch.numRows) {
      throw new RangeError(`row ${row} is outside the batch of ${batch.numRows} rows`);
    }
    const offsets = column!.valueOffsets!;
    return column!.data!.subarray(offsets[row], offsets[row + 1]);
  },

  decodeRecord(bytes: Uint8Array, builder: RecordBatchBuilder): void {
    const column = builder.builders[0];
    if (
      builder.builders.length !== 1 ||
      column === undefined ||
      fieldProblem(column.field) !== undefined
    ) {
      rawCodec.checkSchema(builder.schema);
    }
    column!.pushBytes(bytes);
    column!.commitRow();
  },
};
