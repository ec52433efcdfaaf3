// Reads Arrow IPC record batches with apache-arrow's RecordBatchReader, fed one checked message at
// a time by the framing layer, in constant memory. Both the streaming format and the file format
// ("ARROW1" magic, Arrow columnar format, "IPC File Format") are read; a file is read front to
// back like a stream, as its body is one, and its footer is only read when the file has no schema
// message up front (apache-arrow's own file writer puts the schema in the footer only).

import type { RecordBatch as ArrowRecordBatch, Schema as ArrowSchema } from 'apache-arrow';
import { RecordBatchReader } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { TfstreamError } from '@tfstream/schema';
import { FlatbufferError, HeaderType, verifyFooter } from './flatbuffer-verifier.js';
import type { IpcMessage } from './ipc-framing.js';
import { ByteQueue, FILE_MAGIC, MessageFramer, startsWithFileMagic } from './ipc-framing.js';

/** The source label for error messages, and the largest message metadata accepted. */
export interface IpcReadOptions {
  readonly source: string | undefined;
  readonly maxMetadataBytes: number;
}

/** An open IPC stream: its schema, then its record batches one by one. */
export interface IpcBatchSource {
  readonly arrowSchema: ArrowSchema;
  /** The next record batch and the byte offset of its message, or `undefined` at the end. */
  next(): Promise<{ batch: ArrowRecordBatch; offset: number } | undefined>;
  /** Stops reading; idempotent. */
  close(): Promise<void>;
}

