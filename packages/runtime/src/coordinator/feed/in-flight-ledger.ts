import type { RecordBatch } from '@tfstream/codecs';
import { TfstreamError } from '@tfstream/schema';
import type { BatchKeys, RecordKey } from '../../protocol/record-channels.js';
import { keyAt, keyCount, keyId, sliceKeys } from '../../protocol/record-channels.js';

/** A batch sent to a worker and not done yet. */
export interface InFlightBatch {
  /** The `seq` it was sent with; unique in the run, kept when it is sent again. */
  readonly id: number;
  readonly epoch: number;
  readonly records: RecordBatch;
  readonly keys: BatchKeys;
  /** The worker that holds it now; undefined while it waits to be sent again. */
  worker: number | undefined;
  /** `performance.now()` when it was last sent. */
  sentAt: number;
  /** Rows not done yet. */
  remaining: number;
  /** Per row, 1 once done; made when a part of the batch is done on its own. */
  done: Uint8Array | undefined;
}

/** What {@link InFlightLedger.answer} found. */
export interface Answered {
  /** The keys of the answered rows. */
  readonly keys: BatchKeys;
  /** How many of them were not done before. */
  readonly done: number;
  readonly batch: InFlightBatch;
}

/**
 * The records the coordinator has sent and not seen done, batch by batch: a record is done when
 * its output came back (inference, online) or its batch was acknowledged (train). An output
 * that answers a batch's rows completes them by batch and row, with no work per key; only outputs
 * written with keys of their own are matched by key (an index built the first time one comes).
 * A dead worker's batches are taken back ({@link InFlightLedger.takeBack}) to be sent again; they
 * stay in the ledger, so that a late output of the dead worker still finds them.
 */
export class InFlightLedger {
  readonly #batches = new Map<number, InFlightBatch>();
  /** Key id → batch id and row; only once an output came with keys of its own. */
  #byKey: Map<string, [number, number]> | undefined;
  #records = 0;
  #maxRecords = 0;

  /** Records not done now (sent, or waiting to be sent again). */
  get records(): number {
    return this.#records;
  }

  /** The most records that were ever in flight at once. */
  get maxRecords(): number {
    return this.#maxRecords;
  }

  /** Batches not done now. */
  get batches(): number {
    return this.#batches.size;
  }

  /** Records in flight at `worker`. */
  recordsAt(worker: number): number {
    let n = 0;
    for (const batch of this.#batches.values()) {
      if (batch.worker === worker) {
        n += batch.remaining;
      }
    }
    return n;
  }

  /** The batch of an id, if it is not done. */
  get(id: number): InFlightBatch | undefined {
    return this.#batches.get(id);
  }

  /**
   * Notes a batch sent to `worker`: a new one, or one taken back (then it moves to `worker`).
   */
  send(
    batch: Pick<InFlightBatch, 'id' | 'epoch' | 'records' | 'keys'>,
    worker: number,
    at: number,
  ): void {
    const known = this.#batches.get(batch.id);
    if (known !== undefined) {
      known.worker = worker;
      known.sentAt = at;
      return;
    }
    const rows = keyCount(batch.keys);
    const entry: InFlightBatch = {
      id: batch.id,
      epoch: batch.epoch,
      records: batch.records,
      keys: batch.keys,
      worker,
      sentAt: at,
      remaining: rows,
      done: undefined,
    };
    this.#batches.set(batch.id, entry);
    if (this.#byKey !== undefined) {
      this.#index(entry);
    }
    this.#records += rows;
    this.#maxRecords = Math.max(this.#maxRecords, this.#records);
  }

  /**
   * Marks rows [offset, offset + count) of batch `id` done. Undefined when the batch is done
   * already (every one of its rows was answered before: the output is a duplicate).
   *
   * @throws `PROTOCOL_ERROR` when the rows are not rows of the batch.
   */
  answer(id: number, offset: number, count: number): Answered | undefined {
    const batch = this.#batches.get(id);
    if (batch === undefined) {
      return undefined;
    }
    const rows = keyCount(batch.keys);
    if (!Number.isSafeInteger(offset) || offset < 0 || count < 0 || offset + count > rows) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `an output answers rows ${offset} to ${offset + count - 1} of input batch ${id}, which has ${rows}`,
      );
    }
    let done: number;
    if (batch.done === undefined && count === rows) {
      done = rows;
      batch.remaining = 0;
    } else {
      batch.done ??= new Uint8Array(rows);
      done = 0;
      for (let row = offset; row < offset + count; row++) {
        if (batch.done[row] === 0) {
          batch.done[row] = 1;
          done++;
        }
      }
      batch.remaining -= done;
    }
    this.#records -= done;
    if (batch.remaining === 0) {
      this.#remove(batch);
    }
    return { keys: sliceKeys(batch.keys, offset, offset + count), done, batch };
  }

  /** Marks the records of these keys done; returns how many were not done before. */
  completeKeys(keys: readonly RecordKey[]): number {
    const index = this.#keyIndex();
    let done = 0;
    for (const key of keys) {
      const id = keyId(key);
      const at = index.get(id);
      if (at === undefined) {
        continue;
      }
      const batch = this.#batches.get(at[0]);
      if (batch !== undefined && this.answer(batch.id, at[1], 1)?.done === 1) {
        done++;
      }
    }
    return done;
  }

  /** Marks whole batches done (a train job's acknowledgement); returns the records done. */
  completeBatches(ids: readonly number[]): number {
    let done = 0;
    for (const id of ids) {
      const batch = this.#batches.get(id);
      if (batch === undefined) {
        continue;
      }
      done += batch.remaining;
      this.#records -= batch.remaining;
      batch.remaining = 0;
      this.#remove(batch);
    }
    return done;
  }

  /**
   * Takes back every batch held by `worker`, oldest first, to be sent again: they wait, with no
   * worker, until {@link send} gives them to one.
   */
  takeBack(worker: number): InFlightBatch[] {
    const taken: InFlightBatch[] = [];
    for (const batch of this.#batches.values()) {
      if (batch.worker === worker) {
        batch.worker = undefined;
        taken.push(batch);
      }
    }
    return taken.sort((a, b) => a.id - b.id);
  }

  #remove(batch: InFlightBatch): void {
    this.#batches.delete(batch.id);
    if (this.#byKey !== undefined) {
      const rows = keyCount(batch.keys);
      for (let row = 0; row < rows; row++) {
        const id = keyId(keyAt(batch.keys, row));
        if (this.#byKey.get(id)?.[0] === batch.id) {
          this.#byKey.delete(id);
        }
      }
    }
  }

  #keyIndex(): Map<string, [number, number]> {
    if (this.#byKey === undefined) {
      this.#byKey = new Map();
      for (const batch of this.#batches.values()) {
        this.#index(batch);
      }
    }
    return this.#byKey;
  }

  #index(batch: InFlightBatch): void {
    const rows = keyCount(batch.keys);
    for (let row = 0; row < rows; row++) {
      if (batch.done?.[row] !== 1) {
        this.#byKey!.set(keyId(keyAt(batch.keys, row)), [batch.id, row]);
      }
    }
  }
}
