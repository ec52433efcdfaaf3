import * as tfjs from '@tensorflow/tfjs';
import type { Column, ColumnBuilder, NumericArray } from '@tfstream/codecs';
import { RecordBatch, RecordBatchBuilder } from '@tfstream/codecs';
import type { Field, Schema } from '@tfstream/schema';
import {
  TfstreamError,
  elementCount,
  fieldLabel,
  isTfstreamError,
  preview,
} from '@tfstream/schema';
import type { RecordKey } from './batch.js';

/** Output as rows: one plain object per row, keyed by output field name. */
export type OutputRows = readonly Readonly<Record<string, unknown>>[];

/**
 * One output field's values for every row: a tensor whose first dimension is the rows, a typed
 * array of `rows × elements per row` values (scalar and fixed-shape fields), or a plain array of
 * one value per row (as `RecordBatch.fromRows` takes it).
 */
export type OutputColumn = tfjs.Tensor | NumericArray | readonly unknown[];

/** Output as columns: one {@link OutputColumn} per output field name. */
export type OutputColumns = Readonly<Record<string, OutputColumn>>;

/** What model code writes: rows or columns. */
export type OutputData = OutputRows | OutputColumns;

/** A batch of output records on its way to the runtime, with the keys of the inputs. */
export interface OutputBatch {
  readonly records: RecordBatch;
  /** One per row: the key of the input record each row answers, when the writer was given keys. */
  readonly keys: readonly RecordKey[] | undefined;
}

/** Options of {@link BatchWriter.write}. */
export interface WriteOptions {
  /** The input keys the rows answer, one per row, usually `batch.keys`. */
  readonly keys?: readonly RecordKey[];
}

/**
 * Builds a {@link RecordBatch} of the output schema from rows or from tensors / typed arrays per
 * field, checking every value.
 *
 * Columns: a scalar field takes a tensor of shape `[rows]` or `[rows, 1]`; a fixed-shape field
 * `[rows, ...shape]` or `[rows, elements]`; a list field `[rows, n]` (every row gets n elements).
 * dtypes: integer, date, time and timestamp fields take `int32` tensors; float fields `float32`
 * or `int32`; bool fields `bool`; string, char and decimal fields `string` tensors; bytes fields
 * `string` tensors holding bytes. A nullable field may be left out (every row null).
 *
 * @throws TfstreamError `OUTPUT_SCHEMA_MISMATCH` naming the field (and the row, counted from 0)
 * @example
 * ```ts
 * const predictions = model.predict(xs) as tf.Tensor; // float32 [rows, 3]
 * const out = await tensorsToBatch(outputSchema, {
 *   species: predictions.argMax(1), // int32 [rows] into an int64 field
 *   probabilities: predictions,     // into a float32[3] field
 * });
 * ```
 */
export async function tensorsToBatch(schema: Schema, data: OutputData): Promise<RecordBatch> {
  if (Array.isArray(data)) {
    return rowsToBatch(schema, data as OutputRows);
  }
  if (typeof data !== 'object' || data === null) {
    throw new TfstreamError(
      'OUTPUT_SCHEMA_MISMATCH',
      `expected an array of rows or an object of columns keyed by output field, got ${preview(data)}`,
    );
  }
  return columnsToBatch(schema, data as OutputColumns);
}

/**
 * The engine of `ctx.writer()`: checks what model code writes against the output schema, builds
 * record batches and hands them to a sink (the runtime). Each `write` makes one output batch.
 *
 * @example
 * ```ts
 * const writer = ctx.writer();
 * for await (const batch of ctx.reader({ batchSize: 128 })) {
 *   const probabilities = model.predict(features(batch)) as tf.Tensor;
 *   await writer.write({ label: probabilities.argMax(1), probabilities }, { keys: batch.keys });
 * }
 * ```
 */
export class BatchWriter {
  readonly schema: Schema;
  private readonly sink: (output: OutputBatch) => Promise<void>;
  private written = 0;

  constructor(schema: Schema, sink: (output: OutputBatch) => Promise<void>) {
    this.schema = schema;
    this.sink = sink;
  }

