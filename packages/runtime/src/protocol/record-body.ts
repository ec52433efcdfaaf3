// How a record batch travels as a frame body between the feed and a worker: its columns' buffers
// as they lie in memory (the `Column` layout of @tfstream/codecs, which follows the Arrow columnar
// format's buffers: validity, list offsets, fixed-width values, variable-width data and value
// offsets), behind a small header. Encoding copies each buffer once, decoding makes typed-array
// views: no per-record work on either side, and no schema in the body (both sides know it).
//
// body := header, then each column's present buffers in that order, each at an 8-byte boundary
// header := u32 magic "TFRB" | u32 rows | u32 columns | u32 0
//           per column: u32 flags (1: has validity) | u32 byte length of validity, offsets,
//           values, data, valueOffsets (0 when absent)
// All integers little-endian. Offsets of a body start at 0.
import type { Column, NumericArray } from '@tfstream/codecs';
import { RecordBatch, storageOf } from '@tfstream/codecs';
import type { Field, Schema } from '@tfstream/schema';
import { TfstreamError, elementCount } from '@tfstream/schema';

const MAGIC = 0x42524654; // "TFRB" read as a little-endian u32
const HEADER_BYTES = 16;
const COLUMN_BYTES = 24;
const HAS_VALIDITY = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const align8 = (n: number): number => (n + 7) & ~7;

/** The element range [first, end) a column's first `rows` rows occupy. */
function elementsOf(column: Column, rows: number): [number, number] {
  if (column.offsets !== undefined) {
    return [column.offsets[0]!, column.offsets[rows]!];
  }
  const perRow = elementCount(column.field.shape);
  return [0, rows * perRow];
}

/** Where one batch's part of a column lies: its element range and its bytes. */
interface Part {
  readonly column: Column;
  readonly rows: number;
  readonly first: number;
  readonly end: number;
  /** Byte range of `data` (variable width). */
  readonly from: number;
  readonly to: number;
}

/**
 * Encodes a batch, or consecutive batches of one schema as one (their rows in order), as one
 * frame body (see the layout above). Columns may be views whose offsets do not start at 0
 * (slices); they are rebased.
 */
