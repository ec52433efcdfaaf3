// The Arrow IPC format (Arrow columnar format, "Serialization and Interprocess Communication
// (IPC)": https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc),
// streaming format written, streaming and file formats read, with tensors as the canonical
// extension `arrow.fixed_shape_tensor`.

import type { RecordBatch as ArrowRecordBatch, Schema as ArrowSchema } from 'apache-arrow';
import type {
  ErrorLocation,
  Field,
  SampleCell,
  SampleRecord,
  Schema,
  ScalarValue,
} from '@tfstream/schema';
import { TfstreamError, elementCount } from '@tfstream/schema';
import type { Column } from '../batch/column.js';
import { elementRange, isValid } from '../batch/column.js';
import { ColumnBuilder } from '../batch/column-builder.js';
import { DecodeContext } from '../batch/decode-context.js';
import { RecordBatch, columnValue, elementValue } from '../batch/record-batch.js';
import type { DecodeOptions, EncodeOptions, Format, SampleOptions } from '../format.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../format.js';
import { arrowSchemaToSchema, compatibility, mapArrowFields } from './arrow-schema.js';
import { ConversionReport, arrowDataToColumn } from './arrow-to-column.js';
import { ArrowStreamEncoder } from './arrow-encoder.js';
import type { IpcBatchSource } from './ipc-reader.js';
import { openIpcStream } from './ipc-reader.js';

/** Where a caller's field comes from in the Arrow stream: a column, or nowhere (all null). */
interface ColumnPlan {
  readonly field: Field;
  /** Index of the Arrow column, or -1 for a nullable field the stream does not have. */
  readonly index: number;
}

function fileLocation(source: string | undefined): { file?: string } {
  return source === undefined ? {} : { file: source };
}

/**
 * Any error that is not a TfstreamError, raised while reading the stream's own contents, means the
 * contents contradict themselves in a way no check caught: it is reported as CODEC_MALFORMED, so
 * that callers always get a TfstreamError, with the original as its cause.
 */
