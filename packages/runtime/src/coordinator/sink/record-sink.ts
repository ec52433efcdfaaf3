import type { RecordBatch } from '@tfstream/codecs';
import { RecordBatchBuilder, formatJsonRecord } from '@tfstream/codecs';
import { RecordFileWriter } from '@tfstream/codecs/node';
import type { FormatName } from '@tfstream/codecs';
import type { Schema, Value } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { RecordKey } from '../../protocol/record-channels.js';
import { keyId } from '../../protocol/record-channels.js';

/** Where output batches go. Every sink of a run keeps each input key once (see {@link DedupeSink}). */
export interface RecordSink {
  /** Takes a batch and the input keys of its rows. */
  write(records: RecordBatch, keys: readonly RecordKey[]): Promise<void>;
  /** Flushes and closes. Idempotent. */
  close(): Promise<void>;
}

/** An output row with the key of the input record it answers. */
export interface KeyedOutputRow {
  readonly key: RecordKey;
  readonly row: Record<string, Value>;
}

/**
 * Drops rows whose key was written before (a record sent again after a worker died), so that
 * every input key appears exactly once in the output. Remembers every key it has seen: memory
 * grows with the number of distinct keys.
 */
export class DedupeSink implements RecordSink {
  readonly #inner: RecordSink;
  readonly #seen = new Set<string>();
  #dropped = 0;

  constructor(inner: RecordSink) {
    this.#inner = inner;
  }

  /** Rows dropped as duplicates so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Distinct keys written so far. */
  get written(): number {
    return this.#seen.size;
  }

  async write(records: RecordBatch, keys: readonly RecordKey[]): Promise<void> {
    const keep: number[] = [];
    for (let row = 0; row < records.numRows; row++) {
      const id = keyId(keys[row]!);
      if (!this.#seen.has(id)) {
        this.#seen.add(id);
        keep.push(row);
      }
    }
    this.#dropped += records.numRows - keep.length;
    if (keep.length === 0) {
      return;
    }
    if (keep.length === records.numRows) {
      await this.#inner.write(records, keys);
      return;
    }
    const builder = new RecordBatchBuilder(records.schema, keep.length);
    for (const row of keep) {
      builder.appendRow(records.row(row).toObject());
    }
    await this.#inner.write(
      builder.finish(),
      keep.map((row) => keys[row]!),
    );
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** Writes a record file whose format follows from its name (`RecordFileWriter`). */
export class FileSink implements RecordSink {
  readonly path: string;
  #schema: Schema | undefined;
  readonly #format: FormatName | undefined;
  #writer: Promise<RecordFileWriter> | undefined;
  #closing: Promise<void> | undefined;

  /** `schema`: the job's output schema; the first batch's when the job infers it. */
  constructor(path: string, schema: Schema | undefined, format?: FormatName) {
    this.path = path;
    this.#schema = schema;
    this.#format = format;
  }

  async write(records: RecordBatch): Promise<void> {
    if (this.#closing !== undefined) {
      throw new TfstreamError('IO_ERROR', 'the file sink is closed', { file: this.path });
    }
    this.#schema ??= records.schema;
    this.#writer ??= RecordFileWriter.open(this.path, this.#schema, this.#format);
    await (await this.#writer).write(records);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // A run with no output still leaves an (empty) file behind, when its schema is known.
      if (this.#writer === undefined && this.#schema !== undefined) {
        this.#writer = RecordFileWriter.open(this.path, this.#schema, this.#format);
      }
      await (await this.#writer)?.close();
    })();
    return this.#closing;
  }
}

/** Writes each row as one line of JSON (JSON Lines) to a stream, standard output by default. */
export class StdoutSink implements RecordSink {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.#out = out;
  }

  async write(records: RecordBatch): Promise<void> {
    let text = '';
    for (let row = 0; row < records.numRows; row++) {
      text += `${formatJsonRecord(records, row)}\n`;
    }
    if (!this.#out.write(text)) {
      await new Promise<void>((resolve) => this.#out.once('drain', resolve));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Keeps the last `tail` rows with their keys, for the studio's live table. */
export class MemorySink implements RecordSink {
  readonly tail: number;
  readonly #rows: KeyedOutputRow[] = [];

  constructor(tail = 1000) {
    this.tail = tail;
  }

  /** The kept rows, oldest first. */
  rows(): readonly KeyedOutputRow[] {
    return this.#rows;
  }

  write(records: RecordBatch, keys: readonly RecordKey[]): Promise<void> {
    const start = Math.max(0, records.numRows - this.tail);
    for (let row = start; row < records.numRows; row++) {
      this.#rows.push({ key: keys[row]!, row: records.row(row).toObject() });
    }
    if (this.#rows.length > this.tail) {
      this.#rows.splice(0, this.#rows.length - this.tail);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
