import type { Field, Schema, Value } from '@tfstream/schema';
import { TfstreamError, fieldIndex, isTensorShape } from '@tfstream/schema';
import type { Column } from './column.js';
import { elementRange, isValid } from './column.js';
import { ColumnBuilder } from './column-builder.js';

// ignoreBOM: a string element may begin with U+FEFF, which the default decoder would drop.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One element of a column as its logical value. */
export function elementValue(
  column: Column,
  index: number,
): Exclude<Value, null | readonly Value[]> {
  const type = column.field.type;
  if (column.data !== undefined) {
    const bytes = column.data.subarray(
      column.valueOffsets![index],
      column.valueOffsets![index + 1],
    );
    return type === 'bytes' ? bytes.slice() : decoder.decode(bytes);
  }
  const value = column.values![index]!;
  if (type === 'bool') {
    return value === 1;
  }
  return value;
}

/** A row's value of one column: an element, an array (list), nested arrays (tensor), or null. */
export function columnValue(column: Column, row: number): Value {
  if (!isValid(column, row)) {
    return null;
  }
  const shape = column.field.shape;
  const [start, end] = elementRange(column, row);
  if (shape === 'scalar') {
    return elementValue(column, start);
  }
  if (shape === 'list' || shape.length === 1) {
    const out: Value[] = new Array<Value>(end - start);
    for (let i = start; i < end; i++) {
      out[i - start] = elementValue(column, i);
    }
    return out;
  }
  return nest(column, shape, 0, start);
}

function nest(column: Column, shape: readonly number[], depth: number, start: number): Value[] {
  const dim = shape[depth]!;
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) {
    stride *= shape[d]!;
  }
  const out: Value[] = new Array<Value>(dim);
  for (let i = 0; i < dim; i++) {
    out[i] =
      depth === shape.length - 1
        ? elementValue(column, start + i)
        : nest(column, shape, depth + 1, start + i * stride);
  }
  return out;
}

/** A read-only view of one row of a {@link RecordBatch}; it copies nothing until asked. */
export class RowView {
  constructor(
    readonly batch: RecordBatch,
    readonly index: number,
  ) {}

  /** The value of a field, by name or position. */
  get(field: string | number): Value {
    return this.batch.get(this.index, field);
  }

  /** The row as a plain object keyed by field name. */
  toObject(): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const column of this.batch.columns) {
      out[column.field.name] = columnValue(column, this.index);
    }
    return out;
  }
}

/**
 * Records in columnar form: one {@link Column} per schema field, all of `numRows` rows. Every codec
 * decodes into it and encodes from it; rows are views on it.
 *
 * @example
 * ```ts
 * const batch = RecordBatch.fromRows(schema, [{ id: 1n, label: 'cat' }]);
 * batch.get(0, 'label'); // 'cat'
 * batch.column('id').values; // BigInt64Array [1n]
 * ```
 */
export class RecordBatch {
  readonly schema: Schema;
  readonly columns: readonly Column[];
  readonly numRows: number;

  constructor(schema: Schema, columns: readonly Column[]) {
    if (columns.length !== schema.fields.length) {
      throw new Error(
        `a batch of ${schema.fields.length} fields was given ${columns.length} columns`,
      );
    }
    this.schema = schema;
    this.columns = columns;
    this.numRows = columns[0]?.length ?? 0;
  }

  /** Builds a batch from plain row objects, checking each value against the schema. */
  static fromRows(schema: Schema, rows: Iterable<Record<string, unknown>>): RecordBatch {
    const builder = new RecordBatchBuilder(schema);
    let record = 0;
    for (const row of rows) {
      record++;
      builder.appendRow(row, record);
    }
    return builder.finish();
  }

  /** An empty batch of the schema. */
  static empty(schema: Schema): RecordBatch {
    return new RecordBatchBuilder(schema, 1).finish();
  }

