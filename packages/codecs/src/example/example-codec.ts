import type { Schema } from '@tfstream/schema';
import type { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import type { RecordCodec } from '../format.js';
import { exampleDecoderFor } from './example-decoder.js';
import { exampleEncoderFor } from './example-encoder.js';

/**
 * The tf.train.Example record codec (tensorflow/core/example/example.proto): one record is one
 * serialized Example with a feature per schema field, each type written as the type table of
 * `@tfstream/schema` says. Every type fits losslessly, so `checkSchema` accepts any schema.
 * Decoding ignores features the schema does not name, reads an absent feature or one without a
 * list as null, and accepts packed and unpacked lists.
 *
 * @example
 * ```ts
 * const bytes = exampleCodec.encodeRecord(batch, 0);
 * const builder = new RecordBatchBuilder(batch.schema);
 * builder.beginRecord();
 * exampleCodec.decodeRecord(bytes, builder);
 * builder.commitRecord();
 * ```
 */
export const exampleCodec: RecordCodec = {
  name: 'example',
  checkSchema(_schema: Schema): void {
    // int64_list, float_list and bytes_list carry every type losslessly (see the type table).
  },
  encodeRecord(batch: RecordBatch, row: number): Uint8Array {
    return exampleEncoderFor(batch.schema).encodeRecord(batch, row);
  },
  decodeRecord(bytes: Uint8Array, builder: RecordBatchBuilder): void {
    exampleDecoderFor(builder.schema).decode(bytes, builder);
  },
};
