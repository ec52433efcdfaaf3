// A seeded fuzzer for decoders: random and mutated inputs, random chunkings, both error policies,
// small and default record limits. Every input must end in records or a TfstreamError.
import type { Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import type { ErrorPolicy, Format } from '../format.js';
import { seededRandom, splitAt } from './chunks.js';

/** What a fuzz run saw, for the test to check that it reached the interesting paths. */
export interface FuzzStats {
  inputs: number;
  /** Inputs that decoded without error (under either policy). */
  completed: number;
  /** Inputs that ended in a TfstreamError, by code. */
  errors: Record<string, number>;
  /** Records decoded in all. */
  records: number;
  /** Records skipped to dead letters in all. */
  deadLetters: number;
}

export interface FuzzOptions {
  format: Format;
  schema: Schema;
  /** Valid inputs to mutate. */
  seeds: readonly Uint8Array[];
  /** Bytes that random inputs and insertions are drawn from (the format's syntax, mostly). */
  alphabet: readonly number[];
  count: number;
  seed: number;
  /** Share of inputs that are random bytes rather than mutated seeds, 0 to 1. */
  randomShare: number;
  /** The error policy of every decode; by default the inputs alternate between both. */
  policy?: ErrorPolicy;
  /** Also run `sample()` on every n-th input. */
  sampleEvery?: number;
  /** Sees every TfstreamError a decode throws. */
  onThrow?: (error: TfstreamError) => void;
}

/**
 * Feeds `count` inputs to the decoder and throws, naming the input, on the first exception that
 * is not a TfstreamError.
 */
export async function fuzzDecoder(options: FuzzOptions): Promise<FuzzStats> {
  const { format, schema, seeds, alphabet, count } = options;
  const random = seededRandom(options.seed);
  const int = (n: number): number => Math.floor(random() * n);
  const stats: FuzzStats = { inputs: 0, completed: 0, errors: {}, records: 0, deadLetters: 0 };
  const randomBytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = random() < 0.9 ? alphabet[int(alphabet.length)]! : int(256);
    }
    return out;
  };
  const mutate = (input: Uint8Array): Uint8Array => {
    let bytes = input;
    const steps = 1 + int(4);
    for (let s = 0; s < steps; s++) {
      const at = int(bytes.length + 1);
      const span = Math.min(bytes.length - at, 1 + int(8));
      switch (int(6)) {
        case 0: // replace a byte
          if (at < bytes.length) {
            bytes = bytes.slice();
            bytes[at] = random() < 0.7 ? alphabet[int(alphabet.length)]! : int(256);
          }
          break;
        case 1: // insert syntax
          bytes = join(bytes.subarray(0, at), randomBytes(1 + int(3)), bytes.subarray(at));
          break;
        case 2: // delete a span
          bytes = join(bytes.subarray(0, at), bytes.subarray(at + span));
          break;
        case 3: // repeat a span
          bytes = join(
            bytes.subarray(0, at + span),
            bytes.subarray(at, at + span),
            bytes.subarray(at),
          );
          break;
        case 4: // truncate
          bytes = bytes.subarray(0, at);
          break;
        default: {
          // splice in part of another seed
          const other = seeds[int(seeds.length)]!;
          const from = int(other.length + 1);
          bytes = join(
            bytes.subarray(0, at),
            other.subarray(from, from + int(40)),
            bytes.subarray(at),
          );
        }
      }
    }
    return bytes;
  };
  for (let i = 0; i < count; i++) {
    const input =
      random() < options.randomShare ? randomBytes(int(120)) : mutate(seeds[int(seeds.length)]!);
    const cuts: number[] = [];
    const pieces = i % 3 === 0 ? 0 : int(6);
    for (let c = 0; c < pieces; c++) {
      cuts.push(int(input.length + 1));
    }
    const chunks = splitAt(input, cuts);
    const limits = i % 7 === 0 ? { maxRecordBytes: 1 + int(64) } : undefined;
    stats.inputs++;
    try {
      for await (const batch of format.decode(chunksOf(chunks), {
        schema,
        batchSize: 1 + int(4),
        onError: options.policy ?? (i % 2 === 0 ? 'fail' : 'skip'),
        onDeadLetter: () => {
          stats.deadLetters++;
        },
        ...(limits === undefined ? {} : { limits }),
      })) {
        stats.records += batch.toObjects().length;
      }
      stats.completed++;
    } catch (error) {
      if (!(error instanceof TfstreamError)) {
        throw new Error(
          `input ${i} threw a ${String(error)}; input bytes: [${[...input].join(',')}], cuts [${cuts.join(',')}]`,
          {
            cause: error,
          },
        );
      }
      stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
      options.onThrow?.(error);
    }
    if (options.sampleEvery !== undefined && i % options.sampleEvery === 0) {
      try {
        for await (const record of format.sample(
          chunksOf(chunks),
          limits === undefined ? {} : { limits },
        )) {
          void record;
        }
      } catch (error) {
        if (!(error instanceof TfstreamError)) {
          throw new Error(
            `sample of input ${i} threw a ${String(error)}; input bytes: [${[...input].join(',')}]`,
            {
              cause: error,
            },
          );
        }
      }
    }
  }
  return stats;
}

async function* chunksOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The bytes of the characters of `text`, for alphabets. */
export function alphabetOf(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}
