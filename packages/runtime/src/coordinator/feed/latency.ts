/** Percentiles of the time from a batch leaving the feed to its output arriving, in ms. */
export interface LatencySummary {
  /** Output messages measured. */
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Round-trip times of batches (sent → output back), kept as a uniform sample of at most
 * `capacity` values (reservoir sampling), so that an endless run holds bounded memory.
 */
export class LatencySample {
  readonly #values: Float64Array;
  #count = 0;
  #max = 0;

  constructor(capacity = 65_536) {
    this.#values = new Float64Array(capacity);
  }

  add(ms: number): void {
    const capacity = this.#values.length;
    if (this.#count < capacity) {
      this.#values[this.#count] = ms;
    } else {
      const at = Math.floor(Math.random() * (this.#count + 1));
      if (at < capacity) {
        this.#values[at] = ms;
      }
    }
    this.#count++;
    this.#max = Math.max(this.#max, ms);
  }

  /** The percentiles so far; undefined before the first sample. */
  summary(): LatencySummary | undefined {
    if (this.#count === 0) {
      return undefined;
    }
    const sorted = this.#values.slice(0, Math.min(this.#count, this.#values.length)).sort();
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { samples: this.#count, p50: at(0.5), p99: at(0.99), max: this.#max };
  }
}
