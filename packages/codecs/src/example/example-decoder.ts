// A tf.train.Example decoder that writes straight into the columns of a batch. Spec:
// tensorflow/core/example/example.proto and feature.proto:
//   message Example  { Features features = 1; }
//   message Features { map<string, Feature> feature = 1; }   // entries: key = 1, value = 2
//   message Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2;
//                                   Int64List int64_list = 3; } }
//   message BytesList { repeated bytes value = 1; }
//   message FloatList { repeated float value = 1 [packed = true]; }
//   message Int64List { repeated int64 value = 1 [packed = true]; }
// Values are written as the type table of @tfstream/schema says (see example-encoder.ts).
//
// Decoding walks the map entries once, allocating nothing per feature: a key is matched against
// the schema's names byte by byte (keys outside the schema are skipped), and the Feature's values
// go straight into that field's column builder. A later entry with the same key wins, as in
// protobuf maps. Then every column ends its row; a field without a feature is null.
import type { Field, Schema } from '@tfstream/schema';
import { TfstreamError, parseDecimal, typeLabel, unitsPerSecond } from '@tfstream/schema';
import type { ColumnBuilder } from '../batch/column-builder.js';
import type { NumericArray } from '../batch/column.js';
import type { RecordBatchBuilder } from '../batch/record-batch.js';
import { KIND_BYTES, KIND_FLOAT, KIND_INT64, KIND_NAMES, kindOf } from './example-kinds.js';
import { invalidUtf8At, utf8SequenceLength } from './utf8.js';
import { LITTLE_ENDIAN, WireReader } from './wire.js';

// What a column does with each value of its Feature's list.
const SINK_INT64 = 0; // int64, uint64 (same bits), timestamp
const SINK_TIME = 1;
const SINK_SIGNED = 2; // int8, int16, int32, date
const SINK_UNSIGNED = 3; // uint8, uint16, uint32
const SINK_BOOL = 4;
const SINK_FLOAT32 = 5;
const SINK_BYTES = 6;
const SINK_STRING = 7;
const SINK_CHAR = 8;
const SINK_DECIMAL = 9;
const SINK_FLOAT64 = 10;

/** Up to this many elements are copied one by one; more with one `Uint8Array.set`. */
const BULK_COPY_MIN = 16;
const PREDICTIONS = 256;
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { ignoreBOM: true });

function sinkOf(field: Field): number {
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'timestamp':
      return SINK_INT64;
    case 'time':
      return SINK_TIME;
    case 'int8':
    case 'int16':
    case 'int32':
    case 'date':
      return SINK_SIGNED;
    case 'uint8':
    case 'uint16':
    case 'uint32':
      return SINK_UNSIGNED;
    case 'bool':
      return SINK_BOOL;
    case 'float32':
      return SINK_FLOAT32;
    case 'float64':
      return SINK_FLOAT64;
    case 'bytes':
      return SINK_BYTES;
    case 'string':
      return SINK_STRING;
    case 'char':
      return SINK_CHAR;
    case 'decimal':
      return SINK_DECIMAL;
  }
}

const RANGES: Partial<Record<string, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  date: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  bool: [0, 1],
};

/** Per-field decoding plan, plus views of the column's element array that are rebuilt on growth. */
class ColumnPlan {
  readonly name: Uint8Array;
  /** The name's bytes four at a time, little-endian, for matching keys. */
  readonly words: Int32Array;
  readonly kind: number;
  readonly sink: number;
  readonly min: number;
  readonly max: number;
  /** For `time`: units in a day. */
  readonly dayUnits: number;
  private view: NumericArray | undefined = undefined;
  u8: Uint8Array = EMPTY;
  u32: Uint32Array = new Uint32Array(0);

  constructor(readonly field: Field) {
    this.name = utf8.encode(field.name);
    this.words = new Int32Array(this.name.length >>> 2);
    for (let i = 0; i < this.words.length; i++) {
      const at = i * 4;
      this.words[i] =
        this.name[at]! |
        (this.name[at + 1]! << 8) |
        (this.name[at + 2]! << 16) |
        (this.name[at + 3]! << 24);
    }
    this.kind = kindOf(field.type);
    this.sink = sinkOf(field);
    const range = RANGES[field.type] ?? [0, 0];
    this.min = range[0];
    this.max = range[1];
    this.dayUnits = field.type === 'time' ? 86400 * Number(unitsPerSecond(field.unit ?? 'ms')) : 0;
  }

