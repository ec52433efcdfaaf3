import type { RecordBatch } from '@tfstream/codecs';
import type { RecordKey } from '../../protocol/record-channels.js';
import { keyId } from '../../protocol/record-channels.js';

/** A batch sent to a worker and not done yet. */
export interface InFlightBatch {
  /** The `seq` it was sent with; unique in the run. */
  readonly id: number;
  readonly epoch: number;
  readonly records: RecordBatch;
  readonly keys: readonly RecordKey[];
  /** The worker that holds it now. */
  worker: number;
  /** Ids of the keys whose output has not come back. */
  readonly remaining: Set<string>;
}

/**
 * The records the coordinator has sent and not seen done, by worker: a record is done when its
 * output came back (inference, online) or its batch was acknowledged (train). A dead worker's
 * batches are taken back ({@link InFlightLedger.takeBack}) to be sent again.
 */
export class InFlightLedger {
  readonly #batches = new Map<number, InFlightBatch>();
  readonly #byKey = new Map<string, number>();
  #records = 0;
  #maxRecords = 0;

  /** Records in flight now. */
  get records(): number {
    return this.#records;
  }

  /** The most records that were ever in flight at once. */
  get maxRecords(): number {
    return this.#maxRecords;
  }

  /** Batches in flight now. */
  get batches(): number {
    return this.#batches.size;
  }

  /** Records in flight at `worker`. */
  recordsAt(worker: number): number {
    let n = 0;
    for (const batch of this.#batches.values()) {
      if (batch.worker === worker) {
        n += batch.remaining.size;
      }
    }
    return n;
  }

  /** Notes a batch sent to `worker`. */
  add(batch: Omit<InFlightBatch, 'remaining'>): void {
    const remaining = new Set<string>();
    for (const key of batch.keys) {
      const id = keyId(key);
      remaining.add(id);
      this.#byKey.set(id, batch.id);
    }
    this.#batches.set(batch.id, { ...batch, remaining });
    this.#records += remaining.size;
    this.#maxRecords = Math.max(this.#maxRecords, this.#records);
  }

  /** Moves a batch (taken back) to another worker. */
  reassign(batch: InFlightBatch, worker: number): void {
    batch.worker = worker;
    this.#batches.set(batch.id, batch);
    for (const id of batch.remaining) {
      this.#byKey.set(id, batch.id);
    }
    this.#records += batch.remaining.size;
    this.#maxRecords = Math.max(this.#maxRecords, this.#records);
  }

  /** Marks the records of these keys done; returns how many were in flight (not duplicates). */
  completeKeys(keys: readonly RecordKey[]): number {
    let done = 0;
    for (const key of keys) {
      const id = keyId(key);
      const batchId = this.#byKey.get(id);
      if (batchId === undefined) {
        continue;
      }
      this.#byKey.delete(id);
      const batch = this.#batches.get(batchId);
      if (batch?.remaining.delete(id) === true) {
        done++;
        this.#records--;
        if (batch.remaining.size === 0) {
          this.#batches.delete(batchId);
        }
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
      this.#batches.delete(id);
      for (const key of batch.remaining) {
        this.#byKey.delete(key);
      }
      done += batch.remaining.size;
      this.#records -= batch.remaining.size;
    }
    return done;
  }

  /** Removes and returns every batch held by `worker`, oldest first, to be sent again. */
  takeBack(worker: number): InFlightBatch[] {
    const taken: InFlightBatch[] = [];
    for (const batch of this.#batches.values()) {
      if (batch.worker === worker) {
        taken.push(batch);
      }
    }
    for (const batch of taken) {
      this.#batches.delete(batch.id);
      for (const key of batch.remaining) {
        this.#byKey.delete(key);
      }
      this.#records -= batch.remaining.size;
    }
    return taken.sort((a, b) => a.id - b.id);
  }
}
