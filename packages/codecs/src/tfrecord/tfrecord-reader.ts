// TFRecord framing, read side. Spec: TensorFlow's record format
// (tensorflow/core/lib/io/record_writer.h, https://www.tensorflow.org/tutorials/load_data/tfrecord):
//   uint64 length (little-endian)
//   uint32 masked_crc32c(length)
//   byte   data[length]
//   uint32 masked_crc32c(data)
import { TfstreamError } from '@tfstream/schema';
import { DEFAULT_MAX_RECORD_BYTES } from '../format.js';
import { maskedCrc32c } from './crc32c.js';

/** Bytes before a record's data: the length and its CRC. */
export const TFRECORD_HEADER_BYTES = 12;
/** Bytes after a record's data: its CRC. */
export const TFRECORD_FOOTER_BYTES = 4;

/** One record read from a TFRecord stream. */
export interface TfRecordFrame {
  /** The record's data. A view of the input chunk when the record lies inside one chunk. */
  readonly payload: Uint8Array;
  /** Byte offset of the record (its length field) in the stream. */
  readonly offset: number;
  /** 1-based record number in the stream. */
  readonly record: number;
  /**
   * `TFRECORD_CORRUPT` when the data CRC does not match; only ever set with
   * {@link TfRecordReaderOptions.skipCorruptData} (otherwise the reader throws).
   */
  readonly error?: TfstreamError;
}

/** Options of {@link TfRecordReader} and {@link readTfRecords}. */
export interface TfRecordReaderOptions {
  /** File name or label that error messages start with. */
  readonly source?: string;
  /** Largest record accepted; a larger length fails before anything is allocated. Default 64 MiB. */
  readonly maxRecordBytes?: number;
  /** Whether to check both CRCs of every record; default `true`. */
  readonly verifyChecksums?: boolean;
  /**
   * Hand back a record whose data CRC does not match as a frame with `error` set, and go on with
   * the next record, instead of throwing. A bad length CRC still ends the stream: after it the
   * record boundaries are lost.
   */
  readonly skipCorruptData?: boolean;
}

const EMPTY = new Uint8Array(0);
/** Smallest buffer started for a record that straddles chunks. */
const MIN_STRADDLE_BUFFER = 64 * 1024;

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/**
 * A push parser of TFRecord framing, for decoders that want no promise per record: `push()` a
 * chunk, call `next()` until it returns `undefined`, push the next chunk, and call `end()` when the
 * stream ends. Memory stays constant: a record inside one chunk is returned as a view of it, and
 * only a record that straddles chunks is copied, into a buffer that grows with the bytes received
 * (never with the length the header claims). Chunks must not be modified after they are pushed.
 *
 * @example
 * ```ts
 * const reader = new TfRecordReader({ source: 'train.tfrecord' });
 * for await (const chunk of chunks) {
 *   reader.push(chunk);
 *   for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
 *     use(frame.payload);
 *   }
 * }
 * reader.end();
 * ```
 */
export class TfRecordReader {
  private readonly source: string | undefined;
  private readonly maxRecordBytes: number;
  private readonly verify: boolean;
  private readonly skipCorrupt: boolean;
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  /** Stream offset of `chunk[0]`. */
  private chunkOffset = 0;
  private readonly header = new Uint8Array(TFRECORD_HEADER_BYTES);
  private headerFill = 0;
  /** Data length of the record being read, once its header is read; -1 while reading a header. */
  private length = -1;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private recordOffset = 0;
  private records = 0;
  private failure: TfstreamError | undefined;

  constructor(options: TfRecordReaderOptions = {}) {
    this.source = options.source;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.verify = options.verifyChecksums ?? true;
    this.skipCorrupt = options.skipCorruptData ?? false;
  }

  /** Records returned so far (including corrupt ones handed back under `skipCorruptData`). */
  get recordCount(): number {
    return this.records;
  }

  /** Bytes of the stream consumed so far. */
  get bytesRead(): number {
    return this.chunkOffset + this.pos;
  }

