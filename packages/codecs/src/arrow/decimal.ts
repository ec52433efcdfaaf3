// Arrow decimals (Arrow columnar format, "Decimal": a two's complement little-endian integer of
// 32, 64, 128 or 256 bits holding the unscaled value) to and from tfstream's canonical decimal
// text ("-12.50": exactly `scale` fraction digits, no leading zeros, no negative zero).

const TWO_32 = 4294967296;
const SAFE_HIGH = 1 << 21; // |value| < 2^53 when the high word is within ±2^21

/** Bits of the Arrow decimal that carries a tfstream `decimal(precision, scale)`. */
export function decimalBitWidth(precision: number): 128 | 256 {
  return precision > 38 ? 256 : 128;
}

/**
 * Writes the canonical decimal text in `text[start..end]` (ASCII) as the unscaled integer, in
 * `words` little-endian 32-bit words at `out[at..]`.
 */
export function writeDecimalWords(
  text: Uint8Array,
  start: number,
  end: number,
  out: Uint32Array,
  at: number,
  words: number,
): void {
  let negative = false;
  let digits = 0;
  let small = 0;
  let i = start;
  if (text[i] === 0x2d) {
    negative = true;
    i++;
  }
  for (let j = i; j < end; j++) {
    const c = text[j]!;
    if (c !== 0x2e) {
      small = small * 10 + (c - 0x30);
      digits++;
    }
  }
  if (digits <= 15) {
    const value = negative ? -small : small;
    out[at] = value >>> 0;
    const high = Math.floor(value / TWO_32);
    out[at + 1] = high >>> 0;
    const fill = high < 0 ? 0xffffffff : 0;
    for (let w = 2; w < words; w++) {
      out[at + w] = fill;
    }
    return;
  }
  let digitText = '';
  for (let j = i; j < end; j++) {
    const c = text[j]!;
    if (c !== 0x2e) {
      digitText += String.fromCharCode(c);
    }
  }
  let big = BigInt(digitText);
  if (negative) {
    big = -big;
  }
  let bits = BigInt.asUintN(words * 32, big);
  for (let w = 0; w < words; w++) {
    out[at + w] = Number(bits & 0xffffffffn);
    bits >>= 32n;
  }
}

/** The unscaled value of the decimal in `words` 32-bit words at `values[at..]`, as a bigint. */
export function readDecimalBigInt(values: Uint32Array, at: number, words: number): bigint {
  let big = 0n;
  for (let w = words - 1; w >= 0; w--) {
    big = (big << 32n) | BigInt(values[at + w]!);
  }
  return BigInt.asIntN(words * 32, big);
}

/**
 * The unscaled value as a number when it is a safe integer (the common case, read without
 * bigint), or `undefined`.
 */
export function readDecimalNumber(
  values: Uint32Array,
  at: number,
  words: number,
): number | undefined {
  const low = values[at]!;
  if (words === 1) {
    return low | 0;
  }
  const high = values[at + 1]! | 0;
  const fill = high < 0 ? 0xffffffff : 0;
  for (let w = 2; w < words; w++) {
    if (values[at + w] !== fill) {
      return undefined;
    }
  }
  if (high >= SAFE_HIGH || high < -SAFE_HIGH) {
    return undefined;
  }
  return high * TWO_32 + low;
}

/** Canonical text of an unscaled value: `formatUnscaled(-1250n, 2)` is `"-12.50"`. */
export function formatUnscaled(unscaled: bigint | number, scale: number): string {
  const negative = unscaled < 0;
  const magnitude = negative ? -unscaled : unscaled;
  const digits = magnitude.toString().padStart(scale + 1, '0');
  const text =
    scale === 0
      ? digits
      : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}
