import type { Column } from '@tfstream/codecs';
import { ColumnBuilder, RecordBatch, formatJsonRecord } from '@tfstream/codecs';
import { RecordFileWriter } from '@tfstream/codecs/node';
import type { FormatName } from '@tfstream/codecs';
import type { Field, Schema, Value } from '@tfstream/schema';
import { TfstreamError, fieldIndex } from '@tfstream/schema';
import { selectRows } from '../../protocol/batch-slices.js';
import type { BatchKeys, RecordKey } from '../../protocol/record-channels.js';
import { isKeyList, keyAt, keyCount, sliceKeys } from '../../protocol/record-channels.js';
import { KeySet } from './key-set.js';

/** Where output batches go. Every sink of a run keeps each input key once (see {@link DedupeSink}). */
export interface RecordSink {
  /** Takes a batch and the input keys of its rows. */
  write(records: RecordBatch, keys: BatchKeys): Promise<void>;
  /** Flushes and closes. Idempotent. */
  close(): Promise<void>;
}

/** An output row with the key of the input record it answers. */
export interface KeyedOutputRow {
  readonly key: RecordKey;
  readonly row: Record<string, Value>;
}

/** The rows of a batch as {@link KeyedOutputRow}s, from row `start` on. */
export function keyedRows(records: RecordBatch, keys: BatchKeys, start = 0): KeyedOutputRow[] {
  const rows: KeyedOutputRow[] = [];
  for (let row = start; row < records.numRows; row++) {
    rows.push({ key: keyAt(keys, row), row: records.row(row).toObject() });
  }
  return rows;
}

/** Options of a {@link DedupeSink}. */
export interface DedupeSinkOptions {
  /** Called with every batch of rows the sink kept, after the inner sink took it. */
  readonly onWrite?: (records: RecordBatch, keys: BatchKeys) => void;
}

/**
 * Drops rows whose key was written before (a record sent again after a worker died), so that
 * every input key appears exactly once in the output. Remembers the keys it has written in a
 * {@link KeySet}: positions and other whole-number keys as ranges (a few, when outputs come
 * roughly in order), other keys one by one.
 */
export class DedupeSink implements RecordSink {
  readonly #inner: RecordSink;
  readonly #seen = new KeySet();
  readonly #onWrite: DedupeSinkOptions['onWrite'];
  #dropped = 0;

  constructor(inner: RecordSink, options: DedupeSinkOptions = {}) {
    this.#inner = inner;
    this.#onWrite = options.onWrite;
  }

  /** Rows dropped as duplicates so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Distinct keys written so far. */
  get written(): number {
    return this.#seen.size;
  }

  /** Counts rows dropped before they reached the sink (the feed knew them to be duplicates). */
  skip(rows: number): void {
    this.#dropped += rows;
  }

