// Where a run's input records come from: a record file (by extension) or a synthetic generator.
import type { RecordBatch } from '@tfstream/codecs';
import { RecordBatchBuilder } from '@tfstream/codecs';
import { readRecordFile } from '@tfstream/codecs/node';
import type { Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { Job } from '../../job/index.js';
import { syntheticRecords, syntheticSchema } from './synthetic-source.js';

/** An opened input: its schema, and its records pass by pass. */
export interface RecordSource {
  readonly schema: Schema;
  /** Whether the input ends (a file, a counted generator); only a bounded input has passes. */
  readonly bounded: boolean;
  /** Records in all, when known before reading. */
  readonly total: number | undefined;
  /** The records of one pass, in batches; a new pass reads the input again from its start. */
  records(signal: AbortSignal): AsyncIterable<RecordBatch>;
}

/**
 * Opens the job's input (the schema of a file is inferred when the job says `"infer"`).
 *
 * @throws `JOB_INVALID` for a `push` source (not served yet) or an unknown generator; codec and
 *   I/O errors naming the file.
 */
export async function openRecordSource(job: Job): Promise<RecordSource> {
  const source = job.input.source;
  const given = job.input.schema.kind === 'infer' ? undefined : job.input.schema.schema;
  switch (source.kind) {
    case 'file': {
      const path = source.file.resolved;
      const first = await readRecordFile(path, {
        format: source.format,
        ...(given === undefined ? {} : { schema: given }),
      });
      const schema = first.schema;
      return {
        schema,
        bounded: true,
        total: undefined,
        async *records() {
          const file = await readRecordFile(path, { format: source.format, schema });
          yield* file.batches;
        },
      };
    }
    case 'synthetic': {
      const schema = given ?? syntheticSchema(source.generator);
      return {
        schema,
        bounded: source.count !== undefined,
        total: source.count,
        records: (signal) =>
          syntheticRecords(source.generator, {
            seed: source.seed,
            signal,
            ...(source.rate === undefined ? {} : { rate: source.rate }),
            ...(source.count === undefined ? {} : { count: source.count }),
          }),
      };
    }
    case 'push':
      throw new TfstreamError(
        'JOB_INVALID',
        'input.source: "push" sources are not served by startRun yet; use a file or a synthetic source',
      );
  }
}

/** Rows `start` to `end` (exclusive) of a batch, as a batch of their own (copied). */
export function sliceBatch(batch: RecordBatch, start: number, end: number): RecordBatch {
  if (start === 0 && end === batch.numRows) {
    return batch;
  }
  const builder = new RecordBatchBuilder(batch.schema, Math.max(1, end - start));
  for (let row = start; row < end; row++) {
    builder.appendRow(batch.row(row).toObject());
  }
  return builder.finish();
}

/** Concatenates batches of one schema (copied unless there is one). */
export function concatBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
  if (batches.length === 1) {
    return batches[0]!;
  }
  const rows = batches.reduce((n, batch) => n + batch.numRows, 0);
  const builder = new RecordBatchBuilder(schema, Math.max(1, rows));
  for (const batch of batches) {
    for (let row = 0; row < batch.numRows; row++) {
      builder.appendRow(batch.row(row).toObject());
    }
  }
  return builder.finish();
}

/**
 * Reads records from a pass of a source in pieces: `take(max, lingerMs)` resolves with up to
 * `max` rows, fewer when `lingerMs` passed since the first of them or the pass ends
 * (`undefined` when nothing is left). Holds at most one source batch.
 */
export class RecordCursor {
  readonly #iterator: AsyncIterator<RecordBatch>;
  readonly #schema: Schema;
  #current: RecordBatch | undefined;
  #offset = 0;
  #pending: Promise<IteratorResult<RecordBatch>> | undefined;
  #done = false;

  constructor(schema: Schema, records: AsyncIterable<RecordBatch>) {
    this.#schema = schema;
    this.#iterator = records[Symbol.asyncIterator]();
  }

  /** Whether the pass has ended and every row was taken. */
  get done(): boolean {
    return this.#done && this.#current === undefined;
  }

  async take(max: number, lingerMs?: number): Promise<RecordBatch | undefined> {
    const parts: RecordBatch[] = [];
    let taken = 0;
    let deadline: number | undefined;
    while (taken < max) {
      if (taken > 0 && lingerMs !== undefined) {
        deadline ??= Date.now() + lingerMs;
      }
      if (this.#current !== undefined) {
        const end = Math.min(this.#current.numRows, this.#offset + max - taken);
        parts.push(sliceBatch(this.#current, this.#offset, end));
        taken += end - this.#offset;
        this.#offset = end;
        if (this.#offset >= this.#current.numRows) {
          this.#current = undefined;
        }
        continue;
      }
      if (this.#done) {
        break;
      }
      this.#pending ??= this.#iterator.next();
      let result: IteratorResult<RecordBatch> | undefined;
      if (deadline === undefined || taken === 0) {
        result = await this.#pending;
      } else {
        const wait = deadline - Date.now();
        if (wait <= 0) {
          break;
        }
        let timer: NodeJS.Timeout | undefined;
        result = await Promise.race([
          this.#pending,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), wait);
          }),
        ]);
        clearTimeout(timer);
        if (result === undefined) {
          break;
        }
      }
      this.#pending = undefined;
      if (result.done === true) {
        this.#done = true;
      } else if (result.value.numRows > 0) {
        this.#current = result.value;
        this.#offset = 0;
      }
    }
    return taken === 0 ? undefined : concatBatches(this.#schema, parts);
  }

  /** Stops the pass (ends the source's iteration). Idempotent. */
  async close(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#current = undefined;
      await this.#iterator.return?.();
    }
  }
}
