// One record as one JSON object (RFC 8259), UTF-8 encoded: the form of a JSON Lines line and of
// the `json` record codec.
import type { Schema } from '@tfstream/schema';
import { TfstreamError, fieldLabel } from '@tfstream/schema';
import type { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import type { RecordCodec } from '../format.js';
import { parseExactJson } from './exact-json.js';
import type { ElementWriter } from './json-value.js';
import { JsonFieldReader, jsonElementWriter, jsonValueText } from './json-value.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decodes UTF-8, or throws `CODEC_MALFORMED` saying where. */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TfstreamError('CODEC_MALFORMED', `${where} is not valid UTF-8`);
  }
}

/** Reads JSON objects into rows of a schema: keys in any order, absent keys null, other keys ignored. */
export class JsonRecordReader {
  readonly schema: Schema;
  private readonly readers: readonly JsonFieldReader[];
  private readonly names: readonly string[];
  private readonly exactSensitive: boolean;

  constructor(schema: Schema) {
    this.schema = schema;
    this.readers = schema.fields.map((field) => new JsonFieldReader(field));
    this.names = schema.fields.map((field) => field.name);
    this.exactSensitive = this.readers.some((reader) => reader.exactSensitive);
  }

  /**
   * Appends the record in `bytes` (UTF-8 JSON text of one object) as one row of every column.
   * @param line - line number for messages about malformed text
   * @throws TfstreamError without file or record
   */
  readBytes(bytes: Uint8Array, builder: RecordBatchBuilder, line?: number): void {
    this.readText(
      decodeUtf8(bytes, line === undefined ? 'the record' : `line ${line}`),
      builder,
      line,
    );
  }

  /** As {@link readBytes}, from text. */
  readText(text: string, builder: RecordBatchBuilder, line?: number): void {
    const where = line === undefined ? 'the record' : `line ${line}`;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new TfstreamError(
        'CODEC_MALFORMED',
        `${where} is not valid JSON (${(error as Error).message})`,
        line === undefined ? {} : { line },
        { cause: error },
      );
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new TfstreamError(
        'CODEC_MALFORMED',
        `${where} is not a JSON object; each record must be one object such as {"field": value}`,
        line === undefined ? {} : { line },
      );
    }
    if (this.exactSensitive && this.needsExactParse(record)) {
      record = parseExactJson(text);
    }
    const members = record as Record<string, unknown>;
    const readers = this.readers;
    const builders = builder.builders;
    for (let i = 0; i < readers.length; i++) {
      const name = this.names[i]!;
      const value = Object.hasOwn(members, name) ? members[name] : undefined;
      readers[i]!.read(builders[i]!, value);
    }
  }

  private needsExactParse(record: object): boolean {
    for (let i = 0; i < this.readers.length; i++) {
      const reader = this.readers[i]!;
      const name = this.names[i]!;
      if (
        reader.exactSensitive &&
        Object.hasOwn(record, name) &&
        reader.needsExactParse((record as Record<string, unknown>)[name])
      ) {
        return true;
      }
    }
    return false;
  }
}

/** Writes rows of a batch as JSON objects, keys in schema order. */
export class JsonRecordWriter {
  readonly schema: Schema;
  private readonly prefixes: readonly string[];
  private readonly writers: readonly ElementWriter[];

  constructor(schema: Schema) {
    this.schema = schema;
    this.prefixes = schema.fields.map(
      (field, i) => `${i === 0 ? '{' : ','}${JSON.stringify(field.name)}:`,
    );
    this.writers = schema.fields.map((field) => jsonElementWriter(field));
  }

  /** The JSON text of one row, without a line end. */
  format(batch: RecordBatch, row: number): string {
    const columns = batch.columns;
    if (columns.length === 0) {
      return '{}';
    }
    let out = '';
    for (let i = 0; i < columns.length; i++) {
      out += this.prefixes[i]! + jsonValueText(columns[i]!, row, this.writers[i]!);
    }
    return `${out}}`;
  }
}

/**
 * Throws unless `batch` has the fields of `schema` (same names, types and shapes, in order).
 * @throws TfstreamError `CODEC_TYPE_MISMATCH` naming the first differing field
 */
export function checkBatchSchema(schema: Schema, batch: RecordBatch, source?: string): void {
  if (batch.schema === schema) {
    return;
  }
  const fields = batch.schema.fields;
  const expected = schema.fields;
  const count = Math.max(fields.length, expected.length);
  for (let i = 0; i < count; i++) {
    const got = fields[i];
    const want = expected[i];
    if (
      got === undefined ||
      want === undefined ||
      got.name !== want.name ||
      fieldLabel(got) !== fieldLabel(want) ||
      got.unit !== want.unit
    ) {
      throw new TfstreamError(
        'CODEC_TYPE_MISMATCH',
        `the batch has field ${got === undefined ? 'none' : `"${got.name}" ${fieldLabel(got)}`} where the encoder's schema has ${want === undefined ? 'none' : `"${want.name}" ${fieldLabel(want)}`}; encode batches of the schema the encoder was made for`,
        { ...(source === undefined ? {} : { file: source }), field: (want ?? got)!.name },
      );
    }
  }
}

const writers = new WeakMap<Schema, JsonRecordWriter>();

function writerFor(schema: Schema): JsonRecordWriter {
  let writer = writers.get(schema);
  if (writer === undefined) {
    writer = new JsonRecordWriter(schema);
    writers.set(schema, writer);
  }
  return writer;
}

/**
 * One row of a batch as a JSON object, keys in schema order, each value in its JSON form (see
 * `toJsonValue`): the line the JSONL codec writes and `tfstream inspect` prints, without the
 * line end.
 *
 * @example
 * ```ts
 * formatJsonRecord(batch, 0); // '{"id":"9223372036854775807","x":-0,"label":"cat"}'
 * ```
 */
export function formatJsonRecord(batch: RecordBatch, row: number): string {
  return writerFor(batch.schema).format(batch, row);
}

const readers = new WeakMap<Schema, JsonRecordReader>();

function readerFor(schema: Schema): JsonRecordReader {
  let reader = readers.get(schema);
  if (reader === undefined) {
    reader = new JsonRecordReader(schema);
    readers.set(schema, reader);
  }
  return reader;
}

/**
 * The `json` record codec: one record as one UTF-8 JSON object (RFC 8259), in the JSON form of
 * every type (see `toJsonValue`). It carries every type losslessly, 64-bit integers and decimals
 * included: numbers that `JSON.parse` would round are read again with an exact parser.
 */
export const jsonCodec: RecordCodec = {
  name: 'json',
  checkSchema(): void {
    // JSON carries every type and shape.
  },
  encodeRecord(batch: RecordBatch, row: number): Uint8Array {
    return encoder.encode(formatJsonRecord(batch, row));
  },
  decodeRecord(bytes: Uint8Array, builder: RecordBatchBuilder): void {
    readerFor(builder.schema).readBytes(bytes, builder);
  },
};