  async write(records: RecordBatch, keys: BatchKeys): Promise<void> {
    const fresh = this.#seen.addBatch(keys);
    let kept = 0;
    for (const [start, end] of fresh) {
      kept += end - start;
    }
    this.#dropped += records.numRows - kept;
    if (kept === 0) {
      return;
    }
    const whole = kept === records.numRows;
    const rows = whole ? records : selectRows(records, fresh);
    const rowKeys = whole ? keys : selectKeys(keys, fresh);
    await this.#inner.write(rows, rowKeys);
    this.#onWrite?.(rows, rowKeys);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

function selectKeys(keys: BatchKeys, ranges: readonly (readonly [number, number])[]): BatchKeys {
  if (ranges.length === 1) {
    return sliceKeys(keys, ranges[0]![0], ranges[0]![1]);
  }
  const out: RecordKey[] = [];
  for (const [start, end] of ranges) {
    for (let row = start; row < end; row++) {
      out.push(keyAt(keys, row));
    }
  }
  return out;
}

/**
 * The key field a file or stdout sink writes first in every row: the job's `input.key` field
 * (with its type), or `key` (int64, the record's position) when records are keyed by position.
 */
export function keyField(name: string | undefined, inputSchema: Schema): Field {
  if (name === undefined) {
    return { name: 'key', type: 'int64', shape: 'scalar', nullable: false };
  }
  const field = inputSchema.fields[fieldIndex(inputSchema, name)];
  if (field === undefined) {
    throw new TfstreamError('JOB_INVALID', `input.key: the input has no field "${name}"`, {
      field: name,
    });
  }
  return { ...field, shape: 'scalar', nullable: false };
}

/**
 * Adds a key column first to the batches of one output schema, unless that schema has a field of
 * the key's name already (the model writes the key itself).
 */
class KeyColumn {
  readonly #field: Field;
  readonly #schemas = new WeakMap<Schema, Schema | null>();

  constructor(field: Field) {
    this.#field = field;
  }

  /** The schema rows are written with: the key field first, then the output's. */
  schemaOf(output: Schema): Schema {
    let keyed = this.#schemas.get(output);
    if (keyed === undefined) {
      keyed =
        fieldIndex(output, this.#field.name) >= 0
          ? null
          : { version: output.version, fields: [this.#field, ...output.fields] };
      this.#schemas.set(output, keyed);
    }
    return keyed ?? output;
  }

  /** The batch with the key column first (its other columns are the batch's own). */
  add(records: RecordBatch, keys: BatchKeys): RecordBatch {
    const schema = this.schemaOf(records.schema);
    if (schema === records.schema) {
      return records;
    }
    return new RecordBatch(schema, [this.#column(keys), ...records.columns]);
  }

  #column(keys: BatchKeys): Column {
    const field = this.#field;
    const rows = keyCount(keys);
    if (!isKeyList(keys) && field.type === 'int64') {
      const values = new BigInt64Array(rows);
      for (let row = 0; row < rows; row++) {
        values[row] = BigInt(keys.first + row);
      }
      return {
        field,
        length: rows,
        validity: undefined,
        offsets: undefined,
        values,
        data: undefined,
        valueOffsets: undefined,
      };
    }
    const builder = new ColumnBuilder(field, Math.max(1, rows));
    for (let row = 0; row < rows; row++) {
      builder.append(keyAt(keys, row));
    }
    return builder.finish();
  }
}

/** Options of a {@link FileSink} and a {@link StdoutSink}. */
export interface KeyedSinkOptions {
  /** The input key written first in every row (see {@link keyField}); none when absent. */
  readonly key?: Field;
}

/** Writes a record file whose format follows from its name (`RecordFileWriter`). */
export class FileSink implements RecordSink {
  readonly path: string;
  #schema: Schema | undefined;
  readonly #format: FormatName | undefined;
  readonly #key: KeyColumn | undefined;
  #writer: Promise<RecordFileWriter> | undefined;
  #closing: Promise<void> | undefined;

  /** `schema`: the job's output schema; the first batch's when the job infers it. */
  constructor(
    path: string,
    schema: Schema | undefined,
    format?: FormatName,
    options: KeyedSinkOptions = {},
  ) {
    this.path = path;
    this.#schema = schema;
    this.#format = format;
    this.#key = options.key === undefined ? undefined : new KeyColumn(options.key);
  }

  async write(records: RecordBatch, keys: BatchKeys): Promise<void> {
    if (this.#closing !== undefined) {
      throw new TfstreamError('IO_ERROR', 'the file sink is closed', { file: this.path });
    }
    this.#schema ??= records.schema;
    this.#writer ??= this.#open(this.#schema);
    await (await this.#writer).write(this.#key?.add(records, keys) ?? records);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // A run with no output still leaves an (empty) file behind, when its schema is known.
      if (this.#writer === undefined && this.#schema !== undefined) {
        this.#writer = this.#open(this.#schema);
      }
      await (await this.#writer)?.close();
    })();
    return this.#closing;
  }

  #open(schema: Schema): Promise<RecordFileWriter> {
    return RecordFileWriter.open(this.path, this.#key?.schemaOf(schema) ?? schema, this.#format);
  }
}

/** Writes each row as one line of JSON (JSON Lines) to a stream, standard output by default. */
export class StdoutSink implements RecordSink {
  readonly #out: NodeJS.WritableStream;
  readonly #key: KeyColumn | undefined;

  constructor(out: NodeJS.WritableStream = process.stdout, options: KeyedSinkOptions = {}) {
    this.#out = out;
    this.#key = options.key === undefined ? undefined : new KeyColumn(options.key);
  }

  async write(records: RecordBatch, keys: BatchKeys): Promise<void> {
    const rows = this.#key?.add(records, keys) ?? records;
    let text = '';
    for (let row = 0; row < rows.numRows; row++) {
      text += `${formatJsonRecord(rows, row)}\n`;
    }
    if (!this.#out.write(text)) {
      await new Promise<void>((resolve) => this.#out.once('drain', resolve));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Keeps the last `tail` rows with their keys, for the studio's live table. It holds the batches
 * they came in (no row objects) and makes rows only when {@link MemorySink.rows} is called.
 */
export class MemorySink implements RecordSink {
  readonly tail: number;
  /** The batches of the tail, oldest first; the first one's rows before `#skip` are not kept. */
  readonly #parts: { readonly records: RecordBatch; readonly keys: BatchKeys }[] = [];
  #held = 0;
  #skip = 0;
  #rows: KeyedOutputRow[] | undefined;

  constructor(tail = 1000) {
    this.tail = tail;
  }

  /** The kept rows, oldest first. */
  rows(): readonly KeyedOutputRow[] {
    this.#rows ??= this.#parts.flatMap((part, i) =>
      keyedRows(part.records, part.keys, i === 0 ? this.#skip : 0),
    );
    return this.#rows;
  }

  write(records: RecordBatch, keys: BatchKeys): Promise<void> {
    if (records.numRows === 0 || this.tail <= 0) {
      return Promise.resolve();
    }
    this.#rows = undefined;
    this.#parts.push({ records, keys });
    this.#held += records.numRows;
    for (;;) {
      const first = this.#parts[0]!;
      const extra = this.#held - this.#skip - this.tail;
      if (extra <= 0) {
        break;
      }
      const left = first.records.numRows - this.#skip;
      if (extra >= left) {
        this.#parts.shift();
        this.#held -= first.records.numRows;
        this.#skip = 0;
      } else {
        this.#skip += extra;
      }
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