  /** The column of a field, by name or position. */
  column(field: string | number): Column {
    const index = typeof field === 'number' ? field : fieldIndex(this.schema, field);
    const column = this.columns[index];
    if (column === undefined) {
      throw new TfstreamError(
        'CODEC_UNKNOWN_FIELD',
        `the batch has no field ${JSON.stringify(field)}`,
      );
    }
    return column;
  }

  /** The value at a row and field. */
  get(row: number, field: string | number): Value {
    return columnValue(this.column(field), row);
  }

  /** A view of one row. */
  row(index: number): RowView {
    return new RowView(this, index);
  }

  *rows(): IterableIterator<RowView> {
    for (let i = 0; i < this.numRows; i++) {
      yield new RowView(this, i);
    }
  }

  /** Every row as a plain object. */
  toObjects(): Record<string, Value>[] {
    const out: Record<string, Value>[] = [];
    for (let i = 0; i < this.numRows; i++) {
      out.push(new RowView(this, i).toObject());
    }
    return out;
  }
}

/**
 * Builds a {@link RecordBatch} record by record, with all-or-nothing records: a record that fails
 * halfway is rolled back in every column.
 */
export class RecordBatchBuilder {
  readonly schema: Schema;
  readonly builders: readonly ColumnBuilder[];
  private readonly byName: Map<string, number>;

  constructor(schema: Schema, capacity = 1024) {
    this.schema = schema;
    this.builders = schema.fields.map((field) => new ColumnBuilder(field, capacity));
    this.byName = new Map(schema.fields.map((field, i) => [field.name, i]));
  }

  /** Records committed so far. */
  get length(): number {
    return this.builders[0]?.length ?? this.emptyRows;
  }

  private emptyRows = 0;

  /** Index of a field by name, or -1. */
  indexOf(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /** Starts a record; pair with {@link commitRecord} or {@link rollbackRecord}. */
  beginRecord(): void {
    for (const builder of this.builders) {
      builder.mark();
    }
  }

  /** Keeps the record. Every column must have committed exactly one row since {@link beginRecord}. */
  commitRecord(): void {
    if (this.builders.length === 0) {
      this.emptyRows++;
    }
  }

  /** Undoes the record in every column. */
  rollbackRecord(): void {
    for (const builder of this.builders) {
      builder.rollback();
    }
  }

  /**
   * Appends one record from a plain object. Absent keys are null; keys that are not fields are an
   * error. On error nothing of the record is kept.
   * @param record - 1-based record number for error messages
   */
  appendRow(row: Record<string, unknown>, record?: number): void {
    this.beginRecord();
    let field: Field | undefined;
    try {
      for (const key of Object.keys(row)) {
        if (!this.byName.has(key)) {
          throw new TfstreamError(
            'CODEC_UNKNOWN_FIELD',
            `the schema has no field named ${JSON.stringify(key)}`,
          );
        }
      }
      for (const builder of this.builders) {
        field = builder.field;
        builder.append(row[field.name]);
      }
      this.commitRecord();
    } catch (error) {
      this.rollbackRecord();
      if (error instanceof TfstreamError) {
        throw error.at({
          ...(record === undefined ? {} : { record }),
          ...(field === undefined ? {} : { field: field.name }),
        });
      }
      throw error;
    }
  }

  /** The batch built so far. Call {@link reset} to start the next one. */
  finish(): RecordBatch {
    if (this.builders.length === 0) {
      return new RecordBatch(this.schema, []);
    }
    return new RecordBatch(
      this.schema,
      this.builders.map((builder) => builder.finish()),
    );
  }

  /** Forgets every record, keeping allocated memory. */
  reset(): void {
    this.emptyRows = 0;
    for (const builder of this.builders) {
      builder.reset();
    }
  }
}

/** Whether the field is a tensor whose elements a flat typed array can hold. */
export function isFixedSize(field: Field): boolean {
  return field.shape === 'scalar' || isTensorShape(field.shape);
}
