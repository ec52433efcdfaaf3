// CSV, RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180), with a required header row naming the
// fields. Each cell holds the text form of its element (parseElementText / formatElementText in
// @tfstream/schema); a list or tensor cell holds its JSON array (see ../json/json-value.ts).
import type { Field, SampleCell, SampleRecord, Schema } from '@tfstream/schema';
import { TfstreamError, formatElementText, parseElementText, preview } from '@tfstream/schema';
import type { Column } from '../batch/column.js';
import { elementRange, isValid } from '../batch/column.js';
import type { ColumnBuilder } from '../batch/column-builder.js';
import { DecodeContext, flushOnError } from '../batch/decode-context.js';
import type { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import { elementValue } from '../batch/record-batch.js';
import type {
  BatchEncoder,
  DecodeOptions,
  EncodeOptions,
  Format,
  SampleOptions,
} from '../format.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../format.js';
import { parseExactJson } from '../json/exact-json.js';
import { checkBatchSchema, decodeUtf8 } from '../json/json-record.js';
import type { ElementWriter } from '../json/json-value.js';
import {
  JsonFieldReader,
  float32Text,
  jsonElementWriter,
  jsonValueText,
  pushElementValue,
} from '../json/json-value.js';
import { RecordSplitter, decodeSplitRecords, splitRecords } from '../json/line-splitter.js';
import { CsvCellWriter, CsvRecordScanner, checkDelimiter, splitCsvRecord } from './csv-parser.js';

/** Options of {@link createCsvFormat}. */
export interface CsvOptions {
  /** The cell separator: one ASCII character other than a quote, CR or LF. Default `,`. */
  readonly delimiter?: string;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** Whether the record is an empty line (LF or CRLF alone). */
function isBlank(bytes: Uint8Array): boolean {
  return bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d);
}

function recordCells(bytes: Uint8Array, delimiter: string, line: number): (string | null)[] {
  return splitCsvRecord(withoutCr(decodeUtf8(bytes, `line ${line}`)), delimiter, line);
}

/** Reads one field's cells into its column. */
class CsvFieldReader {
  private readonly json: JsonFieldReader | undefined;

  constructor(readonly field: Field) {
    this.json = field.shape === 'scalar' ? undefined : new JsonFieldReader(field);
  }

  read(builder: ColumnBuilder, cell: string | null): void {
    if (cell === null) {
      builder.appendNull();
      return;
    }
    if (this.json === undefined) {
      pushElementValue(builder, parseElementText(this.field, cell));
      builder.commitRow();
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(cell);
    } catch {
      throw new TfstreamError(
        'CODEC_TYPE_MISMATCH',
        `expected a JSON array such as [1, 2] for a ${this.field.shape === 'list' ? 'list' : 'tensor'} field, got ${preview(cell)}`,
        { field: this.field.name },
      );
    }
    if (this.json.needsExactParse(value)) {
      value = parseExactJson(cell);
    }
    this.json.read(builder, value);
  }
}

/** How the columns of one file map to the schema, from its header row. */
class CsvTable {
  /** Number of cells in every row. */
  readonly width: number;
  private readonly columnOf: readonly number[];
  private readonly readers: readonly CsvFieldReader[];

  constructor(
    schema: Schema,
    header: readonly (string | null)[],
    private readonly delimiter: string,
    source: string | undefined,
  ) {
    this.width = header.length;
    const names = header.map((name) => name ?? '');
    this.columnOf = schema.fields.map((field) => {
      const column = names.indexOf(field.name);
      if (column >= 0 && names.indexOf(field.name, column + 1) >= 0) {
        throw new TfstreamError(
          'CODEC_MALFORMED',
          `the header names column "${field.name}" more than once`,
          { ...(source === undefined ? {} : { file: source }), line: 1, field: field.name },
        );
      }
      return column;
    });
    this.readers = schema.fields.map((field) => new CsvFieldReader(field));
  }

  /** Whether an empty line is no record: it is a row of one null cell only when there is one column. */
  get skipsBlankLines(): boolean {
    return this.width !== 1;
  }

  readRow(bytes: Uint8Array, line: number, builder: RecordBatchBuilder): void {
    const cells = recordCells(bytes, this.delimiter, line);
    if (cells.length !== this.width) {
      throw new TfstreamError(
        'CODEC_MALFORMED',
        `line ${line} has ${cells.length} cells but the header has ${this.width}; quote cells that hold the delimiter`,
        { line },
      );
    }
    const builders = builder.builders;
    for (let i = 0; i < this.readers.length; i++) {
      const reader = this.readers[i]!;
      const column = this.columnOf[i]!;
      if (column < 0) {
        if (!reader.field.nullable) {
          throw new TfstreamError(
            'CODEC_NULL_VALUE',
            `the header has no column "${reader.field.name}" and the field is not nullable; add the column or make the field nullable`,
            { field: reader.field.name },
          );
        }
        builders[i]!.appendNull();
      } else {
        reader.read(builders[i]!, cells[column]!);
      }
    }
  }
}

async function* decodeCsv(
  chunks: AsyncIterable<Uint8Array>,
  ctx: DecodeContext,
  delimiter: string,
): AsyncGenerator<RecordBatch> {
  const splitter = new RecordSplitter(
    ctx.maxRecordBytes,
    new CsvRecordScanner(delimiter.charCodeAt(0)),
  );
  const file = ctx.source === undefined ? {} : { file: ctx.source };
  let table: CsvTable | undefined;
  const decodeRecord = (bytes: Uint8Array | null): RecordBatch | undefined => {
    const line = splitter.line;
    if (table === undefined) {
      table = new CsvTable(
        ctx.builder.schema,
        readHeader(bytes, splitter, delimiter, file),
        delimiter,
        ctx.source,
      );
      return undefined;
    }
    if (bytes === null) {
      ctx.recordError(splitter.limitError(), undefined, { line });
      return undefined;
    }
    if (table.skipsBlankLines && isBlank(bytes)) {
      return undefined;
    }
    const rows = table;
    return ctx.decodeRecord((builder) => rows.readRow(bytes, line, builder), bytes, { line });
  };
  yield* decodeSplitRecords(chunks, splitter, ctx, decodeRecord);
}

function readHeader(
  bytes: Uint8Array | null,
  splitter: RecordSplitter,
  delimiter: string,
  file: { file?: string },
): (string | null)[] {
  try {
    if (bytes === null) {
      throw splitter.limitError();
    }
    return recordCells(bytes, delimiter, splitter.line);
  } catch (error) {
    throw error instanceof TfstreamError ? error.at({ ...file, line: splitter.line }) : error;
  }
}

async function* sampleCsv(
  chunks: AsyncIterable<Uint8Array>,
  options: SampleOptions,
  delimiter: string,
): AsyncGenerator<SampleRecord> {
  const limit = options.limit ?? 1000;
  if (limit <= 0) {
    return;
  }
  const splitter = new RecordSplitter(
    options.limits?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    new CsvRecordScanner(delimiter.charCodeAt(0)),
  );
  const file = options.source === undefined ? {} : { file: options.source };
  let names: string[] | undefined;
  let record = 0;
  const sampleRecord = (bytes: Uint8Array | null): SampleRecord | undefined => {
    if (names === undefined) {
      names = readHeader(bytes, splitter, delimiter, file).map((name) => name ?? '');
      const duplicate = names.find((name, i) => names!.indexOf(name) !== i);
      if (duplicate !== undefined) {
        throw new TfstreamError(
          'CODEC_MALFORMED',
          `the header names column "${duplicate}" more than once`,
          { ...file, line: 1 },
        );
      }
      return undefined;
    }
    if (bytes !== null && names.length !== 1 && isBlank(bytes)) {
      return undefined;
    }
    record++;
    const line = splitter.line;
    try {
      if (bytes === null) {
        throw splitter.limitError();
      }
      const cells = recordCells(bytes, delimiter, line);
      if (cells.length !== names.length) {
        throw new TfstreamError(
          'CODEC_MALFORMED',
          `line ${line} has ${cells.length} cells but the header has ${names.length}; quote cells that hold the delimiter`,
        );
      }
      const sample = new Map<string, SampleCell>();
      names.forEach((name, i) => {
        const text = cells[i]!;
        sample.set(name, text === null ? null : { kind: 'text', text });
      });
      return sample;
    } catch (error) {
      throw error instanceof TfstreamError ? error.at({ ...file, record, line }) : error;
    }
  };
  for await (const bytes of splitRecords(chunks, splitter)) {
    const sample = sampleRecord(bytes);
    if (sample !== undefined) {
      yield sample;
      if (record >= limit) {
        return;
      }
    }
  }
}

/** The CSV text of one element of a scalar column (before quoting). */
function textWriter(field: Field): ElementWriter {
  switch (field.type) {
    case 'float32':
      return (column, i) => float32Text(column.values![i] as number);
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'int64':
    case 'uint64':
      return (column, i) => String(column.values![i]);
    default:
      return (column, i) => formatElementText(field, elementValue(column, i));
  }
}

class CsvEncoder implements BatchEncoder {
  private readonly cells: CsvCellWriter;
  private readonly writers: readonly ElementWriter[];

  constructor(
    private readonly schema: Schema,
    private readonly delimiter: string,
    private readonly options: EncodeOptions,
  ) {
    this.cells = new CsvCellWriter(delimiter);
    this.writers = schema.fields.map((field) =>
      field.shape === 'scalar' ? textWriter(field) : jsonElementWriter(field),
    );
  }

  start(): Uint8Array {
    const names = this.schema.fields.map((field) => this.cells.cell(field.name));
    return encoder.encode(`${names.join(this.delimiter)}\n`);
  }

  encode(batch: RecordBatch): Uint8Array {
    checkBatchSchema(this.schema, batch, this.options.source);
    const columns = batch.columns;
    let out = '';
    for (let row = 0; row < batch.numRows; row++) {
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) {
          out += this.delimiter;
        }
        out += this.cell(columns[i]!, row, this.writers[i]!);
      }
      out += '\n';
    }
    return encoder.encode(out);
  }

  end(): Uint8Array {
    return EMPTY;
  }

  private cell(column: Column, row: number, write: ElementWriter): string {
    if (!isValid(column, row)) {
      return '';
    }
    if (column.field.shape === 'scalar') {
      return this.cells.cell(write(column, elementRange(column, row)[0]));
    }
    return this.cells.cell(jsonValueText(column, row, write));
  }
}

