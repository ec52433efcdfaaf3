import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { InferOptions, InferredSchema, Schema } from '@tfstream/schema';
import { TfstreamError, inferSchema } from '@tfstream/schema';
import type { RecordBatch } from '../batch/record-batch.js';
import type { DecodeOptions, Format, FormatName } from '../format.js';
import { resolveFormatName, loadFormat } from './format-registry.js';

/** A file's format as told from its name (or, failing that, its first bytes). */
export interface FileFormat {
  readonly format: Format;
  /** Whether the file is gzip-compressed (a `.gz` ending or the gzip magic bytes). */
  readonly gzip: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const READ_CHUNK = 1 << 20;

/**
 * Tells a file's format: by its name (`.csv`, `.jsonl`, `.tfrecord[.gz]`, `.arrow`, ...), and for
 * names that do not say (`data_tfrecord-00000-of-00002.gz`), by looking at its first bytes.
 * @throws TfstreamError `FORMAT_UNKNOWN` when neither tells
 */
export async function detectFileFormat(path: string, override?: FormatName): Promise<FileFormat> {
  const head = await readHead(path, 64);
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const name = override ?? resolveFormatName(basename(path)) ?? (await sniffFormat(path, gzip));
  if (name === undefined) {
    throw new TfstreamError(
      'FORMAT_UNKNOWN',
      'cannot tell the format from the file name or its contents; name it .csv, .jsonl, .tfrecord, .tfrecord.gz or .arrow',
      { file: path },
    );
  }
  return { format: await loadFormat(name), gzip };
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw ioError(path, error);
  }
  try {
    const buffer = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Guesses the format from the first decompressed bytes. */
async function sniffFormat(path: string, gzip: boolean): Promise<FormatName | undefined> {
  let head: Uint8Array = new Uint8Array(0);
  for await (const chunk of readFileChunks(path, gzip)) {
    head = chunk.subarray(0, 64);
    break;
  }
  if (head.length >= 12 && looksLikeTfrecord(head)) {
    return 'tfrecord';
  }
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '');
  if (
    text.startsWith('ARROW1') ||
    (head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff)
  ) {
    return 'arrow';
  }
  if (/^\s*\{/.test(text)) {
    return 'jsonl';
  }
  return undefined;
}

function looksLikeTfrecord(head: Uint8Array): boolean {
  // uint64 length little-endian: a plausible record length has zero high bytes.
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return (
    view.getUint32(4, true) === 0 &&
    view.getUint32(0, true) > 0 &&
    view.getUint32(0, true) < 1 << 30
  );
}

/** The file's bytes in chunks, decompressed when `gzip`; constant memory. */
export async function* readFileChunks(path: string, gzip: boolean): AsyncGenerator<Uint8Array> {
  let stream: Readable = createReadStream(path, { highWaterMark: READ_CHUNK });
  if (gzip) {
    stream = stream.pipe(createGunzip({ chunkSize: READ_CHUNK }));
  }
  try {
    for await (const chunk of stream) {
      yield chunk as Uint8Array;
    }
  } catch (error) {
    throw ioError(path, error);
  } finally {
    stream.destroy();
  }
}

function ioError(path: string, error: unknown): TfstreamError {
  if (error instanceof TfstreamError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  const detail =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR'
        ? `the gzip data is corrupt or truncated (${(error as Error).message})`
        : (error as Error).message;
  return new TfstreamError('IO_ERROR', detail, { file: path }, { cause: error });
}

export interface ReadFileOptions extends Omit<DecodeOptions, 'schema' | 'source'> {
  /** The schema to decode with; inferred from the first `sample` records when left out. */
  readonly schema?: Schema;
  /** Records to infer the schema from when no schema is given; default 1000. */
  readonly sample?: number;
  /** Overrides the format told from the file name. */
  readonly format?: FormatName;
}

/** An open file's records, with the schema they are decoded by. */
export interface RecordFile {
  readonly path: string;
  readonly format: Format;
  readonly schema: Schema;
  /** Set when the schema was inferred. */
  readonly inferred: InferredSchema | undefined;
  readonly batches: AsyncIterable<RecordBatch>;
}

/**
 * Opens a record file for reading in batches, in constant memory.
 *
 * @example
 * ```ts
 * const file = await readRecordFile('train.tfrecord.gz', { batchSize: 256 });
 * for await (const batch of file.batches) console.log(batch.numRows);
 * ```
 */
export async function readRecordFile(
  path: string,
  options: ReadFileOptions = {},
): Promise<RecordFile> {
  const { format, gzip } = await detectFileFormat(path, options.format);
  let inferred: InferredSchema | undefined;
  let schema = options.schema;
  if (schema === undefined) {
    inferred = await inferFileSchema(path, {
      limit: options.sample ?? 1000,
      ...(options.format === undefined ? {} : { format: options.format }),
    });
    schema = inferred.schema;
  }
  format.checkSchema(schema);
  const decodeOptions: DecodeOptions = { ...options, schema, source: path };
  return {
    path,
    format,
    schema,
    inferred,
    batches: {
      [Symbol.asyncIterator]: () => format.decode(readFileChunks(path, gzip), decodeOptions),
    },
  };
}

export interface InferFileOptions extends InferOptions {
  /** Records to read at most; default 1000. */
  readonly limit?: number;
  readonly format?: FormatName;
}

/**
 * Infers a file's schema from its first records.
 * @throws TfstreamError `SCHEMA_INFER_EMPTY` when the file has no records
 */
export async function inferFileSchema(
  path: string,
  options: InferFileOptions = {},
): Promise<InferredSchema> {
  const { format, gzip } = await detectFileFormat(path, options.format);
  const samples = format.sample(readFileChunks(path, gzip), {
    limit: options.limit ?? 1000,
    source: path,
  });
  try {
    return await inferSchema(samples, options);
  } catch (error) {
    throw error instanceof TfstreamError ? error.at({ file: path }) : error;
  }
}

/**
 * Writes batches to a file whose format follows from its name (`.gz` compresses).
 *
 * @example
 * ```ts
 * const writer = await RecordFileWriter.open('out.tfrecord.gz', schema);
 * await writer.write(batch);
 * await writer.close();
 * ```
 */
export class RecordFileWriter {
  readonly path: string;
  readonly schema: Schema;
  private readonly encoder: ReturnType<Format['createEncoder']>;
  private readonly sink: Writable;
  private readonly file: Writable;
  private closed = false;
  private failure: Error | undefined;

  private constructor(path: string, schema: Schema, format: Format, gzip: boolean) {
    this.path = path;
    this.schema = schema;
    this.encoder = format.createEncoder(schema, { source: path });
    this.file = createWriteStream(path);
    this.sink = gzip ? createGzip() : this.file;
    if (gzip) {
      this.sink.pipe(this.file);
    }
    const remember = (error: Error): void => {
      this.failure ??= error;
    };
    this.file.on('error', remember);
    this.sink.on('error', remember);
  }

  /**
   * Opens `path` for writing. The format follows from the name, or from `format`.
   * @throws TfstreamError `CODEC_UNSUPPORTED_TYPE` when the format cannot carry a field
   */
  static async open(path: string, schema: Schema, format?: FormatName): Promise<RecordFileWriter> {
    const name = format ?? resolveFormatName(basename(path));
    if (name === undefined) {
      throw new TfstreamError(
        'FORMAT_UNKNOWN',
        'cannot tell the output format from the file name; end it in .csv, .jsonl, .tfrecord, .tfrecord.gz or .arrow',
        {
          file: path,
        },
      );
    }
    const resolved = await loadFormat(name);
    resolved.checkSchema(schema);
    const writer = new RecordFileWriter(path, schema, resolved, path.endsWith('.gz'));
    await writer.put(writer.encoder.start());
    return writer;
  }

  /** Appends a batch. */
  async write(batch: RecordBatch): Promise<void> {
    if (this.closed) {
      throw new TfstreamError('IO_ERROR', 'the writer is closed', { file: this.path });
    }
    await this.put(this.encoder.encode(batch));
  }

  /** Finishes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.put(this.encoder.end());
    this.sink.end();
    if (!this.file.writableFinished) {
      await Promise.race([once(this.file, 'finish'), once(this.file, 'close')]).catch(
        () => undefined,
      );
    }
    this.check();
  }

  private async put(bytes: Uint8Array): Promise<void> {
    this.check();
    if (bytes.length > 0 && !this.sink.write(bytes)) {
      await once(this.sink, 'drain');
    }
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) {
      throw ioError(this.path, this.failure);
    }
  }
}
