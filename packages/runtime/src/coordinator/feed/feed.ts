import type { RecordBatch } from '@tfstream/codecs';
import { RecordBatchBuilder } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { Frame } from '../../protocol/index.js';
import type {
  AckMeta,
  InputBatchMeta,
  InputEndMeta,
  InputOpenMeta,
  OutputMeta,
  RecordKey,
} from '../../protocol/record-channels.js';
import {
  RECORD_CHANNEL,
  decodeRecordBody,
  encodeRecordBody,
  fromWireKey,
  metaSchema,
  recordMeta,
  toWireKey,
} from '../../protocol/record-channels.js';
import type { Coordinator } from '../coordinator.js';
import type { CoordinatorEvent } from '../events.js';
import { InFlightLedger } from './in-flight-ledger.js';
import type { RecordSource } from './record-source.js';
import { RecordCursor } from './record-source.js';

/** How records travel to the workers (the job's `transfer`). */
export type FeedTransfer =
  | { readonly mode: 'stream' }
  | { readonly mode: 'micro-batch'; readonly batchSize: number; readonly lingerMs: number }
  | { readonly mode: 'batch'; readonly batchSize: number };

/** Options of a {@link Feed}. */
export interface FeedOptions {
  readonly source: RecordSource;
  readonly transfer: FeedTransfer;
  /** `train` jobs are done with a record when its batch is acknowledged, others on its output. */
  readonly mode: 'train' | 'inference' | 'online';
  readonly workers: number;
  /** Passes over a bounded input; default 1. */
  readonly epochs?: number;
  /** The key field; records are keyed by their position in the pass when absent. */
  readonly keyField?: string;
  /** The schema output batches are decoded with; from each message's meta when absent. */
  readonly outputSchema?: Schema;
  /** Takes each output batch, in arrival order; awaited before the next. */
  readonly onOutput?: (records: RecordBatch, keys: readonly RecordKey[]) => Promise<void> | void;
  /** Called when records are done or read. */
  readonly onProgress?: (progress: FeedProgress) => void;
  /** Called with a worker's tensor summary (`summary` channel meta). */
  readonly onSummary?: (worker: number, summary: unknown) => void;
  /**
   * Sync training: batches go to the workers in strict turn, and a pass read whole (`batch`
   * transfer) is cut into a multiple of the worker count, so that every worker gets as many batches
   * as the others and none waits at a sync step for a worker that has no data left in the pass.
   */
  readonly lockstep?: boolean;
}

/** Counts of a feed. */
export interface FeedProgress {
  /** Records read from the source and sent (first deliveries only). */
  readonly recordsIn: number;
  /** Records done (output back, or acknowledged). */
  readonly recordsOut: number;
  /** Records in flight now, and the most ever at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Records sent again after a worker died. */
  readonly redelivered: number;
  readonly total?: number;
}

interface WorkerState {
  credit: number;
  /** The pass the worker reads; undefined until it opens one (and after it died). */
  open: number | undefined;
}

interface Pending {
  readonly id: number;
  readonly epoch: number;
  readonly records: RecordBatch;
  readonly keys: readonly RecordKey[];
}

/**
 * The coordinator's side of the record flow: reads the source pass by pass, cuts it per the
 * transfer mode (`stream`: each record alone as soon as it is read; `micro-batch`: `batchSize`
 * records or `lingerMs`, whichever comes first; `batch`: the bounded input read whole, then sent),
 * keys each record, and hands batches round-robin to the workers that have credit. Reading waits
 * for credit, so memory stays bounded by the workers' windows however fast the source is.
 * Every batch sent is in the {@link InFlightLedger} until done; when a worker dies its batches
 * are sent again (the sink drops the duplicates by key). A pass ends, and `end` goes to every
 * worker, once the source is exhausted and nothing is in flight.
 *
 * @example
 * ```ts
 * const feed = new Feed(coordinator, { source, transfer: { mode: 'stream' }, mode: 'inference', workers: 1 });
 * feed.start();
 * await feed.done; // every record's output is in
 * ```
 */
