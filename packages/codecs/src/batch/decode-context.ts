import type { ErrorLocation } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { DecodeOptions, ErrorPolicy } from '../format.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../format.js';
import type { RecordBatch } from './record-batch.js';
import { RecordBatchBuilder } from './record-batch.js';

/**
 * The part every decoder shares: counts records, builds batches of `batchSize`, and applies the
 * per-record error policy, so that a bad record is either the error of the stream (`'fail'`) or
 * a dead letter (`'skip'`), and never half a row.
 *
 * @example
 * ```ts
 * const ctx = new DecodeContext(options);
 * for (const bytes of records) {
 *   const full = ctx.decodeRecord((builder) => decodeOne(bytes, builder), bytes);
 *   if (full) yield full;
 * }
 * const rest = ctx.flush();
 * if (rest) yield rest;
 * ```
 */
export class DecodeContext {
  readonly builder: RecordBatchBuilder;
  readonly batchSize: number;
  readonly source: string | undefined;
  readonly policy: ErrorPolicy;
  readonly maxRecordBytes: number;
  /** Records seen so far, including skipped ones: the 1-based number of the last record. */
  record = 0;
  /** Records left out under the `'skip'` policy. */
  skipped = 0;
  private readonly options: DecodeOptions;

  constructor(options: DecodeOptions) {
    this.options = options;
    this.batchSize = Math.max(1, options.batchSize ?? 1024);
    this.builder = new RecordBatchBuilder(options.schema, Math.min(this.batchSize, 65536));
    this.source = options.source;
    this.policy = options.onError ?? 'fail';
    this.maxRecordBytes = options.limits?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /**
   * Decodes one record with `decode`, which fills one row of every column of `builder`.
   * Returns a full batch when this record completed one.
   * @throws TfstreamError under the `'fail'` policy, located at this record and the source
   */
  decodeRecord(
    decode: (builder: RecordBatchBuilder) => void,
    raw?: Uint8Array,
    location?: Omit<ErrorLocation, 'file' | 'record'>,
  ): RecordBatch | undefined {
    this.record++;
    this.builder.beginRecord();
    try {
      decode(this.builder);
      this.builder.commitRecord();
    } catch (error) {
      this.builder.rollbackRecord();
      this.fail(error, raw, location);
      return undefined;
    }
    return this.builder.length >= this.batchSize ? this.take() : undefined;
  }

  /**
   * Reports an error that belongs to a record but happened outside {@link decodeRecord} (a bad
   * frame, a malformed line), counting it as a record.
   */
  recordError(
    error: unknown,
    raw?: Uint8Array,
    location?: Omit<ErrorLocation, 'file' | 'record'>,
  ): void {
    this.record++;
    this.fail(error, raw, location);
  }

  /** An error located at the current record and source. */
  locate(error: TfstreamError, location?: Omit<ErrorLocation, 'file' | 'record'>): TfstreamError {
    return error.at({
      ...location,
      ...(this.source === undefined ? {} : { file: this.source }),
      ...(this.record > 0 ? { record: this.record } : {}),
    });
  }

  /** The batch built so far, or `undefined` when it is empty. */
  flush(): RecordBatch | undefined {
    return this.builder.length > 0 ? this.take() : undefined;
  }

  private take(): RecordBatch {
    const batch = this.builder.finish();
    this.builder.reset();
    return batch;
  }

  private fail(
    error: unknown,
    raw: Uint8Array | undefined,
    location: Omit<ErrorLocation, 'file' | 'record'> | undefined,
  ): void {
    if (!(error instanceof TfstreamError)) {
      throw error;
    }
    const located = this.locate(error, location);
    if (this.policy === 'fail') {
      throw located;
    }
    this.skipped++;
    this.options.onDeadLetter?.({
      error: located,
      record: this.record,
      ...(raw === undefined ? {} : { raw }),
    });
  }
}

/** Collects an async iterable of chunks; for tests and small inputs. */
export async function* fromBytes(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
  }
}

/** Concatenates chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) {
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Runs a decoder's body and, when it throws, first yields the records already accepted, so that a
 * bad record never takes the good ones before it down with it.
 */
export async function* flushOnError(
  ctx: DecodeContext,
  body: AsyncGenerator<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  try {
    yield* body;
  } catch (error) {
    const rest = ctx.flush();
    if (rest !== undefined) {
      yield rest;
    }
    throw error;
  }
}
