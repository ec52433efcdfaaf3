import type { RecordBatch } from '@tfstream/codecs';
import { columnValue } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import { TfstreamError, fieldIndex } from '@tfstream/schema';
import type { Frame } from '../../protocol/index.js';
import { concatBatches, sliceBatch } from '../../protocol/batch-slices.js';
import { decodeRecordBody, encodeRecordBody } from '../../protocol/record-body.js';
import type {
  AckMeta,
  BatchKeys,
  InputBatchMeta,
  InputEndMeta,
  InputOpenMeta,
  OutputMeta,
  RecordKey,
} from '../../protocol/record-channels.js';
import {
  RECORD_CHANNEL,
  fromWireKey,
  isKeyList,
  keyCount,
  metaSchema,
  recordMeta,
  sliceKeys,
  toWireKeys,
} from '../../protocol/record-channels.js';
import type { Coordinator } from '../coordinator.js';
import type { CoordinatorEvent } from '../events.js';
import { InFlightLedger } from './in-flight-ledger.js';
import type { LatencySummary } from './latency.js';
import { LatencySample } from './latency.js';
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
  readonly onOutput?: (records: RecordBatch, keys: BatchKeys) => Promise<void> | void;
  /**
   * Called with the rows of an output that answers a batch already done (a worker that died
   * after it answered): duplicates the feed drops without knowing their keys.
   */
  readonly onDuplicates?: (rows: number) => void;
  /**
   * Called when records are done or read: at once when the last call is
   * {@link PROGRESS_EVERY_MS} old, else once that long after it, and when the feed ends.
   */
  readonly onProgress?: (progress: FeedProgress) => void;
  /** Called with a worker's tensor summary (`summary` channel meta). */
  readonly onSummary?: (worker: number, summary: unknown) => void;
  /**
   * Sync training: batches go to the workers in strict turn, and every pass is cut into a multiple
   * of the worker count (sizes within one at the end of the pass), so that every worker gets as
   * many batches as the others and none waits at a sync step for a worker that has no data left
   * in the pass. A pass read whole (`batch` transfer) is cut as a whole; otherwise the feed reads
   * one round (a batch per worker) ahead, so that the last two rounds can be cut again.
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
  /**
   * Records the run will have done in all (every pass), when known: a counted generator's count,
   * or a file's records, counted in the background as the first pass starts (exact once that
   * pass has been read).
   */
  readonly total?: number;
}

/**
 * Batches sent to a worker in one frame at most: those the source holds already when the worker
 * has credit for them (a burst), so that the cost of a frame is shared.
 */
export const MAX_BUNDLE = 8;

/** Progress is reported at most this often (a fast run would otherwise report every batch). */
export const PROGRESS_EVERY_MS = 20;

interface WorkerState {
  credit: number;
  /** The credit the worker granted when it opened the pass: the most batches it holds. */
  window: number;
  /** Whether the feed is filling the worker's window (it held half of it or less). */
  filling: boolean;
  /** The pass the worker reads; undefined until it opens one (and after it died). */
  open: number | undefined;
}

interface Pending {
  readonly id: number;
  readonly epoch: number;
  readonly records: RecordBatch;
  readonly keys: BatchKeys;
}

