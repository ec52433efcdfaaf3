// RFC 4648 section 4 (standard alphabet, with padding). Platform neutral: no Buffer, no atob.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
// Also accept the URL-safe alphabet (section 5) on input.
DECODE['-'.charCodeAt(0)] = 62;
DECODE['_'.charCodeAt(0)] = 63;

/** Encodes bytes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (i < n) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < n ? bytes[i + 1]! : 0;
    const v = (b0 << 16) | (b1 << 8);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]!;
    out += i + 1 < n ? ALPHABET[(v >> 6) & 63]! + '=' : '==';
  }
  return out;
}

/**
 * Decodes base64 (standard or URL-safe alphabet, padding optional). Returns `undefined` when the
 * text is not base64, so that the caller can raise an error that names the field.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    end--;
  }
  if (text.length - end > 2 || (text.length % 4 !== 0 && text.length !== end)) {
    return undefined;
  }
  const rem = end % 4;
  if (rem === 1) {
    return undefined;
  }
  const out = new Uint8Array(Math.floor(end / 4) * 3 + (rem === 0 ? 0 : rem - 1));
  let o = 0;
  let i = 0;
  for (; i + 3 < end; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) {
      return undefined;
    }
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (rem >= 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = rem === 3 ? sextet(text, i + 2) : 0;
    if ((a | b | c) < 0) {
      return undefined;
    }
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o] = v >> 16;
    if (rem === 3) {
      out[o + 1] = (v >> 8) & 255;
    }
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? DECODE[code]! : -1;
}
