// A tf.train.Example encoder over the columns of a batch (message layout in example-decoder.ts).
// It writes what TensorFlow's own serializer writes: one map entry per field with a value, in
// schema order; int64 and float lists packed; a null value as an absent feature. Each type goes
// into the Feature kind the type table of @tfstream/schema names:
//   int8..uint32, bool (0/1), date (days), time, timestamp, int64 -> int64_list, the value
//   uint64 -> int64_list, the same 64 bits (tf.bitcast to uint64 reads it back)
//   float32 -> float_list
//   float64 -> bytes_list, ONE value of 8 little-endian bytes per element (tf.io.decode_raw)
//   string, char -> bytes_list, UTF-8; decimal -> bytes_list, its canonical text; bytes as is
import type { Schema } from '@tfstream/schema';
import type { Column } from '../batch/column.js';
import { elementRange, isValid } from '../batch/column.js';
import type { RecordBatch } from '../batch/record-batch.js';
import { KIND_BYTES, kindOf } from './example-kinds.js';
import { LITTLE_ENDIAN, varint32Size, varint64Size, writeVarint32, writeVarint64 } from './wire.js';

// How a column's elements are read.
const READ_WIDE = 0; // BigInt64Array / BigUint64Array, read as two 32-bit words
const READ_INT = 1; // number-valued integers (bool, date included)
const READ_FLOAT32 = 2;
const READ_FLOAT64 = 3;
const READ_VAR = 4; // bytes + offsets
const SMALL_COPY = 32;
const utf8 = new TextEncoder();

class ColumnWriter {
  /** `0x0a, varint(name length), name`: the map entry's key field. */
  readonly key: Uint8Array;
  readonly kind: number;
  readonly read: number;
  private source: unknown = undefined;
  u8: Uint8Array = new Uint8Array(0);
  i32: Int32Array = new Int32Array(0);

  constructor(name: string, type: Schema['fields'][number]['type']) {
    const bytes = utf8.encode(name);
    this.key = new Uint8Array(1 + varint32Size(bytes.length) + bytes.length);
    this.key[0] = 0x0a;
    this.key.set(bytes, writeVarint32(this.key, 1, bytes.length));
    this.kind = kindOf(type);
    this.read =
      type === 'float32'
        ? READ_FLOAT32
        : type === 'float64'
          ? READ_FLOAT64
          : this.kind === KIND_BYTES
            ? READ_VAR
            : type === 'int64' || type === 'uint64' || type === 'time' || type === 'timestamp'
              ? READ_WIDE
              : READ_INT;
  }

  /** Refreshes the byte and word views of the column's element array. */
  bind(column: Column): void {
    const values = column.values;
    if (values !== undefined && values !== this.source) {
      this.source = values;
      this.u8 = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      this.i32 = new Int32Array(values.buffer, values.byteOffset, values.byteLength >>> 2);
    }
  }
}

/** Encodes the rows of batches of one schema as serialized tf.train.Example records. */
export class ExampleEncoder {
  readonly schema: Schema;
  private readonly writers: readonly ColumnWriter[];
  /** Per column, from the last {@link measure}: list message size (-1 for null), packed size. */
  private readonly listSizes: Int32Array;
  private readonly packedSizes: Int32Array;

  constructor(schema: Schema) {
    if (!LITTLE_ENDIAN) {
      throw new Error('the tf.Example codec needs a little-endian machine');
    }
    this.schema = schema;
    this.writers = schema.fields.map((field) => new ColumnWriter(field.name, field.type));
    this.listSizes = new Int32Array(schema.fields.length);
    this.packedSizes = new Int32Array(schema.fields.length);
  }

  /** The serialized Example of one row. */
  encodeRecord(batch: RecordBatch, row: number): Uint8Array {
    const out = new Uint8Array(this.measure(batch, row));
    this.write(batch, row, out, 0);
    return out;
  }