/**
 * The coordinator's side of the record flow: reads the source pass by pass, cuts it per the
 * transfer mode (`stream`: each record alone as soon as it is read; `micro-batch`: `batchSize`
 * records or `lingerMs`, whichever comes first; `batch`: the bounded input read whole, then sent),
 * keys each record (a run of positions, or the key field's values), and hands batches round-robin
 * to the workers that have credit. Batches stay columnar all the way: cut as views of the source's
 * batches, sent as their columns' buffers, and an output that answers a batch comes back with a
 * reference to it rather than a key per row. Reading waits for credit, so memory stays bounded by
 * the workers' windows however fast the source is. Every batch sent is in the
 * {@link InFlightLedger} until done; when a worker dies its batches are sent again (the sink drops
 * the duplicates by key). A pass ends, and `end` goes to every worker, once the source is
 * exhausted and nothing is in flight.
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
  /** Records of one pass, once known. */
  #perPass: number | undefined;
  readonly #latency = new LatencySample();
  #outputSchema: { readonly json: string; readonly schema: Schema } | undefined;
  #wake: (() => void) | undefined;
  #reportedAt = Number.NEGATIVE_INFINITY;
  #reportTimer: NodeJS.Timeout | undefined;
  /** Outputs waiting for `onOutput`, which takes them one at a time, in order. */
  readonly #outputQueue: { readonly records: RecordBatch; readonly keys: BatchKeys }[] = [];
  /** Settles when the queue is empty; undefined while nothing is being written. */
  #outputs: Promise<void> | undefined;
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
    this.#perPass = options.source.total;
    this.#workers = Array.from({ length: options.workers }, () => ({
      credit: 0,
      window: 1,
      filling: false,
      open: undefined,
    }));
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
      ...(this.#perPass === undefined ? {} : { total: this.#perPass * this.#epochs }),
    };
  }

  /**
   * Time from a batch leaving the feed to an output answering it arriving, per output message
   * (per record in `stream` transfer); undefined before the first output.
   */
  get latency(): LatencySummary | undefined {
    return this.#latency.summary();
  }

  /** Starts feeding (the coordinator should be started; credits come from the workers). */
  start(): void {
    if (this.#started) {
      return;
    }
    this.#started = true;
    const { source } = this.#options;
    if (this.#perPass === undefined && source.bounded && source.count !== undefined) {
      source.count(this.#abort.signal).then(
        (records) => {
          if (this.#perPass === undefined && !this.#abort.signal.aborted) {
            this.#perPass = records;
            this.#report();
          }
        },
        () => {
          // The pass itself meets the same error and reports it.
        },
      );
    }
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
    this.#flushReport();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#poke();
    if (!this.#started) {
      this.#finish();
    }
  }

  #finish(error?: Error): void {
    // Still listening until stop(): a worker that opens a pass late (it started slowly, or was
    // restarted) is told the pass has ended, instead of waiting for records forever.
    this.#flushReport();
    const failure = error ?? this.#failure;
    if (failure === undefined) {
      this.#resolveDone();
    } else {
      this.#rejectDone(failure);
    }
  }

  async #loop(): Promise<void> {
    const { source, transfer } = this.#options;
    const lockstep = this.#options.lockstep === true;
    const workers = this.#workers.length;
    for (; this.#epoch < this.#epochs; this.#epoch++) {
      this.#exhausted = false;
      this.#position = 0;
      const cursor = new RecordCursor(source.schema, source.records(this.#abort.signal));
      let whole: RecordBatch[] | undefined;
      // Lockstep: batches read ahead of the sends, and those whose turn has come.
      const held: Pending[] = [];
      const ready: Pending[] = [];
      try {
        if (transfer.mode === 'batch') {
          // Read the bounded input whole before anything is sent.
          whole = [];
          for (let part = await cursor.take(transfer.batchSize); part !== undefined;) {
            whole.push(part);
            part = await cursor.take(transfer.batchSize);
          }
          if (lockstep) {
            whole = evenBatches(whole, workers);
          }
        }
        for (;;) {
          if (this.#stopped) {
            return;
          }
          if (this.#failure !== undefined) {
            throw this.#failure;
          }
          const queue = this.#pending.length > 0 ? this.#pending : ready;
          if (queue.length > 0) {
            // Picked only when there is a batch to send: in lockstep, picking takes a turn.
            const worker = this.#pick();
            if (worker === undefined) {
              await this.#sleep();
            } else {
              await this.#send(worker, [queue.shift()!], queue === this.#pending);
            }
            continue;
          }
          if (!this.#exhausted && lockstep) {
            const records = await this.#read(cursor, whole);
            if (records === undefined) {
              this.#exhausted = true;
              ready.push(...this.#balance(held.splice(0), workers));
            } else {
              held.push(this.#pendingOf(records));
              // A round goes once the next one is read: the last two can still be cut again.
              if (held.length >= 2 * workers) {
                ready.push(...held.splice(0, workers));
              }
            }
            continue;
          }
          if (!this.#exhausted) {
            const worker = this.#pick();
            if (worker === undefined) {
              await this.#sleep();
              continue;
            }
            // Reserve the credit while the records are read, so that no one else takes it.
            this.#workers[worker]!.credit--;
            const records = await this.#read(cursor, whole);
            const state = this.#workers[worker]!;
            if (records === undefined) {
              this.#exhausted = true;
              if (state.open === this.#epoch) {
                state.credit++;
              }
              continue;
            }
            const pending = this.#pendingOf(records);
            if (state.open !== this.#epoch || this.#stopped) {
              this.#pending.push(pending); // The worker died while the records were read.
              continue;
            }
            state.credit++;
            const bundle = [pending];
            while (bundle.length < MAX_BUNDLE && state.credit > bundle.length) {
              const more = this.#readAvailable(cursor, whole);
              if (more === undefined) {
                break;
              }
              bundle.push(this.#pendingOf(more));
            }
            await this.#send(worker, bundle, false);
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
      if (this.#epoch === 0) {
        // A file is counted exactly now, whatever its background count has got to.
        this.#perPass = this.#position;
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

  /** The next batch of the pass per the transfer mode; undefined when the pass is read. */
  async #read(
    cursor: RecordCursor,
    whole: RecordBatch[] | undefined,
  ): Promise<RecordBatch | undefined> {
    const transfer = this.#options.transfer;
    switch (transfer.mode) {
      case 'stream':
        return cursor.take(1);
      case 'micro-batch':
        return cursor.take(transfer.batchSize, transfer.lingerMs);
      case 'batch':
        return whole?.shift();
    }
  }

  /** The next batch when the source holds it already (no waiting, no linger); else undefined. */
  #readAvailable(cursor: RecordCursor, whole: RecordBatch[] | undefined): RecordBatch | undefined {
    const transfer = this.#options.transfer;
    switch (transfer.mode) {
      case 'stream':
        return cursor.takeAvailable(1);
      case 'micro-batch':
        return cursor.available >= transfer.batchSize
          ? cursor.takeAvailable(transfer.batchSize)
          : undefined;
      case 'batch':
        return whole?.shift();
    }
  }

  /** A batch just read, keyed and counted. */
  #pendingOf(records: RecordBatch): Pending {
    this.#recordsIn += records.numRows;
    return { id: ++this.#seq, epoch: this.#epoch, records, keys: this.#keysOf(records) };
  }

  /**
   * The last batches of a pass (read ahead in lockstep) cut again into a multiple of `workers`
   * batches, sizes within one; fewer records than workers cannot be balanced and go as they are.
   */
  #balance(tail: Pending[], workers: number): Pending[] {
    const rows = tail.reduce((n, batch) => n + batch.records.numRows, 0);
    if (tail.length % workers === 0 || rows < workers) {
      return tail;
    }
    const target = Math.ceil(tail.length / workers) * workers;
    const count = rows >= target ? target : workers * Math.floor(rows / workers);
    const records = concatBatches(
      this.#options.source.schema,
      tail.map((batch) => batch.records),
    );
    const keys = concatKeys(tail.map((batch) => batch.keys));
    return evenCuts(rows, count).map(([start, end]) => ({
      id: ++this.#seq,
      epoch: this.#epoch,
      records: sliceBatch(records, start, end),
      keys: sliceKeys(keys, start, end),
    }));
  }

  #keysOf(records: RecordBatch): BatchKeys {
    const field = this.#options.keyField;
    const rows = records.numRows;
    const first = this.#position;
    this.#position += rows;
    if (field === undefined) {
      return { first, count: rows };
    }
    const column = records.columns[fieldIndex(records.schema, field)];
    const keys: RecordKey[] = new Array<RecordKey>(rows);
    for (let row = 0; row < rows; row++) {
      const value = column === undefined ? undefined : columnValue(column, row);
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') {
        throw new TfstreamError(
          'JOB_INVALID',
          `record ${first + row + 1}: the key field "${field}" holds no string or number; every record needs a key`,
          { field },
        );
      }
      keys[row] = value;
    }
    return keys;
  }

  /**
   * The next worker, round-robin, that reads this pass and has credit, and is being filled: once
   * a worker holds half its window or less, it is sent batches until its window is full. A busy
   * worker thus gets half a window at a time, which leaves in one socket write (sends coalesce
   * within a turn of the event loop), rather than a batch per credit.
   */
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
      if (state.open !== this.#epoch || state.credit <= 0) {
        continue;
      }
      state.filling ||= state.window - state.credit <= state.window >> 1;
      if (state.filling) {
        this.#next = (index + 1) % n;
        return index;
      }
    }
    return undefined;
  }

  /** Sends batches to a worker in one frame (one body, `parts` when there are several). */
  async #send(worker: number, batches: readonly Pending[], again: boolean): Promise<void> {
    const state = this.#workers[worker]!;
    const sentAt = performance.now();
    for (const batch of batches) {
      state.credit--;
      this.ledger.send(batch, worker, sentAt);
      if (again) {
        this.#redelivered += batch.records.numRows;
      }
    }
    state.filling &&= state.credit > 0;
    const first = batches[0]!;
    const meta: InputBatchMeta = {
      op: 'batch',
      epoch: first.epoch,
      keys: toWireKeys(
        batches.length === 1 ? first.keys : concatKeys(batches.map((batch) => batch.keys)),
      ),
      ...(batches.length === 1
        ? {}
        : { parts: batches.map((batch) => [batch.id, batch.records.numRows] as const) }),
    };
    try {
      await this.#coordinator.send(
        { role: 'worker', index: worker },
        { kind: 'data', channel: RECORD_CHANNEL.input, seq: first.id, meta: { ...meta } },
        encodeRecordBody(batches.map((batch) => batch.records)),
        { coalesce: true },
      );
    } catch {
      // The worker went away: its exit takes the batches back from the ledger.
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
    const onProgress = this.#options.onProgress;
    if (onProgress === undefined || this.#reportTimer !== undefined) {
      return;
    }
    const wait = this.#reportedAt + PROGRESS_EVERY_MS - performance.now();
    if (wait <= 0) {
      this.#reportedAt = performance.now();
      onProgress(this.progress);
      return;
    }
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      this.#reportedAt = performance.now();
      onProgress(this.progress);
    }, wait);
  }

  /** Reports a progress held back by {@link PROGRESS_EVERY_MS} now. */
  #flushReport(): void {
    if (this.#reportTimer !== undefined) {
      clearTimeout(this.#reportTimer);
      this.#reportTimer = undefined;
      this.#reportedAt = performance.now();
      this.#options.onProgress?.(this.progress);
    }
  }

  #onEvent(event: CoordinatorEvent): void {
    if (event.type === 'role' && event.role === 'worker' && event.phase === 'exited') {
      const state = this.#workers[event.index];
      if (state !== undefined) {
        state.credit = 0;
        state.open = undefined;
        this.#pending.push(...this.ledger.takeBack(event.index));
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

  #onOutput(worker: number, seq: number, meta: OutputMeta, body: Uint8Array | undefined): void {
    const source = `worker ${worker} output ${seq}`;
    const records = decodeRecordBody(body, this.#schemaOf(meta, source), source);
    let keys: BatchKeys | undefined;
    if (meta.answers !== undefined) {
      const answered = this.ledger.answer(meta.answers.batch, meta.answers.offset, records.numRows);
      if (answered !== undefined) {
        keys = answered.keys;
        this.#recordsOut += answered.done;
        if (answered.done > 0) {
          this.#latency.add(performance.now() - answered.batch.sentAt);
        }
      }
    } else if (meta.keys !== undefined) {
      if (meta.keys.length !== records.numRows) {
        throw new TfstreamError(
          'PROTOCOL_ERROR',
          `${source}: ${meta.keys.length} keys for ${records.numRows} rows`,
        );
      }
      const list = meta.keys.map(fromWireKey);
      this.#recordsOut += this.ledger.completeKeys(list);
      keys = list;
    } else {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `${source}: an output batch says neither keys nor the batch it answers`,
      );
    }
    const { onOutput, onDuplicates } = this.#options;
    if (keys === undefined) {
      onDuplicates?.(records.numRows);
    } else if (onOutput !== undefined && records.numRows > 0) {
      this.#outputQueue.push({ records, keys });
      this.#outputs ??= this.#writeOutputs(onOutput);
    }
    this.#report();
  }

  /** Hands queued outputs to `onOutput` until the queue is empty. */
  async #writeOutputs(onOutput: NonNullable<FeedOptions['onOutput']>): Promise<void> {
    // Past this first await `#outputs` is set, so that `finally` clears it after it was set.
    await undefined;
    try {
      for (let next = this.#outputQueue.shift(); next !== undefined;) {
        await onOutput(next.records, next.keys);
        next = this.#outputQueue.shift();
      }
    } catch (error) {
      this.#outputQueue.length = 0;
      this.#failure ??= error as Error;
      this.#poke();
    } finally {
      this.#outputs = undefined;
    }
  }

  /** The schema of an output: the job's, or the one the message carries (parsed once). */
  #schemaOf(meta: OutputMeta, source: string): Schema {
    if (this.#options.outputSchema !== undefined) {
      return this.#options.outputSchema;
    }
    if (meta.schema === undefined) {
      throw new TfstreamError('PROTOCOL_ERROR', `${source}: an output batch without a schema`);
    }
    const json = JSON.stringify(meta.schema);
    if (this.#outputSchema?.json !== json) {
      this.#outputSchema = { json, schema: metaSchema(meta)! };
    }
    return this.#outputSchema.schema;
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
        state.window = state.credit;
        return;
      }
      case RECORD_CHANNEL.output: {
        this.#onOutput(
          worker,
          message.seq,
          recordMeta<OutputMeta>(message.meta, message.channel),
          frame.body,
        );
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

/** [start, end) row ranges that cut `rows` rows into `count` parts, sizes within one, larger first. */
function evenCuts(rows: number, count: number): [number, number][] {
  const small = Math.floor(rows / count);
  const large = rows % count;
  const cuts: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + small + (i < large ? 1 : 0);
    cuts.push([start, end]);
    start = end;
  }
  return cuts;
}

/** The keys of consecutive batches as one: a run of positions when they continue each other. */
function concatKeys(parts: readonly BatchKeys[]): BatchKeys {
  let first: number | undefined;
  let count = 0;
  for (const keys of parts) {
    if (isKeyList(keys) || (first !== undefined && keys.first !== first + count)) {
      first = undefined;
      break;
    }
    first ??= keys.first;
    count += keys.count;
  }
  if (first !== undefined) {
    return { first, count };
  }
  const list: RecordKey[] = [];
  for (const keys of parts) {
    for (let row = 0; row < keyCount(keys); row++) {
      list.push(isKeyList(keys) ? keys[row]! : keys.first + row);
    }
  }
  return list;
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
  const all = concatBatches(batches[0]!.schema, batches);
  return evenCuts(total, count).map(([start, end]) => sliceBatch(all, start, end));
}