function asMalformed(error: unknown, location: ErrorLocation): TfstreamError {
  if (error instanceof TfstreamError) {
    return error.at(location);
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return new TfstreamError(
    'CODEC_MALFORMED',
    `the stream is corrupt (unexpected ${name}: ${message})`,
    location,
    {
      cause: error,
    },
  );
}

/**
 * Matches the caller's schema against the stream's, up front: every field is looked up by name,
 * and its Arrow type must hold the field's type (see `compatibility`). Arrow columns the schema
 * does not name are not read.
 * @throws TfstreamError `CODEC_TYPE_MISMATCH`, `CODEC_UNSUPPORTED_TYPE` or `CODEC_NULL_VALUE`
 *   naming the field
 */
function planColumns(arrowSchema: ArrowSchema, schema: Schema, source?: string): ColumnPlan[] {
  const mapped = mapArrowFields(arrowSchema);
  return schema.fields.map((field) => {
    const index = arrowSchema.fields.findIndex((f) => f.name === field.name);
    if (index < 0) {
      if (field.nullable) {
        return { field, index };
      }
      throw new TfstreamError(
        'CODEC_NULL_VALUE',
        `the Arrow stream has no column of this name (it has ${arrowSchema.fields.map((f) => JSON.stringify(f.name)).join(', ')}); declare the field nullable to read it as null`,
        { ...fileLocation(source), field: field.name },
      );
    }
    const fileField = mapped[index]!;
    if (fileField instanceof TfstreamError) {
      throw fileField.at(fileLocation(source));
    }
    const reason = compatibility(fileField, field);
    if (reason !== undefined) {
      throw new TfstreamError('CODEC_TYPE_MISMATCH', reason, {
        ...fileLocation(source),
        field: field.name,
      });
    }
    return { field, index };
  });
}

function nullColumn(field: Field, count: number): Column {
  const builder = new ColumnBuilder(field, Math.max(count, 1));
  for (let i = 0; i < count; i++) {
    builder.appendNull();
  }
  return builder.finish();
}

/** Rows `start .. start + count` of an Arrow batch as tfstream columns, with what they violate. */
function convertRange(
  batch: ArrowRecordBatch,
  plans: readonly ColumnPlan[],
  start: number,
  count: number,
): { columns: Column[]; report: ConversionReport } {
  const report = new ConversionReport();
  const columns = plans.map((plan) => {
    if (plan.index < 0) {
      return nullColumn(plan.field, count);
    }
    const data = batch.data.children[plan.index];
    if (data === undefined) {
      throw new TfstreamError('CODEC_MALFORMED', 'the record batch lacks this column', {
        field: plan.field.name,
      });
    }
    return arrowDataToColumn(data, plan.field, start, count, report);
  });
  return { columns, report };
}

/**
 * Converts an apache-arrow RecordBatch to a tfstream batch, sharing buffers where the layouts
 * agree (see {@link arrowSchemaToSchema} for the type mapping).
 *
 * @param schema - the fields to read, by name; by default every field of the Arrow batch
 * @throws TfstreamError naming the record and field of the first value that does not fit
 *
 * @example
 * ```ts
 * const batch = arrowToBatch(tableFromArrays({ x: Float32Array.of(1, 2) }).batches[0]);
 * batch.column('x').values; // Float32Array [1, 2], the same memory
 * ```
 */
export function arrowToBatch(arrowBatch: ArrowRecordBatch, schema?: Schema): RecordBatch {
  const target = schema ?? arrowSchemaToSchema(arrowBatch.schema);
  const plans = planColumns(arrowBatch.schema, target);
  const { columns, report } = convertRange(arrowBatch, plans, 0, arrowBatch.numRows);
  if (report.issues.length === 0 && !report.rebuild) {
    return new RecordBatch(target, columns);
  }
  // Rebuilt record by record: the first record that does not fit is the error.
  const ctx = new DecodeContext({ schema: target, batchSize: arrowBatch.numRows + 1 });
  const issues = report.byRow();
  for (let row = 0; row < arrowBatch.numRows; row++) {
    const issue = issues.get(row);
    if (issue !== undefined) {
      ctx.recordError(issue);
    } else {
      ctx.decodeRecord((builder) => appendRow(builder.builders, columns, row));
    }
  }
  return ctx.flush() ?? RecordBatch.empty(target);
}

function appendRow(
  builders: readonly ColumnBuilder[],
  columns: readonly Column[],
  row: number,
): void {
  for (let j = 0; j < columns.length; j++) {
    builders[j]!.append(columnValue(columns[j]!, row));
  }
}

function openOptions(options: { source?: string; limits?: { maxRecordBytes?: number } }): {
  source: string | undefined;
  maxMetadataBytes: number;
} {
  return {
    source: options.source,
    maxMetadataBytes: options.limits?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
  };
}

async function* decodeArrow(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions,
): AsyncGenerator<RecordBatch> {
  const batchSize = Math.max(1, options.batchSize ?? 1024);
  const stream: IpcBatchSource = await openIpcStream(chunks, openOptions(options));
  // Records that fail go through a DecodeContext (error policy, dead letters), made on first need.
  let ctx: DecodeContext | undefined;
  let record = 0;
  try {
    let plans: ColumnPlan[];
    try {
      plans = planColumns(stream.arrowSchema, options.schema, options.source);
    } catch (error) {
      throw asMalformed(error, fileLocation(options.source));
    }
    for (;;) {
      const next = await stream.next();
      if (next === undefined) {
        break;
      }
      const { batch, offset } = next;
      for (let start = 0; start < batch.numRows; start += batchSize) {
        const count = Math.min(batchSize, batch.numRows - start);
        let converted;
        try {
          converted = convertRange(batch, plans, start, count);
        } catch (error) {
          throw asMalformed(error, { ...fileLocation(options.source), record: record + 1, offset });
        }
        const { columns, report } = converted;
        if (report.issues.length === 0 && !report.rebuild) {
          const pending = ctx?.flush();
          if (pending !== undefined) {
            yield pending;
          }
          record += count;
          yield new RecordBatch(options.schema, columns);
          continue;
        }
        ctx ??= new DecodeContext(options);
        ctx.record = record;
        const issues = report.byRow();
        for (let row = 0; row < count; row++) {
          const issue = issues.get(row);
          let full: RecordBatch | undefined;
          try {
            if (issue !== undefined) {
              ctx.recordError(issue);
            } else {
              full = ctx.decodeRecord((builder) => appendRow(builder.builders, columns, row));
            }
          } catch (error) {
            const pending = ctx.flush();
            if (pending !== undefined) {
              yield pending;
            }
            throw asMalformed(error, { ...fileLocation(options.source), record: ctx.record });
          }
          if (full !== undefined) {
            yield full;
          }
        }
        record = ctx.record;
      }
    }
    const rest = ctx?.flush();
    if (rest !== undefined) {
      yield rest;
    }
  } finally {
    await stream.close();
  }
}

/** One record of the columns as a sample: typed cells, as the Arrow schema declares them. */
function sampleRecord(columns: readonly Column[], row: number): SampleRecord {
  const out = new Map<string, SampleCell>();
  for (const column of columns) {
    const field = column.field;
    if (!isValid(column, row)) {
      out.set(field.name, null);
      continue;
    }
    const [start, end] = elementRange(column, row);
    const values: ScalarValue[] = [];
    for (let i = start; i < end; i++) {
      values.push(elementValue(column, i));
    }
    out.set(field.name, {
      kind: 'typed',
      type: field.type,
      values,
      shape: field.shape,
      ...(field.unit === undefined ? {} : { unit: field.unit }),
      ...(field.precision === undefined ? {} : { precision: field.precision }),
      ...(field.scale === undefined ? {} : { scale: field.scale }),
    });
  }
  return out;
}

async function* sampleArrow(
  chunks: AsyncIterable<Uint8Array>,
  options: SampleOptions = {},
): AsyncGenerator<SampleRecord> {
  const limit = options.limit ?? 1000;
  const stream = await openIpcStream(chunks, openOptions(options));
  try {
    let schema: Schema;
    try {
      schema = arrowSchemaToSchema(stream.arrowSchema);
    } catch (error) {
      throw asMalformed(error, fileLocation(options.source));
    }
    const plans = schema.fields.map((field, index) => ({ field, index }));
    let record = 0;
    while (record < limit) {
      const next = await stream.next();
      if (next === undefined) {
        break;
      }
      const count = Math.min(next.batch.numRows, limit - record);
      let converted;
      try {
        converted = convertRange(next.batch, plans, 0, count);
      } catch (error) {
        throw asMalformed(error, {
          ...fileLocation(options.source),
          record: record + 1,
          offset: next.offset,
        });
      }
      const issues = converted.report.byRow();
      for (let row = 0; row < count; row++) {
        const issue = issues.get(row);
        if (issue !== undefined) {
          throw issue.at({ ...fileLocation(options.source), record: record + row + 1 });
        }
        yield sampleRecord(converted.columns, row);
      }
      record += count;
    }
  } finally {
    await stream.close();
  }
}

/**
 * The Arrow IPC format. Writes the streaming format (schema message, one record batch message per
 * batch, end-of-stream marker); reads the streaming and the file format, in constant memory, from
 * tfstream and from any other Arrow writer.
 *
 * - Types follow `TYPE_TABLE` (`arrow` column); lists are `List<type>`, tensors
 *   `FixedSizeList<type>[n]` with the `arrow.fixed_shape_tensor` extension; the tfstream schema
 *   is kept in the schema metadata (`tfstream.schema`), so a round trip is exact.
 * - Reading with a schema: fields are matched by name; Arrow columns not named are skipped; a
 *   nullable field missing from the stream reads as null. Types must match, except that `string`
 *   and `char` read as each other and a tensor reads as another shape with as many elements.
 * - Record batches larger than `batchSize` are split; smaller ones are passed on as they are,
 *   so that their buffers are shared rather than copied.
 * - Values that do not fit (null in a non-nullable field or list, a `char` that is not one code
 *   point, text that is not UTF-8, a decimal beyond its precision) follow the error policy per
 *   record; a structurally corrupt stream always ends with `CODEC_MALFORMED`.
 *
 * @example
 * ```ts
 * const encoder = arrowFormat.createEncoder(schema);
 * const bytes = [encoder.start(), encoder.encode(batch), encoder.end()];
 * for await (const decoded of arrowFormat.decode(fromBytes(...bytes), { schema })) {
 *   console.log(decoded.numRows);
 * }
 * ```
 */
export const arrowFormat: Format = {
  name: 'arrow',
  extensions: ['.arrows', '.arrow', '.ipc'],
  mediaType: 'application/vnd.apache.arrow.stream',
  checkSchema(schema: Schema): void {
    // Every tfstream type and shape has an exact Arrow form; only tensors are bounded by Arrow's
    // int32 list size, which MAX_TENSOR_ELEMENTS already keeps them under.
    for (const field of schema.fields) {
      if (elementCount(field.shape) > 0x7fffffff) {
        throw new TfstreamError(
          'CODEC_UNSUPPORTED_TYPE',
          'the tensor has more elements than an Arrow FixedSizeList can hold',
          {
            field: field.name,
          },
        );
      }
    }
  },
  decode: decodeArrow,
  createEncoder(schema: Schema, options?: EncodeOptions): ArrowStreamEncoder {
    return new ArrowStreamEncoder(schema, options);
  },
  sample: sampleArrow,
};
