// Seeded random inputs for fuzz tests: a small PRNG and the mutations that break binary formats
// (bit flips, truncations, inserted and deleted bytes, hostile varint lengths).
import { seededRandom } from '../../test-support/chunks.js';

/** A seeded generator of uint32 values; the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.floor(random() * 4294967296);
}

/** A random integer in `[0, n)`. */
export function below(rand: () => number, n: number): number {
  return n <= 0 ? 0 : rand() % n;
}

export function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = rand();
    out[i] = word;
    out[i + 1] = word >>> 8;
    out[i + 2] = word >>> 16;
    out[i + 3] = word >>> 24;
  }
  return out;
}

/** Varints that claim huge lengths or do not end. */
const HOSTILE_VARINTS: readonly (readonly number[])[] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x07],
  [0x80, 0x80, 0x80, 0x80, 0x08],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x80, 0x80, 0x80, 0x80],
  [0xfe, 0xff, 0xff, 0x7f],
];

function splice(
  input: Uint8Array,
  at: number,
  remove: number,
  insert: ArrayLike<number>,
): Uint8Array {
  const out = new Uint8Array(input.length - remove + insert.length);
  out.set(input.subarray(0, at));
  out.set(insert, at);
  out.set(input.subarray(at + remove), at + insert.length);
  return out;
}

/** `input` with one to four random mutations. */
export function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  let out: Uint8Array = input.slice();
  const count = 1 + below(rand, 4);
  for (let m = 0; m < count; m++) {
    const at = below(rand, out.length + 1);
    switch (below(rand, 9)) {
      case 0:
      case 1:
        if (out.length > 0) {
          out[below(rand, out.length)]! ^= 1 << below(rand, 8);
        }
        break;
      case 2:
        if (out.length > 0) {
          out[below(rand, out.length)] = [0x00, 0xff, 0x80, 0x7f, 0x0a, 0x12][below(rand, 6)]!;
        }
        break;
      case 3:
        out = out.slice(0, at);
        break;
      case 4:
        out = splice(out, at, 0, randomBytes(rand, 1 + below(rand, 16)));
        break;
      case 5:
        out = splice(out, at, 0, HOSTILE_VARINTS[below(rand, HOSTILE_VARINTS.length)]!);
        break;
      case 6:
        out = splice(out, at, Math.min(out.length - at, 1 + below(rand, 16)), []);
        break;
      case 7: {
        const length = Math.min(out.length - at, 1 + below(rand, 64));
        out = splice(out, at, 0, out.slice(at, at + length));
        break;
      }
      default: {
        // Replace a byte by a hostile varint: a length or tag that lies.
        const varint = HOSTILE_VARINTS[below(rand, HOSTILE_VARINTS.length)]!;
        out = splice(out, at, Math.min(1, out.length - at), varint);
      }
    }
  }
  return out;
}