/**
 * A CSV format with the given options (RFC 4180; `csvFormat` is the one with a comma).
 *
 * Reading: a header row is required and maps columns to fields by name, in any order; columns
 * that are not fields are ignored; a nullable field without a column is null. Cells are the text
 * form of their type (lists and tensors: a JSON array); an empty unquoted cell is null and `""` is
 * the empty string. Records end with LF or CRLF, a byte order mark is skipped, and empty lines are
 * skipped unless the file has a single column (then an empty line is a null). A record whose
 * number of cells differs from the header's is `CODEC_MALFORMED`.
 *
 * Writing: the header, then one line per record, ending with LF (RFC 4180 says CRLF; both are
 * read). Cells are quoted when they hold the delimiter, a quote, CR or LF or begin or end with
 * white space, so that any string comes back as written.
 *
 * @throws TfstreamError `USAGE` for a bad delimiter
 *
 * @example
 * ```ts
 * const tsvLike = createCsvFormat({ delimiter: ';' });
 * for await (const batch of tsvLike.decode(chunks, { schema, source: 'data.csv' })) {
 *   console.log(batch.numRows);
 * }
 * ```
 */
export function createCsvFormat(options: CsvOptions = {}): Format {
  const delimiter = options.delimiter ?? ',';
  checkDelimiter(delimiter);
  return {
    name: 'csv',
    extensions: ['.csv'],
    mediaType: 'text/csv',
    checkSchema(): void {
      // Every type has a text form, and lists and tensors a JSON one.
    },
    decode(
      chunks: AsyncIterable<Uint8Array>,
      decodeOptions: DecodeOptions,
    ): AsyncGenerator<RecordBatch> {
      const ctx = new DecodeContext(decodeOptions);
      return flushOnError(ctx, decodeCsv(chunks, ctx, delimiter));
    },
    createEncoder(schema: Schema, encodeOptions: EncodeOptions = {}): BatchEncoder {
      return new CsvEncoder(schema, delimiter, encodeOptions);
    },
    sample(
      chunks: AsyncIterable<Uint8Array>,
      sampleOptions: SampleOptions = {},
    ): AsyncGenerator<SampleRecord> {
      return sampleCsv(chunks, sampleOptions, delimiter);
    },
  };
}

/**
 * CSV with a comma delimiter (RFC 4180); see {@link createCsvFormat} for how it reads and writes.
 *
 * @example
 * ```ts
 * const encoder = csvFormat.createEncoder(schema);
 * const bytes = [encoder.start(), encoder.encode(batch), encoder.end()];
 * ```
 */
export const csvFormat: Format = createCsvFormat();
