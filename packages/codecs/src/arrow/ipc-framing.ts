// Splits an Arrow IPC byte stream into whole messages, per the Arrow columnar format
// specification, "Encapsulated message format" and "IPC Streaming Format"
// (https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc):
//
//   <continuation: 0xFFFFFFFF> <metadata size: int32> <Message flatbuffer, padded to 8> <body>
//
// ending with the end-of-stream marker 0xFFFFFFFF 0x00000000 (or the end of the input at a message
// boundary). Streams written before Arrow 0.15 have no continuation marker: `<int32 size>` only.
//
// Each message is checked here before apache-arrow sees it: its FlatBuffers metadata is verified,
// its lengths are bounded, and bytes are only ever allocated for data that has actually arrived, so
// that lengths written in hostile input never drive an allocation.

import { TfstreamError } from '@tfstream/schema';
import type { BatchHeader } from './flatbuffer-verifier.js';
import { FlatbufferError, HeaderType, verifyMessage } from './flatbuffer-verifier.js';

/** Largest message body: Arrow JS and our columns index bytes with int32. */
export const MAX_BODY_BYTES = 0x7fffffff;

/** The 8 bytes the IPC file format starts with: "ARROW1" and two bytes of padding. */
export const FILE_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] as const;

/** Whether `bytes` starts with the IPC file magic "ARROW1". */
export function startsWithFileMagic(bytes: Uint8Array): boolean {
  return bytes.length >= FILE_MAGIC.length && FILE_MAGIC.every((byte, i) => bytes[i] === byte);
}

/** Buffers an async stream of chunks and hands out byte ranges, copying only across chunks. */
export class ByteQueue {
  /** Bytes consumed so far: the offset of the next byte in the input. */
  position = 0;
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Reads chunks until `bytes` are buffered or the input ends; returns the bytes buffered. */
  fill(bytes: number): number | Promise<number> {
    return this.buffered >= bytes || this.done ? this.buffered : this.pull(bytes);
  }

  private async pull(bytes: number): Promise<number> {
    while (this.buffered < bytes && !this.done) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.done = true;
        break;
      }
      const chunk: unknown = next.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new TfstreamError(
          'CODEC_MALFORMED',
          `the input must be chunks of Uint8Array, got ${typeof chunk}`,
        );
      }
      if (chunk.length > 0) {
        // Views that continue the last one in the same buffer join it, so that a stream cut
        // into views of one buffer is read without copies.
        const last = this.chunks[this.chunks.length - 1];
        if (
          last !== undefined &&
          last.buffer === chunk.buffer &&
          last.byteOffset + last.length === chunk.byteOffset
        ) {
          this.chunks[this.chunks.length - 1] = new Uint8Array(
            last.buffer,
            last.byteOffset,
            last.length + chunk.length,
          );
        } else {
          this.chunks.push(chunk);
        }
        this.buffered += chunk.length;
      }
    }
    return this.buffered;
  }

  /** Reads the whole rest of the input. */
  fillAll(): number | Promise<number> {
    return this.fill(Number.POSITIVE_INFINITY);
  }

  /** The next `bytes` bytes without consuming them (they must be buffered). */
  peek(bytes: number): Uint8Array {
    return this.range(bytes, false);
  }

  /** The next `bytes` bytes, consumed (they must be buffered). */
  take(bytes: number): Uint8Array {
    return this.range(bytes, true);
  }

  /** Ends reading the input early, letting its producer clean up. */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }

  private range(bytes: number, consume: boolean): Uint8Array {
    if (bytes > this.buffered) {
      throw new Error(`ByteQueue: ${bytes} bytes asked, ${this.buffered} buffered`);
    }
    const first = this.chunks[0];
    let out: Uint8Array;
    if (bytes === 0 || first === undefined) {
      out = new Uint8Array(0);
    } else if (first.length >= bytes) {
      out = first.subarray(0, bytes);
    } else {
      out = new Uint8Array(bytes);
      let filled = 0;
      for (let index = 0; filled < bytes; index++) {
        const chunk = this.chunks[index]!;
        const part = Math.min(chunk.length, bytes - filled);
        out.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled);
        filled += part;
      }
    }
    if (consume) {
      this.discard(bytes);
    }
    return out;
  }

  private discard(bytes: number): void {
    this.buffered -= bytes;
    this.position += bytes;
    let left = bytes;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= left) {
        this.chunks.shift();
        left -= chunk.length;
      } else {
        this.chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
  }
}

