// Measuring helpers shared by the benchmark suites. Machines are noisy: every figure is the median
// of several rounds, each long enough to dwarf timer resolution, and every target is a ratio to a
// baseline measured in the same process, interleaved round by round.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Measurement {
  /** Median operations per second over the rounds. */
  readonly opsPerSecond: number;
  /** Every round's operations per second, for the record. */
  readonly rounds: readonly number[];
}

export interface MeasureOptions {
  /** Rounds to take the median of; default 7. */
  readonly rounds?: number;
  /** Minimum time per round in milliseconds; default 150. */
  readonly minRoundMs?: number;
}

/**
 * Measures how many times per second each function runs, interleaving the functions round by round
 * so that a noisy moment of the machine hits all of them alike. `fn` returns how many operations
 * (records) one call did.
 */
export function measureInterleaved(
  fns: readonly (() => number)[],
  options: MeasureOptions = {},
): Measurement[] {
  const rounds = options.rounds ?? 7;
  const minRoundMs = options.minRoundMs ?? 150;
  // Warm up every function so that the JIT has settled before the first timed round.
  for (const fn of fns) {
    const end = performance.now() + minRoundMs;
    while (performance.now() < end) {
      fn();
    }
  }
  const perRound: number[][] = fns.map(() => []);
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, i) => {
      let ops = 0;
      const start = performance.now();
      let now = start;
      while (now - start < minRoundMs) {
        ops += fn();
        now = performance.now();
      }
      perRound[i]!.push((ops * 1000) / (now - start));
    });
  }
  return perRound.map((values) => ({ opsPerSecond: median(values), rounds: values }));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned text table. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) {
    console.log(line(row));
  }
}

/** Formats a rate with a thousands separator and no decimals above 100. */
export function rate(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** Writes a suite's results to bench/results/<suite>.json and returns the path. */
export function writeResults(suite: string, results: unknown): string {
  const path = join(dirname(fileURLToPath(import.meta.url)), 'results', `${suite}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** Describes the machine, so that results files say where they were measured. */
export function machine(): Record<string, string | number> {
  return {
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    date: new Date().toISOString(),
  };
}

/**
 * The async twin of {@link measureInterleaved}, for decoders that consume async iterables. `fn`
 * resolves to how many operations (records) one call did.
 */
export async function measureInterleavedAsync(
  fns: readonly (() => Promise<number>)[],
  options: MeasureOptions = {},
): Promise<Measurement[]> {
  const rounds = options.rounds ?? 7;
  const minRoundMs = options.minRoundMs ?? 150;
  for (const fn of fns) {
    const end = performance.now() + minRoundMs;
    while (performance.now() < end) {
      await fn();
    }
  }
  const perRound: number[][] = fns.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < fns.length; i++) {
      let ops = 0;
      const start = performance.now();
      let now = start;
      while (now - start < minRoundMs) {
        ops += await fns[i]!();
        now = performance.now();
      }
      perRound[i]!.push((ops * 1000) / (now - start));
    }
  }
  return perRound.map((values) => ({ opsPerSecond: median(values), rounds: values }));
}