  /** Rows written so far. */
  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Checks and writes rows or columns as one output batch, resolving when the runtime took it.
   * @throws TfstreamError `OUTPUT_SCHEMA_MISMATCH` naming the field and row; nothing is written
   */
  async write(data: OutputData, options: WriteOptions = {}): Promise<RecordBatch> {
    const records = await tensorsToBatch(this.schema, data);
    const keys = options.keys;
    if (keys !== undefined && keys.length !== records.numRows) {
      throw new TfstreamError(
        'OUTPUT_SCHEMA_MISMATCH',
        `${records.numRows} rows were written with ${keys.length} keys; write one row per input record, with batch.keys`,
      );
    }
    await this.sink({ records, keys });
    this.written += records.numRows;
    return records;
  }
}

function mismatch(detail: string, field?: string, cause?: unknown): TfstreamError {
  return new TfstreamError(
    'OUTPUT_SCHEMA_MISMATCH',
    detail,
    field === undefined ? {} : { field },
    cause === undefined ? undefined : { cause },
  );
}

function fieldList(schema: Schema): string {
  return schema.fields.map((f) => `${f.name} (${fieldLabel(f)})`).join(', ');
}

function rowsToBatch(schema: Schema, rows: OutputRows): RecordBatch {
  const builder = new RecordBatchBuilder(schema, Math.max(1, rows.length));
  rows.forEach((row, index) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw mismatch(`row ${index}: expected an object keyed by output field, got ${preview(row)}`);
    }
    const plain: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      if (builder.indexOf(name) < 0) {
        throw mismatch(
          `row ${index}: the output schema has no field ${JSON.stringify(name)}; its fields are ${fieldList(schema)}`,
          name,
        );
      }
      plain[name] = value instanceof tfjs.Tensor ? value.arraySync() : value;
    }
    try {
      builder.appendRow(plain);
    } catch (error) {
      throw rowError(error, index);
    }
  });
  return builder.finish();
}

function rowError(error: unknown, row: number): unknown {
  if (!isTfstreamError(error)) {
    return error;
  }
  return mismatch(`row ${row}: ${error.detail} (${error.code})`, error.location.field, error);
}

/** A column of output values prepared for pushing row by row. */
interface PreparedColumn {
  readonly rows: number;
  /** Pushes the elements of one row into the builder, or appends null / the row's value. */
  push(builder: ColumnBuilder, row: number): void;
  /**
   * The whole column at once, when its values need no check element by element (a float32 tensor
   * into a float32 field, int32 class ids into an int32 or int64 field, …); undefined otherwise.
   */
  bulk?(): Column | undefined;
}

async function columnsToBatch(schema: Schema, columns: OutputColumns): Promise<RecordBatch> {
  const fields = new Map(schema.fields.map((field) => [field.name, field]));
  for (const name of Object.keys(columns)) {
    if (!fields.has(name)) {
      throw mismatch(
        `the output schema has no field ${JSON.stringify(name)}; its fields are ${fieldList(schema)}`,
        name,
      );
    }
  }
  const prepared = new Map<string, PreparedColumn>();
  let rows: number | undefined;
  let rowsFrom = '';
  for (const field of schema.fields) {
    const column = columns[field.name];
    if (column === undefined) {
      if (!field.nullable) {
        throw mismatch(
          `missing: the field is ${fieldLabel(field)}, not nullable, so every output needs it`,
          field.name,
        );
      }
      continue;
    }
    const ready = await prepare(field, column);
    if (rows !== undefined && ready.rows !== rows) {
      throw mismatch(
        `has ${ready.rows} rows but ${JSON.stringify(rowsFrom)} has ${rows}; every output field needs one value per row`,
        field.name,
      );
    }
    rows = ready.rows;
    rowsFrom = field.name;
    prepared.set(field.name, ready);
  }
  const count = rows ?? 0;
  const bulk = bulkColumns(schema, prepared);
  if (bulk !== undefined) {
    return new RecordBatch(schema, bulk);
  }
  const builder = new RecordBatchBuilder(schema, Math.max(1, count));
  for (let row = 0; row < count; row++) {
    builder.beginRecord();
    let current: Field | undefined;
    try {
      for (const columnBuilder of builder.builders) {
        current = columnBuilder.field;
        const ready = prepared.get(current.name);
        if (ready === undefined) {
          columnBuilder.appendNull();
        } else {
          ready.push(columnBuilder, row);
        }
      }
      builder.commitRecord();
    } catch (error) {
      builder.rollbackRecord();
      if (isTfstreamError(error)) {
        throw mismatch(`row ${row}: ${error.detail} (${error.code})`, current?.name, error);
      }
      throw error;
    }
  }
  return builder.finish();
}

