import type { BatchKeys, RecordKey } from '../../protocol/record-channels.js';
import { isKeyList, keyId } from '../../protocol/record-channels.js';

/**
 * A set of whole numbers kept as sorted, disjoint ranges: the positions of a stream that arrive
 * roughly in order collapse into a few ranges, however many there are.
 */
export class RangeSet {
  /** Half-open ranges [starts[i], ends[i]), sorted, neither overlapping nor touching. */
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  #size = 0;

  /** Numbers in the set. */
  get size(): number {
    return this.#size;
  }

  /** Ranges the set is kept as (for tests and memory checks). */
  get ranges(): number {
    return this.#starts.length;
  }

  /** Whether `n` is in the set. */
  has(n: number): boolean {
    const i = this.#firstEndAbove(n);
    return i < this.#starts.length && this.#starts[i]! <= n;
  }

  /** Adds [start, end); returns the parts of it that were not in the set, in order. */
  add(start: number, end: number): [number, number][] {
    const fresh: [number, number][] = [];
    if (end <= start) {
      return fresh;
    }
    const starts = this.#starts;
    const ends = this.#ends;
    // The first range that ends at or after `start` may overlap or touch [start, end).
    const lo = this.#firstEndAtOrAbove(start);
    let hi = lo;
    let cursor = start;
    while (hi < starts.length && starts[hi]! <= end) {
      if (starts[hi]! > cursor) {
        fresh.push([cursor, Math.min(starts[hi]!, end)]);
      }
      cursor = Math.max(cursor, ends[hi]!);
      hi++;
    }
    if (cursor < end) {
      fresh.push([cursor, end]);
    }
    const merged: [number, number] =
      lo < hi ? [Math.min(start, starts[lo]!), Math.max(end, ends[hi - 1]!)] : [start, end];
    starts.splice(lo, hi - lo, merged[0]);
    ends.splice(lo, hi - lo, merged[1]);
    for (const [a, b] of fresh) {
      this.#size += b - a;
    }
    return fresh;
  }

  #firstEndAtOrAbove(n: number): number {
    const ends = this.#ends;
    // Records mostly arrive in order: try the last range first.
    if (ends.length === 0 || ends[ends.length - 1]! < n) {
      return ends.length;
    }
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! >= n) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  #firstEndAbove(n: number): number {
    return this.#firstEndAtOrAbove(n + 1);
  }
}

/**
 * The input keys a sink has written: whole-number keys (positions, integer key fields) as
 * {@link RangeSet} ranges, other keys (strings, fractions, integers beyond 2^53) by their
 * {@link keyId}.
 */
export class KeySet {
  readonly #numbers = new RangeSet();
  readonly #others = new Set<string>();

  /** Keys in the set. */
  get size(): number {
    return this.#numbers.size + this.#others.size;
  }

  /** Ranges of whole-number keys the set is kept as. */
  get ranges(): number {
    return this.#numbers.ranges;
  }

  /** Adds one key; false when it was in the set. */
  add(key: RecordKey): boolean {
    const n = wholeNumber(key);
    if (n !== undefined) {
      return this.#numbers.add(n, n + 1).length > 0;
    }
    const id = keyId(key);
    if (this.#others.has(id)) {
      return false;
    }
    this.#others.add(id);
    return true;
  }

  /** Adds a batch's keys; returns the row ranges [start, end) whose keys were not in the set. */
  addBatch(keys: BatchKeys): [number, number][] {
    if (!isKeyList(keys)) {
      return this.#numbers
        .add(keys.first, keys.first + keys.count)
        .map(([a, b]) => [a - keys.first, b - keys.first]);
    }
    const fresh: [number, number][] = [];
    for (let row = 0; row < keys.length; row++) {
      if (this.add(keys[row]!)) {
        const last = fresh[fresh.length - 1];
        if (last !== undefined && last[1] === row) {
          last[1] = row + 1;
        } else {
          fresh.push([row, row + 1]);
        }
      }
    }
    return fresh;
  }
}

/** The key as a safe whole number, if it is one (a bigint within 2^53 counts). */
function wholeNumber(key: RecordKey): number | undefined {
  if (typeof key === 'number') {
    return Number.isSafeInteger(key) ? key : undefined;
  }
  if (typeof key === 'bigint') {
    return key >= -9007199254740991n && key <= 9007199254740991n ? Number(key) : undefined;
  }
  return undefined;
}