export class Feed {
  /** Resolves when every pass was fed and every record is done; rejects on a feed error. */
  readonly done: Promise<void>;
  readonly ledger = new InFlightLedger();

  readonly #coordinator: Coordinator;
  readonly #options: FeedOptions;
  readonly #workers: WorkerState[];
  readonly #pending: Pending[] = [];
  readonly #abort = new AbortController();
  readonly #epochs: number;
  #epoch = 0;
  #exhausted = false;
  #seq = 0;
  #position = 0;
  #next = 0;
  #recordsIn = 0;
  #recordsOut = 0;
  #redelivered = 0;
  #wake: (() => void) | undefined;
  #outputs: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #started = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (error: Error) => void;

  constructor(coordinator: Coordinator, options: FeedOptions) {
    this.#coordinator = coordinator;
    this.#options = options;
    this.#epochs = options.source.bounded ? (options.epochs ?? 1) : 1;
    this.#workers = Array.from({ length: options.workers }, () => ({ credit: 0, open: undefined }));
    this.done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A feed that nobody awaits must not crash the process with an unhandled rejection.
    this.done.catch(() => {});
    this.#unsubscribe = coordinator.on((event) => this.#onEvent(event));
  }

  /** The counts so far. */
  get progress(): FeedProgress {
    return {
      recordsIn: this.#recordsIn,
      recordsOut: this.#recordsOut,
      inFlight: this.ledger.records,
      maxInFlight: this.ledger.maxRecords,
      redelivered: this.#redelivered,
      ...(this.#options.source.total === undefined
        ? {}
        : { total: this.#options.source.total * this.#epochs }),
    };
  }

  /** Starts feeding (the coordinator should be started; credits come from the workers). */
  start(): void {
    if (this.#started) {
      return;
    }
    this.#started = true;
    this.#loop().then(
      async () => {
        await this.#outputs;
        this.#finish();
      },
      (error: Error) => this.#finish(error),
    );
  }

  /** Stops reading and sending; `done` resolves (or rejects with an earlier error). Idempotent. */
  stop(): void {
    if (this.#stopped) {
      return;
    }
    this.#stopped = true;
    this.#abort.abort();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#poke();
    if (!this.#started) {
      this.#finish();
    }
  }

  #finish(error?: Error): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const failure = error ?? this.#failure;
    if (failure === undefined) {
      this.#resolveDone();
    } else {
      this.#rejectDone(failure);
    }
  }