async function prepare(field: Field, column: OutputColumn): Promise<PreparedColumn> {
  if (column instanceof tfjs.Tensor) {
    return prepareTensor(field, column);
  }
  if (ArrayBuffer.isView(column)) {
    return prepareTypedArray(field, column as NumericArray);
  }
  if (Array.isArray(column)) {
    const values = column as readonly unknown[];
    return {
      rows: values.length,
      push(builder, row) {
        const value = values[row];
        builder.append(value instanceof tfjs.Tensor ? value.arraySync() : value);
      },
    };
  }
  throw mismatch(
    `expected a tensor, a typed array or an array of row values, got ${preview(column)}`,
    field.name,
  );
}

/** The tensor dtypes each field type accepts. */
function acceptedDtypes(field: Field): readonly string[] {
  switch (field.type) {
    case 'float32':
    case 'float64':
      return ['float32', 'int32'];
    case 'bool':
      return ['bool'];
    case 'string':
    case 'char':
    case 'decimal':
    case 'bytes':
      return ['string'];
    default:
      return ['int32'];
  }
}

async function prepareTensor(field: Field, tensor: tfjs.Tensor): Promise<PreparedColumn> {
  const accepted = acceptedDtypes(field);
  if (!accepted.includes(tensor.dtype)) {
    const advice =
      accepted[0] === 'int32' && tensor.dtype === 'float32'
        ? '; round and cast it first, e.g. tf.cast(tf.round(x), "int32"), or argMax for class ids'
        : '';
    throw mismatch(
      `a ${tensor.dtype} tensor cannot be written to ${fieldLabel(field)}; it takes ${accepted.join(' or ')}${advice}`,
      field.name,
    );
  }
  if (tensor.rank === 0) {
    throw mismatch(
      'a scalar tensor has no rows; its first dimension must be the rows (shape [rows, ...])',
      field.name,
    );
  }
  const rows = tensor.shape[0]!;
  const perRow = elementsPerRow(field, tensor.shape);
  let values: ArrayLike<unknown>;
  if (tensor.dtype === 'string') {
    values =
      field.type === 'bytes'
        ? ((await tensor.bytes()) as Uint8Array[])
        : ((await tensor.data()) as unknown as string[]);
  } else {
    values = await tensor.data();
  }
  const isBool = tensor.dtype === 'bool';
  return {
    rows,
    push(builder, row) {
      for (let i = row * perRow, end = i + perRow; i < end; i++) {
        builder.pushElement(isBool ? values[i] === 1 : values[i]);
      }
      builder.commitRow();
    },
    bulk: () =>
      ArrayBuffer.isView(values) && field.shape !== 'list'
        ? bulkColumn(field, values as NumericArray, rows * perRow)
        : undefined,
  };
}

/** Every field's column made at once, or undefined when one of them needs the row-by-row path. */
function bulkColumns(
  schema: Schema,
  prepared: ReadonlyMap<string, PreparedColumn>,
): Column[] | undefined {
  const columns: Column[] = [];
  for (const field of schema.fields) {
    const column = prepared.get(field.name)?.bulk?.();
    if (column === undefined) {
      return undefined;
    }
    columns.push(column);
  }
  return columns;
}

/**
 * A scalar or fixed-shape column from a typed array of `elements` values, when the conversion is
 * exact for every value (what `pushElement` would store); undefined when some value needs the
 * checks of the row-by-row path (a narrow integer type, a time unit, a string, …).
 */
