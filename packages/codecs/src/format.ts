import type { Schema, SampleRecord, TfstreamError } from '@tfstream/schema';
import type { RecordBatch, RecordBatchBuilder } from './batch/record-batch.js';

/** The file formats tfstream reads and writes. */
export type FormatName = 'tfrecord' | 'jsonl' | 'csv' | 'arrow';

/**
 * What to do with a record that cannot be decoded: `'fail'` stops the stream with the error
 * (the default), `'skip'` leaves the record out, hands it to `onDeadLetter` and goes on.
 */
export type ErrorPolicy = 'fail' | 'skip';

/** A record that was left out under the `'skip'` policy. */
export interface DeadLetter {
  readonly error: TfstreamError;
  /** 1-based record number in the stream. */
  readonly record: number;
  /** The record's bytes as read, when the format can tell them apart. */
  readonly raw?: Uint8Array;
}

/** Guards against hostile input: lengths in the data never drive an allocation past these. */
export interface DecodeLimits {
  /** Largest single record (a TFRecord payload, a JSON line, a CSV row), in bytes. Default 64 MiB. */
  readonly maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface DecodeOptions {
  readonly schema: Schema;
  /** Records per batch; default 1024. The last batch may be smaller. */
  readonly batchSize?: number;
  /** File name or label that error messages start with. */
  readonly source?: string;
  readonly onError?: ErrorPolicy;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  readonly limits?: DecodeLimits;
}

export interface SampleOptions {
  /** Records to read at most; default 1000. */
  readonly limit?: number;
  readonly source?: string;
  readonly limits?: DecodeLimits;
}

export interface EncodeOptions {
  /** File name or label that error messages start with. */
  readonly source?: string;
}

/**
 * Turns batches into the bytes of one stream: `start()` once (a CSV header, an Arrow schema
 * message; may be empty), `encode()` per batch, `end()` once (the Arrow end-of-stream marker).
 */
export interface BatchEncoder {
  start(): Uint8Array;
  encode(batch: RecordBatch): Uint8Array;
  end(): Uint8Array;
}

/** One file format: how to check a schema against it, decode, encode, and sample for inference. */
export interface Format {
  readonly name: FormatName;
  /** File name endings, longest first, e.g. `['.tfrecord.gz', '.tfrecord']`. */
  readonly extensions: readonly string[];
  readonly mediaType: string;
  /**
   * Rejects, before any data, a schema with a field this format cannot carry losslessly.
   * @throws TfstreamError `CODEC_UNSUPPORTED_TYPE` naming the field and what to use instead
   */
  checkSchema(schema: Schema): void;
  /** Decodes a byte stream (already decompressed) into batches, in constant memory. */
  decode(chunks: AsyncIterable<Uint8Array>, options: DecodeOptions): AsyncGenerator<RecordBatch>;
  createEncoder(schema: Schema, options?: EncodeOptions): BatchEncoder;
  /** Reads the first records without a schema, for inference. */
  sample(chunks: AsyncIterable<Uint8Array>, options?: SampleOptions): AsyncGenerator<SampleRecord>;
}

/** The record codecs: how one record becomes bytes on its own (inside a TFRecord frame, a message). */
export type RecordCodecName = 'example' | 'json' | 'raw';

/**
 * Encodes and decodes one record at a time, for containers that frame records themselves
 * (TFRecord files, messages between the coordinator and workers).
 */
export interface RecordCodec {
  readonly name: RecordCodecName;
  /**
   * @throws TfstreamError `CODEC_UNSUPPORTED_TYPE` naming the field and what to use instead
   */
  checkSchema(schema: Schema): void;
  /** The bytes of row `row` of `batch`. */
  encodeRecord(batch: RecordBatch, row: number): Uint8Array;
  /**
   * Appends the record in `bytes` as one row of every column of `builder`.
   * @throws TfstreamError without file or record (the caller's {@link DecodeContext} adds them)
   */
  decodeRecord(bytes: Uint8Array, builder: RecordBatchBuilder): void;
}