function malformed(
  options: IpcReadOptions,
  detail: string,
  offset: number,
  cause?: unknown,
): TfstreamError {
  return new TfstreamError(
    'CODEC_MALFORMED',
    detail,
    { ...(options.source === undefined ? {} : { file: options.source }), offset },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The messages handed to apache-arrow's synchronous reader. The reader's byte adapter pulls one
 * chunk ahead when a read ends exactly at the end of what it holds, so the caller keeps one
 * message beyond the next record batch queued (or marks the end) before each read.
 */
class MessageFeed implements IterableIterator<Uint8Array> {
  private readonly items: Uint8Array[] = [];
  private ended = false;
  /** Set if the reader ever asked for a message that was not queued: a bug, not bad input. */
  starved = false;

  push(bytes: Uint8Array): void {
    this.items.push(bytes);
  }

  end(): void {
    this.ended = true;
  }

  next(): IteratorResult<Uint8Array> {
    const item = this.items.shift();
    if (item !== undefined) {
      return { done: false, value: item };
    }
    this.starved ||= !this.ended;
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> {
    return this;
  }
}

/** Reads a whole IPC file whose schema is only in its footer: its schema, and its body framed. */
async function openFooterFile(
  queue: ByteQueue,
  first: IpcMessage | undefined,
  options: IpcReadOptions,
): Promise<{ schema: ArrowSchema; prelude: IpcMessage[]; framer: MessageFramer }> {
  const start = queue.position - (first?.bytes.length ?? 0);
  const restLength = await queue.fillAll();
  const rest = queue.take(restLength);
  const tail = 4 + FILE_MAGIC.length;
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  const footerLength = rest.length >= tail ? view.getInt32(rest.length - tail, true) : -1;
  if (
    rest.length < tail ||
    !startsWithFileMagic(rest.subarray(rest.length - FILE_MAGIC.length)) ||
    footerLength <= 0 ||
    footerLength > rest.length - tail
  ) {
    throw malformed(
      options,
      'the Arrow file has no schema message and no valid footer; it is truncated or corrupt',
      start,
    );
  }
  const footerStart = rest.length - tail - footerLength;
  const footerBytes = rest.subarray(footerStart, footerStart + footerLength);
  let schema: ArrowSchema;
  try {
    const checked = verifyFooter(footerBytes);
    if (!checked.hasSchema || checked.bigEndian) {
      throw new FlatbufferError(
        checked.hasSchema ? 'big-endian files are not supported' : 'the footer has no schema',
      );
    }
    schema = Footer.decode(footerBytes).schema;
  } catch (error) {
    throw malformed(
      options,
      `the Arrow file footer is corrupt: ${(error as Error).message}`,
      queue.position - tail - footerLength,
      error,
    );
  }
  const body = rest.subarray(0, footerStart);
  const bodyQueue = new ByteQueue(
    (async function* () {
      yield body;
    })(),
  );
  bodyQueue.position = queue.position - rest.length;
  const framer = new MessageFramer(bodyQueue, { ...options, inFile: true });
  return { schema, prelude: first === undefined ? [] : [first], framer };
}

/**
 * Opens an Arrow IPC stream or file from chunks of bytes and reads its schema.
 * @throws TfstreamError `CODEC_MALFORMED` when the input is not a readable Arrow stream
 */
export async function openIpcStream(
  chunks: AsyncIterable<Uint8Array>,
  options: IpcReadOptions,
): Promise<IpcBatchSource> {
  const queue = new ByteQueue(chunks);
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await queue.close();
    }
  };
  try {
    const available = await queue.fill(8);
    let prelude: IpcMessage[] = [];
    let framer: MessageFramer;
    let schema: ArrowSchema | undefined;
    if (available > 0 && startsWithFileMagic(queue.peek(Math.min(available, 8)))) {
      if (available < 8) {
        throw malformed(options, 'the Arrow file ends after its magic bytes', 0);
      }
      queue.take(8);
      framer = new MessageFramer(queue, { ...options, inFile: true });
      const first = await framer.next();
      if (first !== undefined && first.headerType === HeaderType.Schema) {
        prelude = [first];
      } else {
        ({ schema, prelude, framer } = await openFooterFile(queue, first, options));
      }
    } else {
      framer = new MessageFramer(queue, { ...options, inFile: false });
    }
    const source = new IpcSource(prelude, framer, options, close, schema);
    await source.open();
    return source;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Messages framed but not yet turned into batches by the reader: their kind and offset. */
interface Pending {
  readonly headerType: number;
  readonly offset: number;
}

class IpcSource implements IpcBatchSource {
  arrowSchema!: ArrowSchema;
  private readonly feed = new MessageFeed();
  private readonly pending: Pending[] = [];
  private reader: RecordBatchReader | undefined;
  private framed: number;
  private ended = false;

  /**
   * @param footerSchema - the schema of an IPC file that has it in its footer only; its body
   *   then starts with dictionaries or batches
   */
  constructor(
    private readonly prelude: IpcMessage[],
    private readonly framer: MessageFramer,
    private readonly options: IpcReadOptions,
    readonly close: () => Promise<void>,
    private readonly footerSchema?: ArrowSchema,
  ) {
    this.framed = footerSchema === undefined ? 0 : 1;
  }

  /** Frames one more message into the feed, checking the order of schema and batches. */
  private async frame(): Promise<void> {
    const message = this.prelude.shift() ?? (await this.framer.next());
    if (message === undefined) {
      this.ended = true;
      this.feed.end();
      return;
    }
    const isSchema = message.headerType === HeaderType.Schema;
    if (this.framed === 0 && !isSchema) {
      throw malformed(
        this.options,
        'the stream does not start with a schema message; this is not an Arrow IPC stream',
        message.offset,
      );
    }
    if (this.framed > 0 && isSchema) {
      throw malformed(
        this.options,
        'a second schema message; write one Arrow stream per file',
        message.offset,
      );
    }
    this.framed++;
    this.feed.push(message.bytes);
    this.pending.push({ headerType: message.headerType, offset: message.offset });
  }

  /** Frames until the next record batch and one message after it are queued, or the end. */
  private async fillFeed(): Promise<Pending | undefined> {
    for (;;) {
      const batchAt = this.pending.findIndex((p) => p.headerType === HeaderType.RecordBatch);
      if (this.ended || (batchAt >= 0 && batchAt < this.pending.length - 1)) {
        return batchAt >= 0 ? this.pending[batchAt] : undefined;
      }
      await this.frame();
    }
  }

  private wrap(error: unknown, offset: number): unknown {
    if (error instanceof TfstreamError) {
      return error;
    }
    return malformed(
      this.options,
      `the message cannot be decoded: ${(error as Error)?.message ?? String(error)}`,
      offset,
      error,
    );
  }

  private checkFeed(offset: number): void {
    if (this.feed.starved) {
      throw malformed(
        this.options,
        'the stream is corrupt (unexpected read past the framed messages)',
        offset,
      );
    }
  }

  async open(): Promise<void> {
    // The reader peeks at its first bytes when made, and reads the schema when opened.
    await this.frame();
    if (this.footerSchema === undefined) {
      await this.frame();
    }
    const offset = this.pending[0]?.offset ?? 0;
    let schema: ArrowSchema | undefined;
    try {
      const reader = RecordBatchReader.from(this.feed);
      if (this.footerSchema !== undefined) {
        reader.reset(this.footerSchema);
      }
      reader.open();
      this.reader = reader;
      schema = reader.schema as ArrowSchema | undefined;
    } catch (error) {
      throw this.wrap(error, offset);
    }
    this.checkFeed(offset);
    if (schema === undefined || schema === null) {
      throw malformed(
        this.options,
        'the input is empty; an Arrow IPC stream starts with a schema message',
        0,
      );
    }
    if (this.footerSchema === undefined) {
      this.pending.shift();
    }
    this.arrowSchema = schema;
  }

  async next(): Promise<{ batch: ArrowRecordBatch; offset: number } | undefined> {
    for (;;) {
      const target = await this.fillFeed();
      const offset = target?.offset ?? this.pending[0]?.offset ?? 0;
      let result: IteratorResult<ArrowRecordBatch>;
      try {
        result = this.reader!.next() as IteratorResult<ArrowRecordBatch>;
      } catch (error) {
        throw this.wrap(error, offset);
      }
      this.checkFeed(offset);
      if (target !== undefined) {
        this.pending.splice(0, this.pending.indexOf(target) + 1);
      }
      if (result.done === true) {
        return undefined;
      }
      if (result.value.numRows > 0) {
        return { batch: result.value, offset };
      }
      if (target === undefined) {
        // The reader's placeholder for a stream without batches.
        return undefined;
      }
    }
  }
}