  /** Adds the next chunk of the stream. Call only once `next()` has returned `undefined`. */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    if (this.pos < this.chunk.length) {
      throw new Error('TfRecordReader.push() called before next() consumed the previous chunk');
    }
    this.chunkOffset += this.chunk.length;
    this.chunk = chunk;
    this.pos = 0;
  }

  /**
   * The next complete record, or `undefined` when more bytes are needed.
   * @throws TfstreamError `TFRECORD_CORRUPT` (a CRC does not match), `CODEC_LIMIT_EXCEEDED` (a
   * length above `maxRecordBytes`); after a bad length CRC or length every call throws again. A
   * data CRC error leaves the reader at the next record, so reading may go on.
   */
  next(): TfRecordFrame | undefined {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    const chunk = this.chunk;
    if (this.length < 0 && !this.readHeader()) {
      return undefined;
    }
    const length = this.length;
    const need = length + TFRECORD_FOOTER_BYTES;
    let source: Uint8Array;
    let start: number;
    if (this.body === undefined && chunk.length - this.pos >= need) {
      source = chunk;
      start = this.pos;
      this.pos += need;
    } else {
      if (!this.fillBody(need)) {
        return undefined;
      }
      source = this.body!;
      start = 0;
      this.body = undefined;
    }
    this.length = -1;
    const record = ++this.records;
    const payload = source.subarray(start, start + length);
    if (this.verify) {
      const stored = readU32(source, start + length);
      const computed = maskedCrc32c(source, start, start + length);
      if (stored !== computed) {
        const error = this.error(
          'TFRECORD_CORRUPT',
          `the data CRC of this ${length}-byte record does not match (stored ${hex(stored)}, computed ${hex(computed)}); the record is damaged`,
          record,
        );
        if (!this.skipCorrupt) {
          throw error;
        }
        return { payload, offset: this.recordOffset, record, error };
      }
    }
    return { payload, offset: this.recordOffset, record };
  }

  /**
   * Declares the end of the stream.
   * @throws TfstreamError `TFRECORD_TRUNCATED` when it ends inside a record
   */
  end(): void {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    if (this.pos < this.chunk.length) {
      throw new Error('TfRecordReader.end() called before next() consumed the last chunk');
    }
    if (this.headerFill > 0 || this.length >= 0) {
      const got = this.length < 0 ? this.headerFill : TFRECORD_HEADER_BYTES + this.bodyFill;
      const expected =
        this.length < 0
          ? `a ${TFRECORD_HEADER_BYTES}-byte header`
          : `${TFRECORD_HEADER_BYTES + this.length + TFRECORD_FOOTER_BYTES} bytes`;
      this.failure = this.error(
        'TFRECORD_TRUNCATED',
        `the stream ends inside a record: got ${got} bytes of ${expected}; the file was cut short (an interrupted copy or write?)`,
        this.records + 1,
      );
      throw this.failure;
    }
  }

  /** Reads (or completes) a record header; false when the chunk ran out first. */
  private readHeader(): boolean {
    const chunk = this.chunk;
    let h: Uint8Array;
    let at: number;
    if (this.headerFill === 0) {
      this.recordOffset = this.chunkOffset + this.pos;
    }
    if (this.headerFill === 0 && chunk.length - this.pos >= TFRECORD_HEADER_BYTES) {
      h = chunk;
      at = this.pos;
      this.pos += TFRECORD_HEADER_BYTES;
    } else {
      const take = Math.min(TFRECORD_HEADER_BYTES - this.headerFill, chunk.length - this.pos);
      for (let i = 0; i < take; i++) {
        this.header[this.headerFill + i] = chunk[this.pos + i]!;
      }
      this.headerFill += take;
      this.pos += take;
      if (this.headerFill < TFRECORD_HEADER_BYTES) {
        return false;
      }
      this.headerFill = 0;
      h = this.header;
      at = 0;
    }
    const record = this.records + 1;
    if (this.verify) {
      const stored = readU32(h, at + 8);
      const computed = maskedCrc32c(h, at, at + 8);
      if (stored !== computed) {
        this.failure = this.error(
          'TFRECORD_CORRUPT',
          `the length CRC does not match (stored ${hex(stored)}, computed ${hex(computed)}); the file is damaged or not a TFRecord file, and nothing after this point can be read`,
          record,
        );
        throw this.failure;
      }
    }
    const low = readU32(h, at);
    const high = readU32(h, at + 4);
    if (high !== 0 || low > this.maxRecordBytes) {
      const length = (BigInt(high) << 32n) | BigInt(low);
      this.failure = this.error(
        'CODEC_LIMIT_EXCEEDED',
        `the record length ${length} exceeds the limit of ${this.maxRecordBytes} bytes; raise limits.maxRecordBytes if the file is trusted`,
        record,
      );
      throw this.failure;
    }
    this.length = low;
    this.bodyFill = 0;
    return true;
  }

  /** Copies the data and footer of a straddling record; false when the chunk ran out first. */
  private fillBody(need: number): boolean {
    const chunk = this.chunk;
    const available = chunk.length - this.pos;
    const take = Math.min(need - this.bodyFill, available);
    let body = this.body;
    if (body === undefined || this.bodyFill + take > body.length) {
      // Grow with the bytes that actually arrived, so that a length in a header alone never
      // drives a large allocation.
      const size = Math.min(
        need,
        Math.max(
          MIN_STRADDLE_BUFFER,
          (this.bodyFill + take) * 2,
          body === undefined ? 0 : body.length * 2,
        ),
      );
      const grown = new Uint8Array(size);
      if (body !== undefined) {
        grown.set(body.subarray(0, this.bodyFill));
      }
      body = this.body = grown;
    }
    body.set(chunk.subarray(this.pos, this.pos + take), this.bodyFill);
    this.bodyFill += take;
    this.pos += take;
    return this.bodyFill === need;
  }

  private error(
    code: 'TFRECORD_CORRUPT' | 'TFRECORD_TRUNCATED' | 'CODEC_LIMIT_EXCEEDED',
    detail: string,
    record: number,
  ): TfstreamError {
    return new TfstreamError(code, detail, {
      ...(this.source === undefined ? {} : { file: this.source }),
      record,
      offset: this.recordOffset,
    });
  }
}

/**
 * Reads the records of a TFRecord stream (already decompressed), one frame per record, in constant
 * memory. Records may straddle chunk boundaries.
 *
 * @throws TfstreamError `TFRECORD_CORRUPT`, `TFRECORD_TRUNCATED` or `CODEC_LIMIT_EXCEEDED`, with the
 * file, record number and byte offset of the record
 *
 * @example
 * ```ts
 * for await (const { payload, offset } of readTfRecords(chunks, { source: 'train.tfrecord' })) {
 *   console.log(offset, payload.length);
 * }
 * ```
 */
export async function* readTfRecords(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: TfRecordReaderOptions = {},
): AsyncGenerator<TfRecordFrame> {
  const reader = new TfRecordReader(options);
  for await (const chunk of chunks) {
    reader.push(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
      yield frame;
    }
  }
  reader.end();
}
