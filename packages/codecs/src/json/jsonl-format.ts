// JSON Lines (https://jsonlines.org/): one JSON object (RFC 8259) per line, UTF-8, lines ending
// in LF (CRLF is read too), blank lines skipped, a leading byte order mark skipped.
import type { SampleCell, SampleRecord, Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import { DecodeContext, flushOnError } from '../batch/decode-context.js';
import type { RecordBatch } from '../batch/record-batch.js';
import type {
  BatchEncoder,
  DecodeOptions,
  EncodeOptions,
  Format,
  SampleOptions,
} from '../format.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../format.js';
import { parseJsonEntries } from './exact-json.js';
import { JsonRecordReader, JsonRecordWriter, checkBatchSchema, decodeUtf8 } from './json-record.js';
import { RecordSplitter, decodeSplitRecords, splitRecords } from './line-splitter.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The line without a CR before its LF. */
function withoutCr(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  return n > 0 && bytes[n - 1] === 0x0d ? bytes.subarray(0, n - 1) : bytes;
}

/** Whether a line holds only JSON whitespace (it is skipped, not a record). */
function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) {
      return false;
    }
  }
  return true;
}

class JsonlEncoder implements BatchEncoder {
  private readonly writer: JsonRecordWriter;

  constructor(
    private readonly schema: Schema,
    private readonly options: EncodeOptions,
  ) {
    this.writer = new JsonRecordWriter(schema);
  }

  start(): Uint8Array {
    return EMPTY;
  }

  encode(batch: RecordBatch): Uint8Array {
    checkBatchSchema(this.schema, batch, this.options.source);
    let out = '';
    for (let row = 0; row < batch.numRows; row++) {
      out += `${this.writer.format(batch, row)}\n`;
    }
    return encoder.encode(out);
  }

  end(): Uint8Array {
    return EMPTY;
  }
}

async function* decodeJsonl(
  chunks: AsyncIterable<Uint8Array>,
  ctx: DecodeContext,
  reader: JsonRecordReader,
): AsyncGenerator<RecordBatch> {
  const splitter = new RecordSplitter(ctx.maxRecordBytes);
  const decodeLine = (bytes: Uint8Array | null): RecordBatch | undefined => {
    const line = splitter.line;
    if (bytes === null) {
      ctx.recordError(splitter.limitError(), undefined, { line });
      return undefined;
    }
    const text = withoutCr(bytes);
    if (isBlank(text)) {
      return undefined;
    }
    return ctx.decodeRecord((builder) => reader.readBytes(text, builder, line), text, { line });
  };
  yield* decodeSplitRecords(chunks, splitter, ctx, decodeLine);
}

async function* sampleJsonl(
  chunks: AsyncIterable<Uint8Array>,
  options: SampleOptions,
): AsyncGenerator<SampleRecord> {
  const limit = options.limit ?? 1000;
  if (limit <= 0) {
    return;
  }
  const splitter = new RecordSplitter(options.limits?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  const keys: string[] = [];
  const seen = new Set<string>();
  let record = 0;
  const file = options.source === undefined ? {} : { file: options.source };
  const sampleLine = (bytes: Uint8Array | null): SampleRecord | undefined => {
    const line = splitter.line;
    if (bytes === null) {
      throw splitter.limitError().at({ ...file, record: record + 1 });
    }
    const text = withoutCr(bytes);
    if (isBlank(text)) {
      return undefined;
    }
    record++;
    let entries: Map<string, unknown>;
    try {
      entries = parseJsonEntries(decodeUtf8(text, `line ${line}`));
    } catch (error) {
      if (!(error instanceof TfstreamError)) {
        throw error;
      }
      const e = error;
      throw new TfstreamError(
        e.code,
        e.detail.startsWith('line ') ? e.detail : `line ${line}: ${e.detail}`,
        { ...file, record, line },
      );
    }
    for (const key of entries.keys()) {
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
    const sample = new Map<string, SampleCell>();
    for (const key of keys) {
      const value = entries.get(key);
      sample.set(key, value === undefined || value === null ? null : { kind: 'json', value });
    }
    return sample;
  };
  for await (const bytes of splitRecords(chunks, splitter)) {
    const sample = sampleLine(bytes);
    if (sample !== undefined) {
      yield sample;
      if (record >= limit) {
        return;
      }
    }
  }
}

/**
 * JSON Lines: one JSON object per record and line (https://jsonlines.org/, RFC 8259), every
 * value in its JSON form (see `toJsonValue`), keys in schema order. Reading accepts keys in any
 * order, ignores keys that are not fields, reads an absent key as null, skips blank lines and a
 * byte order mark, accepts CRLF, and keeps 64-bit integers and decimals exact even when written
 * as bare numbers. `.json` files are read as JSON Lines too.
 *
 * @example
 * ```ts
 * for await (const batch of jsonlFormat.decode(chunks, { schema, source: 'data.jsonl' })) {
 *   console.log(batch.numRows);
 * }
 * ```
 */
export const jsonlFormat: Format = {
  name: 'jsonl',
  extensions: ['.ndjson', '.jsonl', '.json'],
  mediaType: 'application/x-ndjson',
  checkSchema(): void {
    // JSON carries every type and shape.
  },
  decode(chunks: AsyncIterable<Uint8Array>, options: DecodeOptions): AsyncGenerator<RecordBatch> {
    const ctx = new DecodeContext(options);
    return flushOnError(ctx, decodeJsonl(chunks, ctx, new JsonRecordReader(options.schema)));
  },
  createEncoder(schema: Schema, options: EncodeOptions = {}): BatchEncoder {
    return new JsonlEncoder(schema, options);
  },
  sample(
    chunks: AsyncIterable<Uint8Array>,
    options: SampleOptions = {},
  ): AsyncGenerator<SampleRecord> {
    return sampleJsonl(chunks, options);
  },
};