export function encodeRecordBody(batches: RecordBatch | readonly RecordBatch[]): Uint8Array {
  const list = Array.isArray(batches)
    ? (batches as readonly RecordBatch[])
    : [batches as RecordBatch];
  const columns = list[0]?.columns.length ?? 0;
  const rows = list.reduce((n, batch) => n + batch.numRows, 0);
  const table = align8(HEADER_BYTES + COLUMN_BYTES * columns);
  const layouts: { parts: Part[]; lengths: number[]; validity: boolean }[] = [];
  let size = table;
  for (let c = 0; c < columns; c++) {
    const parts = list.map((batch): Part => {
      const column = batch.columns[c]!;
      const [first, end] = elementsOf(column, batch.numRows);
      const bytes = column.valueOffsets;
      return {
        column,
        rows: batch.numRows,
        first,
        end,
        from: bytes === undefined ? 0 : bytes[first]!,
        to: bytes === undefined ? 0 : bytes[end]!,
      };
    });
    const sample = parts[0]!.column;
    const elements = parts.reduce((n, part) => n + part.end - part.first, 0);
    const validity = parts.some((part) => part.column.validity !== undefined);
    const lengths = [
      validity ? rows : 0,
      sample.offsets === undefined ? 0 : (rows + 1) * 4,
      sample.values === undefined ? 0 : elements * sample.values.BYTES_PER_ELEMENT,
      sample.valueOffsets === undefined ? 0 : parts.reduce((n, part) => n + part.to - part.from, 0),
      sample.valueOffsets === undefined ? 0 : (elements + 1) * 4,
    ];
    for (const length of lengths) {
      size += align8(length);
    }
    layouts.push({ parts, lengths, validity });
  }
  const body = new Uint8Array(size);
  const view = new DataView(body.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, rows, true);
  view.setUint32(8, columns, true);
  let at = table;
  layouts.forEach(({ parts, lengths, validity }, c) => {
    const head = HEADER_BYTES + COLUMN_BYTES * c;
    view.setUint32(head, validity ? HAS_VALIDITY : 0, true);
    lengths.forEach((length, i) => view.setUint32(head + 4 + 4 * i, length, true));
    const [validityBytes, offsetsBytes, valuesBytes, dataBytes, valueOffsetsBytes] = lengths as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (validity) {
      let row = at;
      for (const part of parts) {
        if (part.column.validity === undefined) {
          body.fill(1, row, row + part.rows);
        } else {
          body.set(part.column.validity.subarray(0, part.rows), row);
        }
        row += part.rows;
      }
      at += align8(validityBytes);
    }
    if (offsetsBytes > 0) {
      // List offsets: each part's, rebased to where its elements land.
      let write = at + 4;
      let element = 0;
      for (const part of parts) {
        writeOffsets(body, write, part.column.offsets!, 0, part.rows + 1, element, 1);
        write += part.rows * 4;
        element += part.end - part.first;
      }
      at += align8(offsetsBytes);
    }
    if (valuesBytes > 0) {
      let write = at;
      for (const part of parts) {
        const values = part.column.values!.subarray(part.first, part.end);
        body.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), write);
        write += values.byteLength;
      }
      at += align8(valuesBytes);
    }
    if (valueOffsetsBytes > 0) {
      let write = at;
      for (const part of parts) {
        body.set(part.column.data!.subarray(part.from, part.to), write);
        write += part.to - part.from;
      }
      at += align8(dataBytes);
      write = at + 4;
      let byte = 0;
      for (const part of parts) {
        const count = part.end - part.first;
        writeOffsets(body, write, part.column.valueOffsets!, part.first, count + 1, byte, 1);
        write += count * 4;
        byte += part.to - part.from;
      }
      at += align8(valueOffsetsBytes);
    }
  });
  return body;
}

/**
 * Writes offsets `source[start + skip .. start + count)` less `source[start]`, plus `base`, as
 * little-endian i32 from byte `at` (`skip` 1 leaves out the first, the 0 a previous part wrote).
 */
function writeOffsets(
  body: Uint8Array,
  at: number,
  source: Int32Array,
  start: number,
  count: number,
  base: number,
  skip: number,
): void {
  const shift = base - source[start]!;
  if (shift === 0 && LITTLE_ENDIAN) {
    const part = source.subarray(start + skip, start + count);
    body.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
    return;
  }
  const view = new DataView(body.buffer, body.byteOffset + at, (count - skip) * 4);
  for (let i = skip; i < count; i++) {
    view.setInt32((i - skip) * 4, source[start + i]! + shift, true);
  }
}

/**
 * Decodes a frame body written by {@link encodeRecordBody} for `schema`, as views of the body (of
 * a copy when the body is not 8-byte aligned). Checks every length and offset, so that a corrupt
 * body is an error rather than a batch that reads out of bounds.
 *
 * @throws `PROTOCOL_ERROR` naming `source` when the body is missing, cut short, or does not fit
 *   the schema.
 */
