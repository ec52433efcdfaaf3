// Records pushed to a running job from outside (the studio's `POST /api/runs/:runId/records`):
// the `push` input source, live and unbounded, with a bounded queue between the pusher and the feed.
import type { Format, RecordBatch } from '@tfstream/codecs';
import { csvFormat, jsonlFormat } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import type { RecordSource } from './record-source.js';

/** The text forms records can be pushed in: JSON Lines (RFC 8259 per line) or CSV with a header (RFC 4180). */
export type PushFormat = 'jsonl' | 'csv';

/** Options of a {@link PushSource}. */
export interface PushSourceOptions {
  /** The job's input schema: pushed records are decoded and checked by it. */
  readonly schema: Schema;
  /** Records queued at most before {@link PushSource.write} waits for the feed; default 10 000. */
  readonly capacity?: number;
}

/** A pushed record that was rejected, and why (`CODEC_TYPE_MISMATCH: record 3: field "x": …`). */
export interface PushRejection {
  /** 1-based number of the record in the pushed body. */
  readonly record: number;
  readonly message: string;
  readonly field?: string;
}

/**
 * What became of one pushed body. Good records are queued and bad ones listed; when `refused` is
 * set nothing was queued: `full` (the queue stayed full until the timeout: push again later) or
 * `ended` (the input was ended).
 */
export interface PushResult {
  readonly accepted: number;
  readonly rejected: readonly PushRejection[];
  readonly refused?: 'full' | 'ended';
}

/** Options of {@link PushSource.write}. */
export interface PushWriteOptions {
  /** How long to wait for room when the queue is full, in ms; default 0 (refuse at once). */
  readonly timeoutMs?: number;
}

const FORMATS: Readonly<Record<PushFormat, Format>> = { jsonl: jsonlFormat, csv: csvFormat };

/**
 * The input of a `push` job: records arrive through {@link write} (decoded by the input schema,
 * bad records rejected one by one, good ones queued) until {@link end}. The feed reads the queue
 * as one unbounded pass; a full queue makes writers wait or be refused, so memory stays bounded
 * however fast records are pushed. Pass it to `startRun` as the `push` option.
 *
 * @example
 * ```ts
 * const push = new PushSource({ schema: job.input.schema.schema });
 * const run = await startRun(job, { runDir, push });
 * await push.write('{"x":1}\n{"x":"oops"}\n', 'jsonl'); // { accepted: 1, rejected: [{ record: 2, ... }] }
 * push.end(); // the run finishes once every queued record is done
 * ```
 */
export class PushSource implements RecordSource {
  readonly schema: Schema;
  readonly bounded = false;
  readonly total = undefined;
  readonly capacity: number;
  readonly #queue: RecordBatch[] = [];
  #queued = 0;
  #received = 0;
  #ended = false;
  /** Wakes the reader when records arrive or the input ends. */
  #wakeReader: (() => void) | undefined;
  /** Wake writers waiting for room. */
  readonly #wakeWriters = new Set<() => void>();

  constructor(options: PushSourceOptions) {
    this.schema = options.schema;
    this.capacity = Math.max(1, options.capacity ?? 10_000);
  }

  /** Records queued and not yet taken by the feed. */
  get queued(): number {
    return this.#queued;
  }

  /** Records accepted so far. */
  get received(): number {
    return this.#received;
  }

  /** Whether {@link end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Decodes `body` (JSON Lines, or CSV with a header line) record by record: bad records are
   * rejected with their number and field, good ones are queued in order. A body that does not fit
   * the queue waits up to `timeoutMs` for room, else nothing is queued (`refused: 'full'`).
   */
  async write(
    body: string | Uint8Array,
    format: PushFormat,
    options: PushWriteOptions = {},
  ): Promise<PushResult> {
    const rejected: PushRejection[] = [];
    const batches: RecordBatch[] = [];
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    for await (const batch of FORMATS[format].decode(once(bytes), {
      schema: this.schema,
      source: 'pushed records',
      onError: 'skip',
      onDeadLetter: ({ error, record }) =>
        rejected.push({
          record,
          message: error.message,
          ...(error.location.field === undefined ? {} : { field: error.location.field }),
        }),
    })) {
      if (batch.numRows > 0) {
        batches.push(batch);
      }
    }
    const count = batches.reduce((n, batch) => n + batch.numRows, 0);
    if (this.#ended) {
      return { accepted: 0, rejected, refused: 'ended' };
    }
    if (count === 0) {
      return { accepted: 0, rejected };
    }
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    // A body larger than the whole queue still goes in once the queue is empty.
    while (this.#queued > 0 && this.#queued + count > this.capacity) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return { accepted: 0, rejected, refused: 'full' };
      }
      await this.#roomOrTimeout(left);
      if (this.#ended) {
        return { accepted: 0, rejected, refused: 'ended' };
      }
    }
    this.#queue.push(...batches);
    this.#queued += count;
    this.#received += count;
    this.#wake();
    return { accepted: count, rejected };
  }

  /** No more records: the pass (and so a `push` run) ends once the queue is drained. Idempotent. */
  end(): void {
    this.#ended = true;
    this.#wake();
    for (const wake of this.#wakeWriters) {
      wake();
    }
  }

  /** The one pass of pushed records, as they arrive; ends after {@link end} and the last record. */
  async *records(signal: AbortSignal): AsyncIterable<RecordBatch> {
    const onAbort = (): void => this.#wake();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal.aborted) {
          return;
        }
        const batch = this.#queue.shift();
        if (batch !== undefined) {
          this.#queued -= batch.numRows;
          for (const wake of this.#wakeWriters) {
            wake();
          }
          yield batch;
          continue;
        }
        if (this.#ended) {
          return;
        }
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }

  #roomOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeWriters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeWriters.add(done);
    });
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