  /** Makes room for `count` elements and returns the element array, with `u8`/`u32` over it. */
  reserve(builder: ColumnBuilder, count: number): NumericArray {
    builder.reserveElements(count);
    const view = builder.elementView();
    if (view !== this.view) {
      this.view = view;
      this.u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      this.u32 = new Uint32Array(view.buffer, view.byteOffset, view.byteLength >>> 2);
    }
    return view;
  }
}

/** Decodes serialized tf.train.Example records of one schema into a batch builder. */
export class ExampleDecoder {
  readonly schema: Schema;
  private readonly columns: readonly ColumnPlan[];
  /** Schema columns by the byte length of their name. */
  private readonly byLength: (readonly number[] | undefined)[];
  /** The column the n-th map entry matched last time: records of a file share their key order. */
  private readonly predicted = new Int32Array(PREDICTIONS).fill(-1);
  /** Per column, the record generation that last saw its feature, and the kind it had. */
  private readonly seen: Uint32Array;
  private readonly found: Uint8Array;
  private generation = 0;
  private readonly r = new WireReader();
  private keyStart = -1;
  private keyEnd = -1;

  constructor(schema: Schema) {
    if (!LITTLE_ENDIAN) {
      throw new Error('the tf.Example codec needs a little-endian machine');
    }
    this.schema = schema;
    this.columns = schema.fields.map((field) => new ColumnPlan(field));
    this.byLength = [];
    this.columns.forEach((column, index) => {
      const length = column.name.length;
      this.byLength[length] = [...(this.byLength[length] ?? []), index];
    });
    const n = schema.fields.length;
    this.seen = new Uint32Array(n);
    this.found = new Uint8Array(n);
  }

  /**
   * Appends the Example in `bytes` as one row of every column of `builder`.
   * @throws TfstreamError `CODEC_MALFORMED`, `CODEC_TYPE_MISMATCH`, `CODEC_NULL_VALUE` or
   * `CODEC_SHAPE_MISMATCH`, naming the field when it is known
   */
  decode(bytes: Uint8Array, builder: RecordBatchBuilder): void {
    const r = this.r;
    r.reset(bytes);
    if (++this.generation === 0x100000000) {
      this.seen.fill(0);
      this.generation = 1;
    }
    const generation = this.generation;
    const builders = builder.builders;
    this.keyStart = -1;
    try {
      const end = bytes.length;
      while (r.pos < end) {
        const tag = r.tag(end);
        if (tag === 0x0a) {
          this.features(r.delimited(end), generation, builders);
        } else {
          r.skip(tag, end);
        }
      }
    } catch (error) {
      if (error instanceof TfstreamError && this.keyStart >= 0) {
        throw error.at({ field: text.decode(bytes.subarray(this.keyStart, this.keyEnd)) });
      }
      throw error;
    }
    // Every column ends its row: absent and list-less features are null.
    const columns = this.columns;
    for (let c = 0; c < columns.length; c++) {
      const target = builders[c]!;
      const kind = this.seen[c] === generation ? this.found[c]! : 0;
      if (kind === 0) {
        target.appendNull();
      } else if (kind !== columns[c]!.kind) {
        const column = columns[c]!;
        throw new TfstreamError(
          'CODEC_TYPE_MISMATCH',
          `expected ${KIND_NAMES[column.kind]} (how tf.Example carries ${typeLabel(column.field)}), got ${KIND_NAMES[kind]}; declare the field with a type carried in ${KIND_NAMES[kind]}`,
          { field: column.field.name },
        );
      } else {
        target.commitRow();
      }
    }
  }