function bulkColumn(field: Field, source: NumericArray, elements: number): Column | undefined {
  if (source.length !== elements) {
    return undefined;
  }
  let values: NumericArray | undefined;
  const ints = source instanceof Int32Array;
  switch (field.type) {
    case 'float32':
      values = source instanceof Float32Array || ints ? new Float32Array(source) : undefined;
      break;
    case 'float64':
      values =
        source instanceof Float32Array || source instanceof Float64Array || ints
          ? new Float64Array(source)
          : undefined;
      break;
    case 'int32':
    case 'date':
      values = ints ? new Int32Array(source) : undefined;
      break;
    case 'int64':
      if (ints || source instanceof BigInt64Array) {
        const out = new BigInt64Array(elements);
        for (let i = 0; i < elements; i++) {
          out[i] = BigInt(source[i]!);
        }
        values = out;
      }
      break;
    case 'bool':
      if (source instanceof Uint8Array) {
        const out = new Uint8Array(elements);
        for (let i = 0; i < elements; i++) {
          out[i] = source[i] === 0 ? 0 : 1;
        }
        values = out;
      }
      break;
    default:
      break;
  }
  if (values === undefined) {
    return undefined;
  }
  return {
    field,
    length: elements / elementCount(field.shape),
    validity: undefined,
    offsets: undefined,
    values,
    data: undefined,
    valueOffsets: undefined,
  };
}

/** Elements per row a tensor of `shape` gives the field; checks the shape. */
function elementsPerRow(field: Field, shape: readonly number[]): number {
  const dims = shape.slice(1);
  const perRow = dims.reduce((a, b) => a * b, 1);
  if (field.shape === 'list') {
    if (dims.length !== 1) {
      throw mismatch(
        `a tensor of shape [${shape.join(', ')}] cannot be written to list field ${fieldLabel(field)}; it takes [rows, n]`,
        field.name,
      );
    }
    return perRow;
  }
  const expected = elementCount(field.shape);
  const exact =
    field.shape === 'scalar'
      ? dims.length === 0 || (dims.length === 1 && dims[0] === 1)
      : (dims.length === field.shape.length &&
          dims.every((d, i) => d === (field.shape as number[])[i])) ||
        (dims.length === 1 && dims[0] === expected);
  if (!exact) {
    const wanted =
      field.shape === 'scalar'
        ? '[rows] or [rows, 1]'
        : `[rows, ${field.shape.join(', ')}] or [rows, ${expected}]`;
    throw mismatch(
      `a tensor of shape [${shape.join(', ')}] cannot be written to ${fieldLabel(field)}; it takes ${wanted}`,
      field.name,
    );
  }
  return expected;
}

function prepareTypedArray(field: Field, array: NumericArray): PreparedColumn {
  if (field.shape === 'list') {
    throw mismatch(
      `a flat typed array cannot say where each row's list ends; write ${fieldLabel(field)} as a [rows, n] tensor or an array of arrays`,
      field.name,
    );
  }
  const perRow = elementCount(field.shape);
  if (perRow === 0 || array.length % perRow !== 0) {
    throw mismatch(
      `${array.length} values do not make whole rows of ${perRow} elements for ${fieldLabel(field)}`,
      field.name,
    );
  }
  const isBig = array instanceof BigInt64Array || array instanceof BigUint64Array;
  const isFloat = array instanceof Float32Array || array instanceof Float64Array;
  const kindOk =
    field.type === 'bool'
      ? array instanceof Uint8Array
      : field.type === 'float32' || field.type === 'float64'
        ? !isBig
        : isIntegerLike(field) && !isFloat;
  if (!kindOk) {
    throw mismatch(
      `a ${array.constructor.name} cannot be written to ${fieldLabel(field)}`,
      field.name,
    );
  }
  const isBool = field.type === 'bool';
  return {
    rows: array.length / perRow,
    push(builder, row) {
      for (let i = row * perRow, end = i + perRow; i < end; i++) {
        builder.pushElement(isBool ? array[i] !== 0 : array[i]);
      }
      builder.commitRow();
    },
    // A float64 array into a float32 field may overflow; the row-by-row path says where.
    bulk: () =>
      field.type === 'float32' && !(array instanceof Float32Array)
        ? undefined
        : bulkColumn(field, array, array.length),
  };
}

function isIntegerLike(field: Field): boolean {
  switch (field.type) {
    case 'string':
    case 'bytes':
    case 'char':
    case 'decimal':
    case 'bool':
    case 'float32':
    case 'float64':
      return false;
    default:
      return true;
  }
}
