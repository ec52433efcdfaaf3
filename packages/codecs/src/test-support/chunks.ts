// Helpers for codec tests: feed bytes to a decoder in chunks cut anywhere, and collect what comes
// out. Cuts fall inside multi-byte UTF-8 characters, between CR and LF, inside quotes.
import fc from 'fast-check';
import type { Schema, Value } from '@tfstream/schema';
import { RecordBatch } from '../batch/record-batch.js';
import type { DeadLetter, DecodeOptions, Format } from '../format.js';

/** The bytes cut at the given offsets (sorted, deduplicated, out-of-range ones dropped). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    out.push(bytes.subarray(start, point));
    start = point;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** Chunks of `size` bytes. */
export function everyN(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(bytes.subarray(i, i + size));
  }
  return out.length === 0 ? [bytes] : out;
}

/** An async iterable of the chunks, with an empty chunk between them to test that too. */
export async function* streamOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    yield new Uint8Array(0);
  }
}

/** Concatenates the encoder's output parts. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Everything an async iterable yields (the batches of a decode, the records of a sample). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
  }
  return out;
}

/** Decodes chunks with a format and returns every row as a plain object. */
export async function decodeRows(
  format: Format,
  chunks: readonly Uint8Array[],
  options: DecodeOptions,
): Promise<Record<string, Value>[]> {
  const rows: Record<string, Value>[] = [];
  for (const batch of await collect(format.decode(streamOf(chunks), options))) {
    rows.push(...batch.toObjects());
  }
  return rows;
}

/**
 * Decodes under the `'skip'` policy, or `'fail'` when asked, and returns the rows yielded (also
 * those yielded before an error), the dead letters and the error.
 */
export async function decodeOutcome(
  format: Format,
  chunks: readonly Uint8Array[],
  options: DecodeOptions,
): Promise<{ rows: Record<string, Value>[]; dead: DeadLetter[]; error: unknown }> {
  const rows: Record<string, Value>[] = [];
  const dead: DeadLetter[] = [];
  let error: unknown;
  try {
    for await (const batch of format.decode(streamOf(chunks), {
      ...options,
      onDeadLetter: (letter) => dead.push(letter),
    })) {
      rows.push(...batch.toObjects());
    }
  } catch (e) {
    error = e;
  }
  return { rows, dead, error };
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function bytesOf(text: string): Uint8Array {
  return utf8.encode(text);
}

/** A seeded pseudo-random generator (mulberry32), for fuzz tests that must be repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The bytes a format writes for the rows, given to the encoder as two batches cut at `cut`
 * (so that encoders are tested across batches).
 */
export function encodeRows(
  format: Format,
  schema: Schema,
  rows: readonly Record<string, unknown>[],
  cut = rows.length,
): Uint8Array {
  const encoder = format.createEncoder(schema);
  const at = Math.min(cut, rows.length);
  return joinBytes([
    encoder.start(),
    encoder.encode(RecordBatch.fromRows(schema, rows.slice(0, at))),
    encoder.encode(RecordBatch.fromRows(schema, rows.slice(at))),
    encoder.end(),
  ]);
}

/** Chunkings to feed a decoder: random cut points, or chunks of a few bytes. */
export const arbChunking: fc.Arbitrary<(bytes: Uint8Array) => Uint8Array[]> = fc.oneof(
  fc.array(fc.nat(), { maxLength: 12 }).map(
    (cuts) => (bytes: Uint8Array) =>
      splitAt(
        bytes,
        cuts.map((c) => c % (bytes.length + 1)),
      ),
  ),
  fc.integer({ min: 1, max: 9 }).map((size) => (bytes: Uint8Array) => everyN(bytes, size)),
);