  /**
   * The size of row `row`'s Example in bytes; remembers what {@link write} needs, so call
   * `write` for the same row next.
   */
  measure(batch: RecordBatch, row: number): number {
    let features = 0;
    const writers = this.writers;
    for (let c = 0; c < writers.length; c++) {
      const w = writers[c]!;
      const column = batch.columns[c]!;
      if (!isValid(column, row)) {
        this.listSizes[c] = -1;
        continue;
      }
      w.bind(column);
      const [start, end] = elementRange(column, row);
      let list: number;
      let packed = 0;
      switch (w.read) {
        case READ_WIDE: {
          const i32 = w.i32;
          for (let j = start; j < end; j++) {
            packed += varint64Size(i32[j * 2]!, i32[j * 2 + 1]!);
          }
          list = packed > 0 ? 1 + varint32Size(packed) + packed : 0;
          break;
        }
        case READ_INT: {
          const values = column.values!;
          for (let j = start; j < end; j++) {
            const v = values[j] as number;
            packed += v < 0 ? 10 : varint32Size(v);
          }
          list = packed > 0 ? 1 + varint32Size(packed) + packed : 0;
          break;
        }
        case READ_FLOAT32:
          packed = (end - start) * 4;
          list = packed > 0 ? 1 + varint32Size(packed) + packed : 0;
          break;
        case READ_FLOAT64:
          packed = (end - start) * 8;
          list = 1 + varint32Size(packed) + packed;
          break;
        default: {
          const offsets = column.valueOffsets!;
          list = 0;
          for (let j = start; j < end; j++) {
            const length = offsets[j + 1]! - offsets[j]!;
            list += 1 + varint32Size(length) + length;
          }
        }
      }
      this.listSizes[c] = list;
      this.packedSizes[c] = packed;
      const feature = 1 + varint32Size(list) + list;
      const entry = w.key.length + 1 + varint32Size(feature) + feature;
      features += 1 + varint32Size(entry) + entry;
    }
    return 1 + varint32Size(features) + features;
  }

  /** Writes the Example of the row last measured at `out[at..]`; returns the offset after it. */
  write(batch: RecordBatch, row: number, out: Uint8Array, at: number): number {
    const writers = this.writers;
    let features = 0;
    for (let c = 0; c < writers.length; c++) {
      const list = this.listSizes[c]!;
      if (list >= 0) {
        const feature = 1 + varint32Size(list) + list;
        const entry = writers[c]!.key.length + 1 + varint32Size(feature) + feature;
        features += 1 + varint32Size(entry) + entry;
      }
    }
    out[at++] = 0x0a;
    at = writeVarint32(out, at, features);
    for (let c = 0; c < writers.length; c++) {
      const list = this.listSizes[c]!;
      if (list < 0) {
        continue;
      }
      const w = writers[c]!;
      const column = batch.columns[c]!;
      const feature = 1 + varint32Size(list) + list;
      out[at++] = 0x0a;
      at = writeVarint32(out, at, w.key.length + 1 + varint32Size(feature) + feature);
      out.set(w.key, at);
      at += w.key.length;
      out[at++] = 0x12;
      at = writeVarint32(out, at, feature);
      out[at++] = (w.kind << 3) | 2;
      at = writeVarint32(out, at, list);
      const [start, end] = elementRange(column, row);
      const packed = this.packedSizes[c]!;
      switch (w.read) {
        case READ_WIDE: {
          if (packed > 0) {
            out[at++] = 0x0a;
            at = writeVarint32(out, at, packed);
            const i32 = w.i32;
            for (let j = start; j < end; j++) {
              at = writeVarint64(out, at, i32[j * 2]!, i32[j * 2 + 1]!);
            }
          }
          break;
        }
        case READ_INT: {
          if (packed > 0) {
            out[at++] = 0x0a;
            at = writeVarint32(out, at, packed);
            const values = column.values!;
            for (let j = start; j < end; j++) {
              const v = values[j] as number;
              at = v < 0 ? writeVarint64(out, at, v, -1) : writeVarint32(out, at, v);
            }
          }
          break;
        }
        case READ_FLOAT32:
        case READ_FLOAT64: {
          const size = w.read === READ_FLOAT32 ? 4 : 8;
          if (packed > 0 || w.read === READ_FLOAT64) {
            out[at++] = 0x0a;
            at = writeVarint32(out, at, packed);
            at = copy(out, at, w.u8, start * size, end * size);
          }
          break;
        }
        default: {
          const offsets = column.valueOffsets!;
          const data = column.data!;
          for (let j = start; j < end; j++) {
            const s = offsets[j]!;
            const e = offsets[j + 1]!;
            out[at++] = 0x0a;
            at = writeVarint32(out, at, e - s);
            at = copy(out, at, data, s, e);
          }
        }
      }
    }
    return at;
  }
}

function copy(out: Uint8Array, at: number, source: Uint8Array, start: number, end: number): number {
  if (end - start < SMALL_COPY) {
    for (let i = start; i < end; i++) {
      out[at++] = source[i]!;
    }
    return at;
  }
  out.set(source.subarray(start, end), at);
  return at + end - start;
}

const encoders = new WeakMap<Schema, ExampleEncoder>();

/** The (cached) encoder of a schema. */
export function exampleEncoderFor(schema: Schema): ExampleEncoder {
  let encoder = encoders.get(schema);
  if (encoder === undefined) {
    encoder = new ExampleEncoder(schema);
    encoders.set(schema, encoder);
  }
  return encoder;
}