/** One whole encapsulated message, checked. */
export interface IpcMessage {
  /** Prefix, metadata and body, contiguous, exactly as in the input. */
  readonly bytes: Uint8Array;
  readonly headerType: number;
  /** Byte offset of the message in the input. */
  readonly offset: number;
  readonly bodyLength: number;
  readonly batch: BatchHeader | undefined;
}

/** How a {@link MessageFramer} reads: the source label, its limit, and stream or file. */
export interface FramingOptions {
  readonly source: string | undefined;
  /** Largest metadata flatbuffer accepted. */
  readonly maxMetadataBytes: number;
  /**
   * Inside an IPC file, the footer follows the last message; it starts without a continuation
   * marker, which ends the messages.
   */
  readonly inFile: boolean;
}

const HEADER_NAMES: Readonly<Record<number, string>> = {
  0: 'empty',
  4: 'Tensor',
  5: 'SparseTensor',
};

/** Reads messages one at a time from a {@link ByteQueue}. */
export class MessageFramer {
  /** Set once the end-of-stream marker (or the file footer) was reached. */
  ended = false;
  constructor(
    private readonly queue: ByteQueue,
    private readonly options: FramingOptions,
  ) {}

  /** An error at a byte offset of the input. */
  error(
    code: 'CODEC_MALFORMED' | 'CODEC_LIMIT_EXCEEDED' | 'FORMAT_UNKNOWN',
    detail: string,
    offset: number,
    cause?: unknown,
  ): TfstreamError {
    return new TfstreamError(
      code,
      detail,
      { ...(this.options.source === undefined ? {} : { file: this.options.source }), offset },
      cause === undefined ? undefined : { cause },
    );
  }

