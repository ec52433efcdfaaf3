// Where a run's input records come from: a record file (by extension) or a synthetic generator.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RecordBatch } from '@tfstream/codecs';
import { readRecordFile } from '@tfstream/codecs/node';
import type { Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { Job } from '../../job/index.js';
import { concatBatches, sliceBatch } from '../../protocol/batch-slices.js';
import { syntheticRecords, syntheticSchema, syntheticSchemaProblem } from './synthetic-source.js';

/** An opened input: its schema, and its records pass by pass. */
export interface RecordSource {
  readonly schema: Schema;
  /** Whether the input ends (a file, a counted generator); only a bounded input has passes. */
  readonly bounded: boolean;
  /** Records in all, when known before reading. */
  readonly total: number | undefined;
  /**
   * Counts the records of one pass without keeping them, for progress when `total` is not known
   * before reading (a file). Absent when the source cannot tell.
   */
  count?(signal: AbortSignal): Promise<number>;
  /** The records of one pass, in batches; a new pass reads the input again from its start. */
  records(signal: AbortSignal): AsyncIterable<RecordBatch>;
}

/**
 * Opens the job's input (the schema of a file is inferred when the job says `"infer"`).
 *
 * @throws `JOB_INVALID` for a `push` source (those records come through a `PushSource`, which
 *   `startRun` takes as its `push` option), an unknown generator or a schema other than the
 *   generator's (`syntheticSchemaProblem`); codec and I/O errors naming the file.
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
        async count(signal) {
          const file = await readRecordFile(path, { format: source.format, schema });
          let records = 0;
          for await (const batch of file.batches) {
            records += batch.numRows;
            // Behind the feed: the feed's own work goes first.
            await nextTurn();
            if (signal.aborted) {
              break;
            }
          }
          return records;
        },
      };
    }
    case 'synthetic': {
      const problem =
        given === undefined ? undefined : syntheticSchemaProblem(source.generator, given);
      if (problem !== undefined) {
        throw new TfstreamError('JOB_INVALID', `${problem.path}: ${problem.message}`);
      }
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
        'input.source: a "push" source needs a PushSource to receive its records; pass one as startRun\'s "push" option',
      );
  }
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

  /** Rows that can be taken at once, without waiting for the source: the rest of its batch. */
  get available(): number {
    return this.#current === undefined ? 0 : this.#current.numRows - this.#offset;
  }

  /** Up to `max` of the {@link available} rows, at once (a view); undefined when there are none. */
  takeAvailable(max: number): RecordBatch | undefined {
    const current = this.#current;
    if (current === undefined || max <= 0) {
      return undefined;
    }
    const end = Math.min(current.numRows, this.#offset + max);
    const rows = sliceBatch(current, this.#offset, end);
    this.#offset = end;
    if (end >= current.numRows) {
      this.#current = undefined;
    }
    return rows;
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
