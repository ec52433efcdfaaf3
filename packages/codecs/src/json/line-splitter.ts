// Splits a byte stream into records that end with LF (JSON Lines, https://jsonlines.org/; and,
// with a quote-aware scanner, RFC 4180 CSV records), in constant memory: only the bytes of the
// record being assembled are kept, and never more than the record size limit.
import { TfstreamError } from '@tfstream/schema';
import type { DecodeContext } from '../batch/decode-context.js';
import type { RecordBatch } from '../batch/record-batch.js';

const LF = 0x0a;

/** Finds where records end; it may keep state between chunks (a CSV scanner knows when it is inside quotes). */
export interface RecordScanner {
  /** Index of the LF that ends the current record in `bytes[from..]`, or -1 when the chunk ends first. */
  findEnd(bytes: Uint8Array, from: number): number;
  /** Line feeds inside the current record so far (newlines in quoted CSV cells). */
  readonly innerLines: number;
  /** Starts the next record. */
  reset(): void;
  /** Called before a new chunk is scanned (a scanner may cache positions within one chunk). */
  startChunk?(): void;
}

/** The scanner of JSON Lines: every LF ends a record. */
export const LINE_SCANNER: RecordScanner = {
  findEnd: (bytes, from) => bytes.indexOf(LF, from),
  innerLines: 0,
  reset: () => undefined,
};

/**
 * Cuts chunks into records. Each record is yielded once, as its bytes without the LF (a view of
 * the chunk when it lies in one chunk, a fresh array when it straddles chunks), or as `null` for
 * a record longer than `maxRecordBytes`: that one is yielded as soon as it passes the limit, and
 * its bytes are dropped up to its end, so that a huge line never sits in memory.
 */
export class RecordSplitter {
  /** 1-based line number on which the record yielded last starts. */
  line = 0;
  private nextLine = 1;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private readonly maxRecordBytes: number;
  private readonly scanner: RecordScanner;

  constructor(maxRecordBytes: number, scanner: RecordScanner = LINE_SCANNER) {
    this.maxRecordBytes = maxRecordBytes;
    this.scanner = scanner;
  }

  /** The records that end in `chunk`. */
  *push(chunk: Uint8Array): Generator<Uint8Array | null> {
    this.scanner.startChunk?.();
    let pos = 0;
    while (pos < chunk.length) {
      const end = this.scanner.findEnd(chunk, pos);
      if (end < 0) {
        if (!this.discarding) {
          const size = this.pendingBytes + chunk.length - pos;
          if (size > this.maxRecordBytes) {
            this.startDiscarding();
            yield null;
          } else {
            // Copied: the caller may reuse the chunk once this returns.
            this.pending.push(chunk.slice(pos));
            this.pendingBytes = size;
          }
        }
        return;
      }
      const discarded = this.discarding;
      this.finishRecord();
      if (!discarded) {
        const size = this.pendingBytes + end - pos;
        if (size > this.maxRecordBytes) {
          this.clearPending();
          yield null;
        } else if (this.pending.length === 0) {
          yield chunk.subarray(pos, end);
        } else {
          yield this.takePending(chunk.subarray(pos, end));
        }
      }
      pos = end + 1;
    }
  }

  /** The last record, when the stream does not end with LF. */
  *end(): Generator<Uint8Array | null> {
    if (this.discarding || this.pending.length === 0) {
      this.discarding = false;
      return;
    }
    this.finishRecord();
    yield this.takePending(new Uint8Array(0));
  }

  /** An error for a record over the limit, to report at {@link line}. */
  limitError(): TfstreamError {
    return new TfstreamError(
      'CODEC_LIMIT_EXCEEDED',
      `the record starting on line ${this.line} is longer than ${this.maxRecordBytes} bytes; raise limits.maxRecordBytes if it is genuine`,
      { line: this.line },
    );
  }

  private startDiscarding(): void {
    this.discarding = true;
    this.line = this.nextLine;
    this.clearPending();
  }

  private finishRecord(): void {
    if (!this.discarding) {
      this.line = this.nextLine;
    }
    this.discarding = false;
    this.nextLine += 1 + this.scanner.innerLines;
    this.scanner.reset();
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private takePending(last: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.pendingBytes + last.length);
    let offset = 0;
    for (const part of this.pending) {
      out.set(part, offset);
      offset += part.length;
    }
    out.set(last, offset);
    this.clearPending();
    return out;
  }
}

const BOM = [0xef, 0xbb, 0xbf];

/** Drops a UTF-8 byte order mark at the start of a stream, even when it straddles chunks. */
export async function* skipBom(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let head: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    const joined: Uint8Array = head.length === 0 ? chunk : concat(head, chunk);
    if (joined.length < 3 && isBomPrefix(joined)) {
      head = joined;
      continue;
    }
    head = undefined;
    const rest = isBomPrefix(joined) ? joined.subarray(3) : joined;
    if (rest.length > 0) {
      yield rest;
    }
  }
  if (head !== undefined && head.length > 0) {
    yield head;
  }
}

function isBomPrefix(bytes: Uint8Array): boolean {
  const n = Math.min(3, bytes.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== BOM[i]) {
      return false;
    }
  }
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The records of a stream (a leading BOM skipped), split by `splitter`: each record's bytes, or
 * `null` for a record over the size limit; the last record without a line end included.
 */
export async function* splitRecords(
  chunks: AsyncIterable<Uint8Array>,
  splitter: RecordSplitter,
): AsyncGenerator<Uint8Array | null> {
  for await (const chunk of skipBom(chunks)) {
    yield* splitter.push(chunk);
  }
  yield* splitter.end();
}

/**
 * Hands every record of a stream (see {@link splitRecords}) to `decode`, yielding every batch
 * `decode` completes and, at the end, the records still in `ctx`.
 */
export async function* decodeSplitRecords(
  chunks: AsyncIterable<Uint8Array>,
  splitter: RecordSplitter,
  ctx: DecodeContext,
  decode: (bytes: Uint8Array | null) => RecordBatch | undefined,
): AsyncGenerator<RecordBatch> {
  for await (const bytes of splitRecords(chunks, splitter)) {
    const batch = decode(bytes);
    if (batch !== undefined) {
      yield batch;
    }
  }
  const rest = ctx.flush();
  if (rest !== undefined) {
    yield rest;
  }
}