  /**
   * Walks the map entries of a Features message and decodes the Feature of each schema field into
   * its column (elements only; {@link decode} ends the rows).
   */
  private features(end: number, generation: number, builders: readonly ColumnBuilder[]): void {
    const r = this.r;
    let ordinal = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag !== 0x0a) {
        r.skip(tag, end);
        continue;
      }
      const entryEnd = r.delimited(end);
      let keyStart = -1;
      let keyEnd = -1;
      let valueStart = 0;
      let valueEnd = 0;
      // The usual entry, `0a <key length> key 12 <value length> value` with one-byte lengths, is
      // read inline; anything else by the general loop below.
      const buf = r.buf;
      let p = r.pos;
      if (buf[p] === 0x0a && buf[p + 1]! < 0x80) {
        const keyLength = buf[p + 1]!;
        p += 2 + keyLength;
        if (buf[p] === 0x12 && buf[p + 1]! < 0x80 && p + 2 + buf[p + 1]! === entryEnd) {
          keyStart = this.keyStart = r.pos + 2;
          keyEnd = this.keyEnd = p;
          valueStart = p + 2;
          valueEnd = entryEnd;
          r.pos = entryEnd;
        }
      }
      while (r.pos < entryEnd) {
        const inner = r.tag(entryEnd);
        if (inner === 0x0a) {
          keyEnd = this.keyEnd = r.delimited(entryEnd);
          keyStart = this.keyStart = r.pos;
          r.pos = keyEnd;
        } else if (inner === 0x12) {
          valueEnd = r.delimited(entryEnd);
          valueStart = r.pos;
          r.pos = valueEnd;
        } else {
          r.skip(inner, entryEnd);
        }
      }
      if (keyStart >= 0) {
        const c = this.match(keyStart, keyEnd, ordinal);
        if (c >= 0) {
          const target = builders[c]!;
          if (this.seen[c] === generation) {
            // The same key again: the later entry wins, as in protobuf maps.
            target.discardRow();
          }
          this.seen[c] = generation;
          const column = this.columns[c]!;
          r.field = column.field.name;
          this.found[c] = this.feature(column, target, valueStart, valueEnd);
          r.field = undefined;
          r.pos = entryEnd;
        }
      }
      ordinal++;
      this.keyStart = -1;
    }
  }

  /** The schema column whose name is `buf[start..end)`, or -1. */
  private match(start: number, end: number, ordinal: number): number {
    const length = end - start;
    const guess = ordinal < PREDICTIONS ? this.predicted[ordinal]! : -1;
    if (guess >= 0 && this.nameIs(guess, start, length)) {
      return guess;
    }
    const candidates = this.byLength[length];
    if (candidates !== undefined) {
      for (const c of candidates) {
        if (c !== guess && this.nameIs(c, start, length)) {
          if (ordinal < PREDICTIONS) {
            this.predicted[ordinal] = c;
          }
          return c;
        }
      }
    }
    return -1;
  }

  private nameIs(c: number, start: number, length: number): boolean {
    const name = this.columns[c]!.name;
    if (name.length !== length) {
      return false;
    }
    const buf = this.r.buf;
    // Four bytes at a time against the name's words, then the tail.
    const words = this.columns[c]!.words;
    const whole = length & ~3;
    for (let i = 0; i < whole; i += 4) {
      const at = start + i;
      if (
        (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) !==
        words[i >>> 2]
      ) {
        return false;
      }
    }
    for (let i = whole; i < length; i++) {
      if (name[i] !== buf[start + i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Decodes the Feature message `buf[start..end)` into `target` when its kind is the column's;
   * returns the kind found (0 for none).
   */
  private feature(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): number {
    const r = this.r;
    r.pos = start;
    if (start === end) {
      return 0;
    }
    // The usual shape: one list, filling the whole Feature.
    const tag = r.tag(end);
    const number = tag >>> 3;
    if ((tag & 7) === 2 && number >= KIND_BYTES && number <= KIND_INT64) {
      const listEnd = r.delimited(end);
      if (listEnd === end) {
        if (number === column.kind) {
          this.list(column, target, r.pos, listEnd);
        }
        return number;
      }
    }
    // Anything else, as protobuf merges it: a oneof set twice keeps the last kind set; the same
    // list repeated is concatenated; unknown fields are skipped.
    let kind = 0;
    let run = start;
    r.pos = start;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(end);
      const n = t >>> 3;
      if ((t & 7) === 2 && n >= KIND_BYTES && n <= KIND_INT64) {
        r.pos = r.delimited(end);
        if (n !== kind) {
          kind = n;
          run = at;
        }
      } else {
        r.skip(t, end);
      }
    }
    if (kind !== column.kind) {
      return kind;
    }
    const wanted = (kind << 3) | 2;
    r.pos = run;
    while (r.pos < end) {
      const t = r.tag(end);
      if (t === wanted) {
        const listEnd = r.delimited(end);
        this.list(column, target, r.pos, listEnd);
        r.pos = listEnd;
      } else {
        r.skip(t, end);
      }
    }
    return kind;
  }

  private list(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): void {
    if (column.kind === KIND_FLOAT) {
      this.floatList(column, target, start, end);
    } else if (column.kind === KIND_INT64) {
      this.int64List(column, target, start, end);
    } else {
      this.bytesList(column, target, start, end);
    }
  }

  private int64List(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): void {
    const r = this.r;
    const buf = r.buf;
    if (buf[start] === 0x0a && buf[start + 1]! < 0x80 && start + 2 + buf[start + 1]! === end) {
      // The usual list: one packed field with a one-byte length.
      this.packedInt64(column, target, start + 2, end);
      return;
    }
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) {
        const length = r.length(end);
        const packedStart = r.pos;
        this.packedInt64(column, target, packedStart, packedStart + length);
        r.pos = packedStart + length;
      } else if (tag === 0x08) {
        r.varint64(end);
        const view = column.reserve(target, 1);
        this.putInt(column, view, target.elementCount, r.lo, r.hi);
        target.advanceElements(1);
      } else {
        r.skip(tag, end);
      }
    }
  }

  private packedInt64(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): void {
    if (start === end) {
      return;
    }
    const r = this.r;
    const buf = r.buf;
    if (buf[end - 1]! >= 0x80) {
      throw r.malformed(`a packed int64_list ends in the middle of a varint at byte ${end - 1}`);
    }
    // Every varint ends with the one byte of it that has the high bit clear.
    let count = 0;
    for (let i = start; i < end; i++) {
      count += (buf[i]! >>> 7) ^ 1;
    }
    const view = column.reserve(target, count);
    let index = target.elementCount;
    let p = start;
    if (column.sink === SINK_INT64) {
      const words = column.u32;
      for (let k = 0; k < count; k++, index++) {
        const b = buf[p]!;
        if (b < 0x80) {
          words[index * 2] = b;
          words[index * 2 + 1] = 0;
          p++;
        } else {
          r.pos = p;
          r.varint64(end);
          p = r.pos;
          words[index * 2] = r.lo;
          words[index * 2 + 1] = r.hi;
        }
      }
    } else {
      for (let k = 0; k < count; k++, index++) {
        r.pos = p;
        r.varint64(end);
        p = r.pos;
        this.putInt(column, view, index, r.lo, r.hi);
      }
    }
    target.advanceElements(count);
  }

  /** Writes one int64_list value into element `index`, checked against the field's type. */
  private putInt(
    column: ColumnPlan,
    view: NumericArray,
    index: number,
    lo: number,
    hi: number,
  ): void {
    switch (column.sink) {
      case SINK_INT64:
        column.u32[index * 2] = lo;
        column.u32[index * 2 + 1] = hi;
        return;
      case SINK_TIME: {
        const units = hi * 4294967296 + (lo >>> 0);
        if (hi < 0 || units >= column.dayUnits) {
          throw this.mismatch(
            column,
            `${int64Text(lo, hi)} ${column.field.unit ?? 'ms'} is not a time of day`,
          );
        }
        column.u32[index * 2] = lo;
        column.u32[index * 2 + 1] = hi;
        return;
      }
      case SINK_SIGNED: {
        const value = lo | 0;
        if (hi !== value >> 31 || value < column.min || value > column.max) {
          throw this.mismatch(
            column,
            `${int64Text(lo, hi)} is out of range for ${column.field.type}`,
          );
        }
        view[index] = value;
        return;
      }
      case SINK_UNSIGNED:
      case SINK_BOOL: {
        const value = lo >>> 0;
        if (hi !== 0 || value > column.max) {
          throw this.mismatch(
            column,
            column.sink === SINK_BOOL
              ? `expected bool as 0 or 1, got ${int64Text(lo, hi)}`
              : `${int64Text(lo, hi)} is out of range for ${column.field.type}`,
          );
        }
        view[index] = value;
        return;
      }
      default:
        throw new Error(`unreachable int64 sink ${column.sink}`);
    }
  }

  private floatList(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): void {
    const r = this.r;
    const buf = r.buf;
    const length = end - start - 2;
    if (length < 0x80 && buf[start] === 0x0a && buf[start + 1] === length && (length & 3) === 0) {
      // The usual list: one packed field with a one-byte length.
      this.copyWords(column, target, start + 2, length >>> 2, 4);
      return;
    }
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) {
        const length = r.length(end);
        if ((length & 3) !== 0) {
          throw r.malformed(
            `a packed float_list of ${length} bytes is not a whole number of floats`,
          );
        }
        this.copyWords(column, target, r.pos, length >>> 2, 4);
        r.pos += length;
      } else if (tag === 0x0d) {
        if (end - r.pos < 4) {
          throw r.malformed(`a float value at byte ${r.pos} runs past the end of its list`);
        }
        this.copyWords(column, target, r.pos, 1, 4);
        r.pos += 4;
      } else {
        r.skip(tag, end);
      }
    }
  }

  /**
   * Appends `count` elements of `size` bytes (4: float32, 8: float64) from little-endian wire bytes
   * at `at`, bit for bit (NaN payloads included). Wire bytes have no alignment, so they are copied
   * byte-wise into the aligned element array rather than viewed as floats.
   */
  private copyWords(
    column: ColumnPlan,
    target: ColumnBuilder,
    at: number,
    count: number,
    size: number,
  ): void {
    const buf = this.r.buf;
    column.reserve(target, count);
    const words = (count * size) >>> 2;
    const first = (target.elementCount * size) >>> 2;
    if (count > BULK_COPY_MIN) {
      column.u8.set(buf.subarray(at, at + words * 4), first * 4);
    } else {
      const u32 = column.u32;
      for (let w = 0; w < words; w++, at += 4) {
        u32[first + w] =
          buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
      }
    }
    target.advanceElements(count);
  }

  private bytesList(column: ColumnPlan, target: ColumnBuilder, start: number, end: number): void {
    const r = this.r;
    const buf = r.buf;
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag !== 0x0a) {
        r.skip(tag, end);
        continue;
      }
      const length = r.length(end);
      const s = r.pos;
      const e = (r.pos += length);
      switch (column.sink) {
        case SINK_BYTES:
          target.pushBytes(buf, s, e);
          break;
        case SINK_STRING: {
          const bad = invalidUtf8At(buf, s, e);
          if (bad >= 0) {
            throw this.mismatch(
              column,
              `a bytes_list value of ${length} bytes is not valid UTF-8 (at byte ${bad - s}); declare the field as bytes to keep such values as they are`,
            );
          }
          target.pushBytes(buf, s, e);
          break;
        }
        case SINK_CHAR:
          if (
            length === 0 ||
            utf8SequenceLength(buf[s]!) !== length ||
            invalidUtf8At(buf, s, e) >= 0
          ) {
            throw this.mismatch(
              column,
              `expected char (one Unicode code point in UTF-8), got a bytes_list value of ${length} bytes that is not one`,
            );
          }
          target.pushBytes(buf, s, e);
          break;
        case SINK_DECIMAL:
          target.pushString(parseDecimal(column.field, text.decode(buf.subarray(s, e))));
          break;
        case SINK_FLOAT64:
          if ((length & 7) !== 0) {
            throw this.mismatch(
              column,
              `expected float64 as 8 little-endian bytes per element in one bytes_list value, got a value of ${length} bytes`,
            );
          }
          this.copyWords(column, target, s, length >>> 3, 8);
          break;
        default:
          throw new Error(`unreachable bytes sink ${column.sink}`);
      }
    }
  }

  private mismatch(column: ColumnPlan, detail: string): TfstreamError {
    return new TfstreamError('CODEC_TYPE_MISMATCH', detail, { field: column.field.name });
  }
}

/** The signed 64-bit integer with these low and high 32 bits, as decimal text. */
function int64Text(lo: number, hi: number): string {
  return String(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
}

const decoders = new WeakMap<Schema, ExampleDecoder>();

/** The (cached) decoder of a schema. */
export function exampleDecoderFor(schema: Schema): ExampleDecoder {
  let decoder = decoders.get(schema);
  if (decoder === undefined) {
    decoder = new ExampleDecoder(schema);
    decoders.set(schema, decoder);
  }
  return decoder;
}