  /** The next message, or `undefined` at the end of the stream. */
  async next(): Promise<IpcMessage | undefined> {
    if (this.ended) {
      return undefined;
    }
    const queue = this.queue;
    const offset = queue.position;
    const available = await queue.fill(8);
    if (available === 0) {
      this.ended = true;
      return undefined;
    }
    if (available < 4) {
      throw this.error(
        'CODEC_MALFORMED',
        `the input ends ${available} bytes into a message header; the stream is truncated`,
        offset,
      );
    }
    const head = queue.peek(Math.min(available, 8));
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const first = view.getInt32(0, true);
    let prefix = 4;
    let metadataLength = first;
    if (first === -1) {
      if (available < 8) {
        throw this.error(
          'CODEC_MALFORMED',
          'the input ends inside a message header; the stream is truncated',
          offset,
        );
      }
      prefix = 8;
      metadataLength = view.getInt32(4, true);
    } else if (this.options.inFile) {
      this.ended = true;
      return undefined;
    }
    if (metadataLength === 0) {
      queue.take(prefix);
      this.ended = true;
      if (!this.options.inFile && (await queue.fill(1)) > 0) {
        throw this.error(
          'CODEC_MALFORMED',
          'data follows the end-of-stream marker; write one Arrow stream per file',
          queue.position,
        );
      }
      return undefined;
    }
    if (metadataLength < 0) {
      throw this.error(
        'CODEC_MALFORMED',
        `the message metadata length ${metadataLength} is negative; this is not an Arrow IPC stream`,
        offset,
      );
    }
    if (prefix === 4 && metadataLength > this.options.maxMetadataBytes) {
      // Without the continuation marker, a huge length is far more likely not Arrow at all.
      throw this.error(
        'CODEC_MALFORMED',
        `this is not an Arrow IPC stream: a message starts neither with the continuation marker 0xFFFFFFFF nor with a plausible metadata length (${metadataLength})`,
        offset,
      );
    }
    if (metadataLength > this.options.maxMetadataBytes) {
      throw this.error(
        'CODEC_LIMIT_EXCEEDED',
        `the message metadata is ${metadataLength} bytes, more than the limit of ${this.options.maxMetadataBytes}; raise limits.maxRecordBytes if the file is trusted`,
        offset,
      );
    }
    if ((await queue.fill(prefix + metadataLength)) < prefix + metadataLength) {
      throw this.error(
        'CODEC_MALFORMED',
        `the input ends inside a ${metadataLength}-byte message metadata; the stream is truncated`,
        offset,
      );
    }
    const metadata = queue.peek(prefix + metadataLength).subarray(prefix);
    let verified;
    try {
      verified = verifyMessage(metadata);
    } catch (error) {
      if (error instanceof FlatbufferError) {
        throw this.error(
          'CODEC_MALFORMED',
          `the message metadata is corrupt: ${error.message}`,
          offset,
          error,
        );
      }
      throw error;
    }
    const { headerType, bodyLength, batch } = verified;
    if (
      headerType !== HeaderType.Schema &&
      headerType !== HeaderType.RecordBatch &&
      headerType !== HeaderType.DictionaryBatch
    ) {
      throw this.error(
        'CODEC_MALFORMED',
        `a ${HEADER_NAMES[headerType] ?? `type ${headerType}`} message cannot be part of a record batch stream`,
        offset,
      );
    }
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
      throw this.error(
        'CODEC_MALFORMED',
        `the message body length ${bodyLength} is invalid`,
        offset,
      );
    }
    if (bodyLength > MAX_BODY_BYTES) {
      throw this.error(
        'CODEC_LIMIT_EXCEEDED',
        `the message body is ${bodyLength} bytes; Arrow record batches of more than 2 GiB are not supported, write smaller batches`,
        offset,
      );
    }
    if (verified.bigEndian) {
      throw this.error(
        'FORMAT_UNKNOWN',
        'the stream is big-endian, which is not supported; write it little-endian',
        offset,
      );
    }
    if (batch !== undefined) {
      this.checkBatch(batch, bodyLength, offset);
    }
    const total = prefix + metadataLength + bodyLength;
    const got = await queue.fill(total);
    if (got < total) {
      throw this.error(
        'CODEC_MALFORMED',
        `the input ends inside a message body (${got - prefix - metadataLength} of ${bodyLength} bytes); the stream is truncated`,
        offset,
      );
    }
    return { bytes: queue.take(total), headerType, offset, bodyLength, batch };
  }

  /**
   * Bounds the row counts of a batch by its body: any column of `n` rows needs at least `n / 8`
   * bytes, so larger counts are corrupt and must not reach code that allocates by them.
   */
  private checkBatch(batch: BatchHeader, bodyLength: number, offset: number): void {
    if (batch.compressed) {
      throw this.error(
        'FORMAT_UNKNOWN',
        'the record batch bodies are compressed (LZ4 or ZSTD), which is not supported; write the stream uncompressed',
        offset,
      );
    }
    const maxRows = bodyLength * 8 + 64;
    const bad = (n: number): boolean => !Number.isSafeInteger(n) || n < 0 || n > maxRows;
    if (bad(batch.length)) {
      throw this.error(
        'CODEC_MALFORMED',
        `the record batch claims ${batch.length} rows, which its ${bodyLength}-byte body cannot hold`,
        offset,
      );
    }
    for (const node of batch.nodes) {
      if (bad(node.length) || node.nullCount < 0 || node.nullCount > node.length) {
        throw this.error(
          'CODEC_MALFORMED',
          `a column claims ${node.length} values with ${node.nullCount} nulls, which the ${bodyLength}-byte body cannot hold`,
          offset,
        );
      }
    }
  }
}