  async #loop(): Promise<void> {
    const { source, transfer } = this.#options;
    for (; this.#epoch < this.#epochs; this.#epoch++) {
      this.#exhausted = false;
      this.#position = 0;
      const cursor = new RecordCursor(source.schema, source.records(this.#abort.signal));
      let whole: RecordBatch[] | undefined;
      try {
        if (transfer.mode === 'batch') {
          // Read the bounded input whole before anything is sent.
          whole = [];
          for (let part = await cursor.take(transfer.batchSize); part !== undefined;) {
            whole.push(part);
            part = await cursor.take(transfer.batchSize);
          }
          if (this.#options.lockstep === true) {
            whole = evenBatches(whole, this.#workers.length);
          }
        }
        for (;;) {
          if (this.#stopped) {
            return;
          }
          if (this.#failure !== undefined) {
            throw this.#failure;
          }
          const worker = this.#pick();
          if (this.#pending.length > 0) {
            if (worker === undefined) {
              await this.#sleep();
            } else {
              await this.#send(worker, this.#pending.shift()!, true);
            }
            continue;
          }
          if (!this.#exhausted) {
            if (worker === undefined) {
              await this.#sleep();
              continue;
            }
            // Reserve the credit while the records are read, so that no one else takes it.
            this.#workers[worker]!.credit--;
            let records: RecordBatch | undefined;
            switch (transfer.mode) {
              case 'stream':
                records = await cursor.take(1);
                break;
              case 'micro-batch':
                records = await cursor.take(transfer.batchSize, transfer.lingerMs);
                break;
              case 'batch':
                records = whole?.shift();
                break;
            }
            const state = this.#workers[worker]!;
            if (records === undefined) {
              this.#exhausted = true;
              if (state.open === this.#epoch) {
                state.credit++;
              }
              continue;
            }
            const pending: Pending = {
              id: ++this.#seq,
              epoch: this.#epoch,
              records,
              keys: this.#keysOf(records),
            };
            this.#recordsIn += records.numRows;
            if (state.open !== this.#epoch || this.#stopped) {
              this.#pending.push(pending); // The worker died while the records were read.
              continue;
            }
            state.credit++;
            await this.#send(worker, pending, false);
            continue;
          }
          if (this.ledger.batches === 0) {
            break;
          }
          await this.#sleep();
        }
      } finally {
        await cursor.close();
      }
      const end: InputEndMeta = { op: 'end', epoch: this.#epoch };
      for (const [index, state] of this.#workers.entries()) {
        if (state.open === this.#epoch) {
          state.open = undefined;
          state.credit = 0;
          this.#coordinator
            .send(
              { role: 'worker', index },
              { kind: 'data', channel: RECORD_CHANNEL.input, seq: ++this.#seq, meta: { ...end } },
            )
            .catch(() => {});
        }
      }
    }
  }

  #keysOf(records: RecordBatch): RecordKey[] {
    const field = this.#options.keyField;
    const keys: RecordKey[] = [];
    for (let row = 0; row < records.numRows; row++) {
      if (field === undefined) {
        keys.push(this.#position + row);
        continue;
      }
      const value = records.get(row, field);
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') {
        throw new TfstreamError(
          'JOB_INVALID',
          `record ${this.#position + row + 1}: the key field "${field}" holds no string or number; every record needs a key`,
          { field },
        );
      }
      keys.push(value);
    }
    this.#position += records.numRows;
    return keys;
  }

  /** The next worker, round-robin, that reads this pass and has credit. */
  #pick(): number | undefined {
    const n = this.#workers.length;
    if (this.#options.lockstep === true) {
      // Strict turn: wait for the next worker rather than give its batch to another.
      const state = this.#workers[this.#next]!;
      if (state.open === this.#epoch && state.credit > 0) {
        const index = this.#next;
        this.#next = (index + 1) % n;
        return index;
      }
      return undefined;
    }
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const state = this.#workers[index]!;
      if (state.open === this.#epoch && state.credit > 0) {
        this.#next = (index + 1) % n;
        return index;
      }
    }
    return undefined;
  }

  async #send(worker: number, batch: Pending, again: boolean): Promise<void> {
    const state = this.#workers[worker]!;
    state.credit--;
    this.ledger.add({
      id: batch.id,
      epoch: batch.epoch,
      records: batch.records,
      keys: batch.keys,
      worker,
    });
    if (again) {
      this.#redelivered += batch.records.numRows;
    }
    const meta: InputBatchMeta = {
      op: 'batch',
      epoch: batch.epoch,
      keys: batch.keys.map(toWireKey),
    };
    try {
      await this.#coordinator.send(
        { role: 'worker', index: worker },
        { kind: 'data', channel: RECORD_CHANNEL.input, seq: batch.id, meta: { ...meta } },
        encodeRecordBody(batch.records),
      );
    } catch {
      // The worker went away: its exit takes the batch back from the ledger.
    }
    this.#report();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #report(): void {
    this.#options.onProgress?.(this.progress);
  }

  #onEvent(event: CoordinatorEvent): void {
    if (event.type === 'role' && event.role === 'worker' && event.phase === 'exited') {
      const state = this.#workers[event.index];
      if (state !== undefined) {
        state.credit = 0;
        state.open = undefined;
        for (const batch of this.ledger.takeBack(event.index)) {
          this.#pending.push({
            id: batch.id,
            epoch: batch.epoch,
            records: batch.records,
            keys: batch.keys,
          });
        }
        this.#pending.sort((a, b) => a.id - b.id);
        this.#poke();
      }
      return;
    }
    if (event.type !== 'data' || event.role !== 'worker') {
      return;
    }
    try {
      this.#onFrame(event.index, {
        message: event.message,
        ...(event.body === undefined ? {} : { body: event.body }),
      });
    } catch (error) {
      this.#failure ??= error as Error;
    }
    this.#poke();
  }

  #onFrame(worker: number, frame: Frame): void {
    const state = this.#workers[worker];
    const message = frame.message;
    if (state === undefined) {
      return;
    }
    if (message.kind === 'credit') {
      if (message.channel === RECORD_CHANNEL.input && state.open !== undefined) {
        state.credit += message.credit;
      }
      return;
    }
    if (message.kind !== 'data') {
      return;
    }
    switch (message.channel) {
      case RECORD_CHANNEL.input: {
        const meta = recordMeta<InputOpenMeta>(message.meta, message.channel);
        if (meta.op !== 'open') {
          return;
        }
        if (meta.epoch < this.#epoch || meta.epoch >= this.#epochs) {
          // A restarted worker catching up, or past the last pass: nothing to read.
          const end: InputEndMeta = { op: 'end', epoch: meta.epoch };
          this.#coordinator
            .send(
              { role: 'worker', index: worker },
              { kind: 'data', channel: RECORD_CHANNEL.input, seq: ++this.#seq, meta: { ...end } },
            )
            .catch(() => {});
          return;
        }
        state.open = meta.epoch;
        state.credit = message.credit ?? 1;
        return;
      }
      case RECORD_CHANNEL.output: {
        const meta = recordMeta<OutputMeta>(message.meta, message.channel);
        const keys = meta.keys.map(fromWireKey);
        this.#recordsOut += this.ledger.completeKeys(keys);
        const schema = this.#options.outputSchema ?? metaSchema(meta);
        if (schema === undefined) {
          throw new TfstreamError(
            'PROTOCOL_ERROR',
            `worker ${worker}: an output batch without a schema`,
          );
        }
        const onOutput = this.#options.onOutput;
        const body = frame.body;
        this.#outputs = this.#outputs.then(async () => {
          if (onOutput === undefined) {
            return;
          }
          try {
            let at = 0;
            for (const records of await decodeRecordBody(
              body,
              schema,
              `worker ${worker} output ${message.seq}`,
            )) {
              await onOutput(records, keys.slice(at, at + records.numRows));
              at += records.numRows;
            }
          } catch (error) {
            this.#failure ??= error as Error;
            this.#poke();
          }
        });
        this.#report();
        return;
      }
      case RECORD_CHANNEL.ack: {
        const meta = recordMeta<AckMeta>(message.meta, message.channel);
        this.#recordsOut += this.ledger.completeBatches(meta.batches);
        this.#report();
        return;
      }
      case RECORD_CHANNEL.summary:
        this.#options.onSummary?.(worker, message.meta);
        return;
      default:
        return;
    }
  }
}

/**
 * The same records in a number of batches that is a multiple of `workers` (at least `workers`
 * when there are that many records), sizes differing by one at most, in order.
 */
export function evenBatches(batches: readonly RecordBatch[], workers: number): RecordBatch[] {
  const total = batches.reduce((sum, batch) => sum + batch.numRows, 0);
  if (total === 0 || batches.length % workers === 0) {
    return [...batches];
  }
  const count = Math.min(total, Math.ceil(batches.length / workers) * workers);
  const schema = batches[0]!.schema;
  const out: RecordBatch[] = [];
  let builder = new RecordBatchBuilder(schema);
  let target = Math.ceil(total / count);
  let left = total;
  let slots = count;
  for (const batch of batches) {
    for (let row = 0; row < batch.numRows; row++) {
      builder.appendRow(batch.row(row).toObject());
      if (builder.length === target) {
        out.push(builder.finish());
        left -= target;
        slots--;
        builder = new RecordBatchBuilder(schema);
        target = slots > 0 ? Math.ceil(left / slots) : 0;
      }
    }
  }
  if (builder.length > 0) {
    out.push(builder.finish());
  }
  return out;
}
