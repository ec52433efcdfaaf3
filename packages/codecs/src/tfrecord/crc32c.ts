// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78; RFC 3720 section 12.1 and appendix B.4) and
// the masking TensorFlow applies to the CRCs of its record format
// (tensorflow/core/lib/hash/crc32c.h, `crc32c::Mask`).

const POLY = 0x82f63b78;
/** Slicing-by-16 (Intel's "slicing-by-N" generalisation of Sarwate's table method). */
const SLICES = 16;

function makeTables(): Int32Array {
  const table = new Int32Array(256 * SLICES);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ POLY : crc >>> 1;
    }
    table[i] = crc;
  }
  // Table k maps a byte to the CRC of that byte followed by k zero bytes.
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < SLICES; k++) {
      const prev = table[(k - 1) * 256 + i]!;
      table[k * 256 + i] = (prev >>> 8) ^ table[prev & 255]!;
    }
  }
  return table;
}

const T = makeTables();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Below this many bytes the word-at-a-time loop does not pay for its typed-array view. */
const WORD_PATH_MIN = 512;

/**
 * The CRC-32C of `bytes[start..end)`, continuing from `crc` (the CRC of the bytes before, or 0).
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 * ```
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= WORD_PATH_MIN) {
    while (((bytes.byteOffset + i) & 3) !== 0) {
      c = (c >>> 8) ^ T[(c ^ bytes[i++]!) & 255]!;
    }
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, ((end - i) >>> 4) << 2);
    const n = words.length;
    for (let j = 0; j < n; j += 4) {
      const a = c ^ words[j]!;
      const x = words[j + 1]!;
      const y = words[j + 2]!;
      const z = words[j + 3]!;
      c =
        T[3840 + (a & 255)]! ^
        T[3584 + ((a >>> 8) & 255)]! ^
        T[3328 + ((a >>> 16) & 255)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + (x & 255)]! ^
        T[2560 + ((x >>> 8) & 255)]! ^
        T[2304 + ((x >>> 16) & 255)]! ^
        T[2048 + (x >>> 24)]! ^
        T[1792 + (y & 255)]! ^
        T[1536 + ((y >>> 8) & 255)]! ^
        T[1280 + ((y >>> 16) & 255)]! ^
        T[1024 + (y >>> 24)]! ^
        T[768 + (z & 255)]! ^
        T[512 + ((z >>> 8) & 255)]! ^
        T[256 + ((z >>> 16) & 255)]! ^
        T[z >>> 24]!;
    }
    i += n << 2;
  } else {
    for (const last = end - 15; i < last; i += 16) {
      const a =
        c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      c =
        T[3840 + (a & 255)]! ^
        T[3584 + ((a >>> 8) & 255)]! ^
        T[3328 + ((a >>> 16) & 255)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + bytes[i + 4]!]! ^
        T[2560 + bytes[i + 5]!]! ^
        T[2304 + bytes[i + 6]!]! ^
        T[2048 + bytes[i + 7]!]! ^
        T[1792 + bytes[i + 8]!]! ^
        T[1536 + bytes[i + 9]!]! ^
        T[1280 + bytes[i + 10]!]! ^
        T[1024 + bytes[i + 11]!]! ^
        T[768 + bytes[i + 12]!]! ^
        T[512 + bytes[i + 13]!]! ^
        T[256 + bytes[i + 14]!]! ^
        T[bytes[i + 15]!]!;
    }
  }
  for (; i < end; i++) {
    c = (c >>> 8) ^ T[(c ^ bytes[i]!) & 255]!;
  }
  return ~c >>> 0;
}

const MASK_DELTA = 0xa282ead8;

/**
 * TensorFlow's masked CRC, `((crc >>> 15) | (crc << 17)) + 0xa282ead8` as a uint32: a CRC stored
 * next to the data it covers is masked so that a CRC of bytes that hold CRCs stays well spread.
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** The inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** `maskCrc(crc32c(bytes[start..end)))`: the checksum TFRecord stores. */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return maskCrc(crc32c(bytes, start, end));
}
