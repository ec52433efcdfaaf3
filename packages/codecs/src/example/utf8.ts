// UTF-8 validation per RFC 3629 section 4 (no overlong forms, no surrogates, nothing above
// U+10FFFF), without decoding to a string.

/**
 * Index of the first byte of `bytes[start..end)` that is not well-formed UTF-8, or -1 when all of
 * it is.
 */
export function invalidUtf8At(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const at = i;
    if (c < 0xc2) {
      return at;
    }
    if (c < 0xe0) {
      if (i + 1 >= end || (bytes[i + 1]! & 0xc0) !== 0x80) {
        return at;
      }
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) {
        return at;
      }
      const c1 = bytes[i + 1]!;
      if (
        (c1 & 0xc0) !== 0x80 ||
        (bytes[i + 2]! & 0xc0) !== 0x80 ||
        (c === 0xe0 && c1 < 0xa0) ||
        (c === 0xed && c1 >= 0xa0)
      ) {
        return at;
      }
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) {
        return at;
      }
      const c1 = bytes[i + 1]!;
      if (
        (c1 & 0xc0) !== 0x80 ||
        (bytes[i + 2]! & 0xc0) !== 0x80 ||
        (bytes[i + 3]! & 0xc0) !== 0x80 ||
        (c === 0xf0 && c1 < 0x90) ||
        (c === 0xf4 && c1 >= 0x90)
      ) {
        return at;
      }
      i += 4;
      continue;
    }
    return at;
  }
  return -1;
}

/** Bytes of the UTF-8 sequence a lead byte starts (1 for an invalid lead byte). */
export function utf8SequenceLength(lead: number): number {
  return lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}
