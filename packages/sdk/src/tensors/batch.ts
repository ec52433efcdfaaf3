import * as tfjs from '@tensorflow/tfjs';
import type { Column, RecordBatch } from '@tfstream/codecs';
import type { Schema, Value } from '@tfstream/schema';
import { TfstreamError, fieldIndex } from '@tfstream/schema';
import type { ColumnToTensorOptions, TensorFactory } from './column-to-tensor.js';
import { columnToTensor } from './column-to-tensor.js';

/**
 * The key the runtime gave an input record (its position in the stream, or an id), which an
 * output row carries back so that results can be matched with their inputs.
 */
export type RecordKey = string | number | bigint;

/**
 * A batch of input records as model code sees it: tensors per field, plain rows, and the records'
 * keys. It wraps a columnar {@link RecordBatch} and copies nothing until asked.
 *
 * @example
 * ```ts
 * for await (const batch of ctx.reader({ batchSize: 256 })) {
 *   const xs = tf.stack([batch.tensor('bill_length_mm'), batch.tensor('body_mass_g')], 1);
 *   const labels = batch.tensor('species'); // int32 [rows]
 *   console.log(batch.numRows, batch.keys[0], batch.rows()[0]);
 * }
 * ```
 */
export class Batch {
  /** The records, one column per input field. */
  readonly records: RecordBatch;
  /** One key per row, in row order. */
  readonly keys: readonly RecordKey[];
  private readonly tf: TensorFactory;

  /**
   * @param keys - one per row; rows are keyed 0, 1, ... when omitted
   * @param tf - the tfjs namespace to make tensors with
   */
  constructor(records: RecordBatch, keys?: readonly RecordKey[], tf: TensorFactory = tfjs) {
    if (keys !== undefined && keys.length !== records.numRows) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `a batch of ${records.numRows} rows was given ${keys.length} keys; the runtime must key every row`,
      );
    }
    this.records = records;
    this.keys = keys ?? Array.from({ length: records.numRows }, (_, i) => i);
    this.tf = tf;
  }

  /** Number of rows. */
  get numRows(): number {
    return this.records.numRows;
  }

  /** The input schema. */
  get schema(): Schema {
    return this.records.schema;
  }

  /**
   * One field as a tensor of shape `[rows, ...]`; see {@link columnToTensor} for dtypes, nulls
   * (`fillNull`) and lists (`pad`). The caller owns the tensor (dispose it, or make it inside
   * `tf.tidy`).
   * @throws TfstreamError `CODEC_UNKNOWN_FIELD` for a field the input schema lacks,
   * `TENSOR_CONVERSION` when the values cannot become a tensor
   * @example
   * ```ts
   * const age = batch.tensor('age', { fillNull: 0 }); // int32 [rows]
   * const tokens = batch.tensor('tokens', { pad: { length: 32, value: 0 } }); // int32 [rows, 32]
   * ```
   */
  tensor(field: string, options?: ColumnToTensorOptions): tfjs.Tensor {
    return columnToTensor(this.tf, this.column(field), options);
  }

  /** The column of one field: its typed arrays, for code that needs the raw values. */
  column(field: string): Column {
    const index = fieldIndex(this.records.schema, field);
    if (index < 0) {
      throw new TfstreamError(
        'CODEC_UNKNOWN_FIELD',
        `the input has no field ${JSON.stringify(field)}; its fields are ${this.records.schema.fields.map((f) => f.name).join(', ')}`,
        { field },
      );
    }
    return this.records.columns[index]!;
  }

  /** Every row as a plain object keyed by field name (int64 as bigint, bytes as Uint8Array). */
  rows(): Record<string, Value>[] {
    return this.records.toObjects();
  }
}