export function decodeRecordBody(
  body: Uint8Array | undefined,
  schema: Schema,
  source: string,
): RecordBatch {
  if (body === undefined) {
    throw new TfstreamError('PROTOCOL_ERROR', `${source}: a record batch message has no body`);
  }
  if (!LITTLE_ENDIAN) {
    throw new TfstreamError('PROTOCOL_ERROR', `${source}: record bodies need a little-endian host`);
  }
  const bad = (detail: string): TfstreamError =>
    new TfstreamError('PROTOCOL_ERROR', `${source}: a corrupt record batch body: ${detail}`);
  if (body.byteLength < HEADER_BYTES) {
    throw bad(`${body.byteLength} bytes are too short for its header`);
  }
  // A copy (not `slice`, which is a view for a Node Buffer) when views could not be aligned.
  const bytes = body.byteOffset % 8 === 0 ? body : new Uint8Array(body);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) {
    throw bad('it does not start with "TFRB"');
  }
  const rows = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  if (count !== schema.fields.length) {
    throw bad(`it has ${count} columns, the schema ${schema.fields.length} fields`);
  }
  let at = align8(HEADER_BYTES + COLUMN_BYTES * count);
  if (at > bytes.byteLength) {
    throw bad('its column table is cut short');
  }
  const take = (length: number, what: string, field: Field): Uint8Array => {
    if (at + length > bytes.byteLength) {
      throw bad(`field "${field.name}": its ${what} run past the end of the body`);
    }
    const out = bytes.subarray(at, at + length);
    at += align8(length);
    return out;
  };
  const columns = schema.fields.map((field, i): Column => {
    const head = HEADER_BYTES + COLUMN_BYTES * i;
    const flags = view.getUint32(head, true);
    const lengths = [4, 8, 12, 16, 20].map((offset) => view.getUint32(head + offset, true));
    const [validityBytes, offsetsBytes, valuesBytes, dataBytes, valueOffsetsBytes] = lengths as [
      number,
      number,
      number,
      number,
      number,
    ];
    const storage = storageOf(field.type);
    const perRow = elementCount(field.shape);
    const validity =
      (flags & HAS_VALIDITY) === 0 ? undefined : take(validityBytes, 'validity', field);
    if (validity !== undefined && validity.length !== rows) {
      throw bad(`field "${field.name}": ${validity.length} validity bytes for ${rows} rows`);
    }
    let offsets: Int32Array | undefined;
    let elements = rows * perRow;
    if (perRow < 0) {
      offsets = int32s(take(offsetsBytes, 'offsets', field));
      checkOffsets(offsets, rows + 1, undefined, `field "${field.name}" list offsets`, bad);
      elements = offsets[rows]!;
    } else if (offsetsBytes !== 0) {
      throw bad(`field "${field.name}": list offsets for a field that is not a list`);
    }
    if (storage === 'varbinary') {
      const data = take(dataBytes, 'data', field);
      const valueOffsets = int32s(take(valueOffsetsBytes, 'value offsets', field));
      checkOffsets(valueOffsets, elements + 1, data.length, `field "${field.name}"`, bad);
      return { field, length: rows, validity, offsets, values: undefined, data, valueOffsets };
    }
    const raw = take(valuesBytes, 'values', field);
    if (raw.length !== elements * storage.BYTES_PER_ELEMENT) {
      throw bad(`field "${field.name}": ${raw.length} value bytes for ${elements} elements`);
    }
    const Ctor = storage as new (
      buffer: ArrayBufferLike,
      offset: number,
      length: number,
    ) => NumericArray;
    const values = new Ctor(raw.buffer, raw.byteOffset, elements);
    return {
      field,
      length: rows,
      validity,
      offsets,
      values,
      data: undefined,
      valueOffsets: undefined,
    };
  });
  return new RecordBatch(schema, columns);
}

function int32s(bytes: Uint8Array): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
}

/** Offsets must be `count` long, start at 0, never decrease, and end within `limit`. */
function checkOffsets(
  offsets: Int32Array,
  count: number,
  limit: number | undefined,
  what: string,
  bad: (detail: string) => TfstreamError,
): void {
  if (offsets.length !== count || offsets[0] !== 0) {
    throw bad(`${what}: ${offsets.length} offsets where ${count} starting at 0 belong`);
  }
  for (let i = 1; i < count; i++) {
    if (offsets[i]! < offsets[i - 1]!) {
      throw bad(`${what}: offset ${i} goes backwards`);
    }
  }
  if (limit !== undefined && offsets[count - 1] !== limit) {
    throw bad(`${what}: the offsets end at ${offsets[count - 1]}, the data at ${limit}`);
  }
}
