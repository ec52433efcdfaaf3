// Protocol Buffers wire format, the parts tf.train.Example needs
// (https://protobuf.dev/programming-guides/encoding/): varints, tags, length-delimited fields, and
// skipping any field of any wire type, groups included.
import { TfstreamError } from '@tfstream/schema';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** Deepest nesting of groups skipped, as protobuf's default recursion limit. */
const MAX_GROUP_DEPTH = 100;

/** Whether typed arrays on this machine are little-endian, as every wire number is. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A cursor over one serialized message. Every read is bounded by an `end` the caller passes (the
 * end of the enclosing message), and every failure is a `CODEC_MALFORMED` error naming `field`
 * when it is known.
 */
export class WireReader {
  /** The message being read. */
  buf: Uint8Array = new Uint8Array(0);
  /** Offset of the next byte to read. */
  pos = 0;
  /** Low 32 bits of the last {@link varint64}. */
  lo = 0;
  /** High 32 bits of the last {@link varint64}. */
  hi = 0;
  /** The feature being read, for error messages. */
  field: string | undefined = undefined;

  /** Starts reading `buf` from its first byte. */
  reset(buf: Uint8Array): void {
    this.buf = buf;
    this.pos = 0;
    this.field = undefined;
  }

  /** A `CODEC_MALFORMED` error with this detail, naming {@link field} when it is set. */
  malformed(detail: string): TfstreamError {
    return new TfstreamError(
      'CODEC_MALFORMED',
      `${detail}; the bytes are not a valid serialized tf.train.Example`,
      this.field === undefined ? {} : { field: this.field },
    );
  }

  /** A varint of at most 32 bits (tags, lengths). */
  varint32(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) {
      throw this.truncated(p);
    }
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (p >= end) {
        throw this.truncated(p);
      }
      b = buf[p++]!;
      if (shift === 28 && b > 0x0f) {
        throw this.malformed(`a varint at byte ${p - 5} does not fit 32 bits`);
      }
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = p;
        return value;
      }
    }
    throw this.malformed(`a varint at byte ${p - 5} does not fit 32 bits`);
  }

  /** A field tag; rejects field number 0. */
  tag(end: number): number {
    const p = this.pos;
    if (p < end) {
      const b = this.buf[p]!;
      if (b >= 8 && b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    const tag = this.varint32(end);
    if (tag < 8) {
      throw this.malformed(`invalid field tag ${tag} at byte ${this.pos - 1}`);
    }
    return tag;
  }

  /** The length of a length-delimited field; it must fit before `end`. */
  length(end: number): number {
    const length = this.varint32(end);
    if (length > end - this.pos) {
      throw this.malformed(
        `a length of ${length} bytes at byte ${this.pos} runs past the end of its message (${end - this.pos} bytes left)`,
      );
    }
    return length;
  }

  /**
   * Reads the length of a length-delimited field and returns where its bytes end; the cursor is
   * left at their start.
   */
  delimited(end: number): number {
    const p = this.pos;
    if (p < end) {
      const b = this.buf[p]!;
      if (b < 0x80 && b < end - p) {
        this.pos = p + 1;
        return p + 1 + b;
      }
    }
    const length = this.length(end);
    return this.pos + length;
  }

  /** A varint of up to 64 bits into {@link lo} and {@link hi} (two's complement). */
  varint64(end: number): void {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let b: number;
    let i = 0;
    for (; i < 4; i++) {
      if (p >= end) {
        throw this.truncated(p);
      }
      b = buf[p++]!;
      lo |= (b & 0x7f) << (i * 7);
      if (b < 0x80) {
        this.pos = p;
        this.lo = lo;
        this.hi = 0;
        return;
      }
    }
    if (p >= end) {
      throw this.truncated(p);
    }
    b = buf[p++]!;
    lo |= (b & 0x7f) << 28;
    let hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        if (p >= end) {
          throw this.truncated(p);
        }
        b = buf[p++]!;
        hi |= (b & 0x7f) << (i * 7 + 3);
        if (b < 0x80) {
          break;
        }
      }
      if (b >= 0x80) {
        throw this.malformed(`a varint at byte ${p - 10} is longer than 10 bytes`);
      }
    }
    this.pos = p;
    this.lo = lo;
    this.hi = hi;
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: number, end: number, depth = 0): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        this.varint64(end);
        return;
      case WIRE_FIXED64:
        this.advance(8, end);
        return;
      case WIRE_LEN:
        this.pos = this.delimited(end);
        return;
      case WIRE_FIXED32:
        this.advance(4, end);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) {
          throw this.malformed(`groups nested more than ${MAX_GROUP_DEPTH} deep`);
        }
        const endTag = (tag & ~7) | WIRE_END_GROUP;
        for (;;) {
          const inner = this.tag(end);
          if (inner === endTag) {
            return;
          }
          if ((inner & 7) === WIRE_END_GROUP) {
            throw this.malformed(
              `an end-group tag at byte ${this.pos - 1} does not match its group`,
            );
          }
          this.skip(inner, end, depth + 1);
        }
      }
      default:
        throw this.malformed(
          `wire type ${tag & 7} of field ${tag >>> 3} at byte ${this.pos - 1} is not valid here`,
        );
    }
  }

  private advance(bytes: number, end: number): void {
    if (end - this.pos < bytes) {
      throw this.truncated(end);
    }
    this.pos += bytes;
  }

  private truncated(at: number): TfstreamError {
    return this.malformed(`the message ends in the middle of a field at byte ${at}`);
  }
}

/** Bytes of the varint of a uint32. */
export function varint32Size(value: number): number {
  if (value < 0x80) {
    return 1;
  }
  if (value < 0x4000) {
    return 2;
  }
  if (value < 0x200000) {
    return 3;
  }
  if (value < 0x10000000) {
    return 4;
  }
  return 5;
}

/** Bytes of the varint of a 64-bit value given as low and high 32 bits. */
export function varint64Size(lo: number, hi: number): number {
  if (hi === 0) {
    return varint32Size(lo >>> 0);
  }
  const h = hi >>> 0;
  if (h < 0x8) {
    return 5;
  }
  if (h < 0x400) {
    return 6;
  }
  if (h < 0x20000) {
    return 7;
  }
  if (h < 0x1000000) {
    return 8;
  }
  if (h < 0x80000000) {
    return 9;
  }
  return 10;
}

/** Writes the varint of a uint32 at `at`; returns the offset after it. */
export function writeVarint32(out: Uint8Array, at: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

/** Writes the varint of a 64-bit value given as low and high 32 bits; returns the offset after it. */
export function writeVarint64(out: Uint8Array, at: number, lo: number, hi: number): number {
  let l = lo >>> 0;
  let h = hi >>> 0;
  while (h !== 0 || l >= 0x80) {
    out[at++] = (l & 0x7f) | 0x80;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  out[at++] = l;
  return at;
}
