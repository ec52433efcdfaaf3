// A bounds-checking walk over the FlatBuffers metadata of Arrow IPC messages and file footers
// (Arrow columnar format, "Serialization and Interprocess Communication (IPC)", Message.fbs,
// Schema.fbs, File.fbs), run before apache-arrow decodes them. The generated FlatBuffers readers
// do not check bounds: a corrupt vector length makes them loop billions of times, and shared or
// cyclic sub-tables make them recurse without end. Arrow C++ runs the FlatBuffers Verifier for the
// same reason. Only what the readers iterate or recurse into needs checking; stray scalar reads
// past the end yield zeros and are harmless.

/** Message header kinds (the `MessageHeader` union of Message.fbs). */
export const HeaderType = {
  Schema: 1,
  DictionaryBatch: 2,
  RecordBatch: 3,
} as const;

/** What the stream reader needs from a record batch header, with lengths as numbers. */
export interface BatchHeader {
  readonly length: number;
  readonly nodes: ReadonlyArray<{ readonly length: number; readonly nullCount: number }>;
  readonly compressed: boolean;
}

/** The parts of a verified message the framing layer uses. */
export interface VerifiedMessage {
  readonly headerType: number;
  readonly bodyLength: number;
  /** For record and dictionary batches. */
  readonly batch: BatchHeader | undefined;
  /** For schemas: whether the data is big-endian. */
  readonly bigEndian: boolean;
}

/** Thrown on any structural problem; the caller turns it into a located `CODEC_MALFORMED`. */
export class FlatbufferError extends Error {}

const MAX_DEPTH = 64;
const UNION_TYPE = 14;
const TIMESTAMP_TYPE = 10;

class Reader {
  private readonly view: DataView;
  readonly size: number;
  /** Tables visited so far; a valid buffer has at most one table per 4 bytes. */
  private tables = 0;

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }

  private need(pos: number, bytes: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + bytes > this.size) {
      throw new FlatbufferError(`${what} at ${pos} lies outside the ${this.size}-byte metadata`);
    }
  }

  u8(pos: number): number {
    this.need(pos, 1, 'a byte');
    return this.view.getUint8(pos);
  }

  i16(pos: number): number {
    this.need(pos, 2, 'a short');
    return this.view.getInt16(pos, true);
  }

  u16(pos: number): number {
    this.need(pos, 2, 'a short');
    return this.view.getUint16(pos, true);
  }

  u32(pos: number): number {
    this.need(pos, 4, 'an int');
    return this.view.getUint32(pos, true);
  }

  i32(pos: number): number {
    this.need(pos, 4, 'an int');
    return this.view.getInt32(pos, true);
  }

  /** A signed 64-bit integer as a number; values beyond 2^53 become imprecise but stay huge. */
  i64(pos: number): number {
    this.need(pos, 8, 'a long');
    return this.view.getInt32(pos + 4, true) * 4294967296 + this.view.getUint32(pos, true);
  }

  /** The table whose root offset is at `pos`. */
  root(pos = 0): Table {
    return this.table(pos + this.u32(pos));
  }

  table(pos: number): Table {
    if (++this.tables > this.size / 4 + 1) {
      throw new FlatbufferError('the metadata refers to more tables than it can hold');
    }
    const vtable = pos - this.i32(pos);
    const vtableSize = this.u16(vtable);
    const tableSize = this.u16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0) {
      throw new FlatbufferError(`bad vtable size ${vtableSize}`);
    }
    this.need(vtable, vtableSize, 'a vtable');
    this.need(pos, Math.max(tableSize, 4), 'a table');
    return new Table(this, pos, vtable, vtableSize);
  }
}

class Table {
  constructor(
    readonly reader: Reader,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
  ) {}

  /** Position of field `index`, or 0 when absent. */
  field(index: number): number {
    const entry = 4 + index * 2;
    if (entry + 2 > this.vtableSize) {
      return 0;
    }
    const offset = this.reader.u16(this.vtable + entry);
    return offset === 0 ? 0 : this.pos + offset;
  }

  u8(index: number, fallback = 0): number {
    const pos = this.field(index);
    return pos === 0 ? fallback : this.reader.u8(pos);
  }

  i16(index: number, fallback = 0): number {
    const pos = this.field(index);
    return pos === 0 ? fallback : this.reader.i16(pos);
  }

  i64(index: number, fallback = 0): number {
    const pos = this.field(index);
    return pos === 0 ? fallback : this.reader.i64(pos);
  }

  /** The target of an offset field, or 0 when absent. */
  private target(index: number): number {
    const pos = this.field(index);
    if (pos === 0) {
      return 0;
    }
    return pos + this.reader.u32(pos);
  }

  table(index: number): Table | undefined {
    const target = this.target(index);
    return target === 0 ? undefined : this.reader.table(target);
  }

  /** A vector of `elementSize`-byte elements: its first element's position and its length. */
  vector(index: number, elementSize: number): { start: number; length: number } | undefined {
    const target = this.target(index);
    if (target === 0) {
      return undefined;
    }
    const length = this.reader.u32(target);
    if (target + 4 + length * elementSize > this.reader.size) {
      throw new FlatbufferError(`a vector of ${length} elements runs past the end of the metadata`);
    }
    return { start: target + 4, length };
  }

  string(index: number): void {
    this.vector(index, 1);
  }

  /** Each table of a vector of tables. */
  *tables(index: number): Generator<Table> {
    const vector = this.vector(index, 4);
    if (vector === undefined) {
      return;
    }
    for (let i = 0; i < vector.length; i++) {
      const pos = vector.start + i * 4;
      yield this.reader.table(pos + this.reader.u32(pos));
    }
  }
}

function verifyKeyValues(table: Table, index: number): void {
  for (const pair of table.tables(index)) {
    pair.string(0);
    pair.string(1);
  }
}

function verifyField(field: Table, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new FlatbufferError(`fields are nested more than ${MAX_DEPTH} deep`);
  }
  field.string(0);
  const typeType = field.u8(2);
  const type = field.table(3);
  if (type !== undefined) {
    if (typeType === TIMESTAMP_TYPE) {
      type.string(1);
    } else if (typeType === UNION_TYPE) {
      type.vector(1, 4);
    }
  }
  const dictionary = field.table(4);
  if (dictionary !== undefined) {
    dictionary.table(1);
  }
  for (const child of field.tables(5)) {
    verifyField(child, depth + 1);
  }
  verifyKeyValues(field, 6);
}

function verifySchema(schema: Table): boolean {
  for (const field of schema.tables(1)) {
    verifyField(field, 0);
  }
  verifyKeyValues(schema, 2);
  schema.vector(3, 8);
  return schema.i16(0) === 1;
}

function verifyBatch(batch: Table): BatchHeader {
  const length = batch.i64(0);
  const nodesVector = batch.vector(1, 16);
  const buffers = batch.vector(2, 16)?.length ?? 0;
  const compression = batch.table(3);
  // Each variadic buffer (of a view column) is one of the batch's buffers; apache-arrow makes an
  // array of the count, so a count beyond them must not reach it.
  const variadic = batch.vector(4, 8);
  let variadicTotal = 0;
  for (let i = 0; i < (variadic?.length ?? 0); i++) {
    const count = batch.reader.i64(variadic!.start + i * 8);
    variadicTotal += count;
    if (count < 0 || variadicTotal > buffers) {
      throw new FlatbufferError(
        `${count} variadic buffers, more than the batch's ${buffers} buffers`,
      );
    }
  }
  const nodes: { length: number; nullCount: number }[] = [];
  if (nodesVector !== undefined) {
    for (let i = 0; i < nodesVector.length; i++) {
      const pos = nodesVector.start + i * 16;
      nodes.push({ length: batch.reader.i64(pos), nullCount: batch.reader.i64(pos + 8) });
    }
  }
  return { length, nodes, compressed: compression !== undefined };
}

/**
 * Checks the metadata of one encapsulated IPC message and returns its header kind, body length
 * and, for batches, its row and node counts.
 * @throws FlatbufferError on any structural problem
 */
export function verifyMessage(metadata: Uint8Array): VerifiedMessage {
  const reader = new Reader(metadata);
  const message = reader.root();
  const headerType = message.u8(1);
  const header = message.table(2);
  const bodyLength = message.i64(3);
  verifyKeyValues(message, 4);
  let batch: BatchHeader | undefined;
  let bigEndian = false;
  if (header === undefined) {
    throw new FlatbufferError('the message has no header');
  }
  switch (headerType) {
    case HeaderType.Schema:
      bigEndian = verifySchema(header);
      break;
    case HeaderType.RecordBatch:
      batch = verifyBatch(header);
      break;
    case HeaderType.DictionaryBatch: {
      const data = header.table(1);
      if (data === undefined) {
        throw new FlatbufferError('the dictionary batch has no data');
      }
      batch = verifyBatch(data);
      break;
    }
    default:
      break;
  }
  return { headerType, bodyLength, batch, bigEndian };
}

/**
 * Checks the footer of an IPC file (File.fbs) before apache-arrow decodes its schema.
 * @returns whether the file has a schema and whether its data is big-endian
 * @throws FlatbufferError on any structural problem
 */
export function verifyFooter(footer: Uint8Array): { hasSchema: boolean; bigEndian: boolean } {
  const root = new Reader(footer).root();
  const schema = root.table(1);
  const bigEndian = schema === undefined ? false : verifySchema(schema);
  root.vector(2, 24);
  root.vector(3, 24);
  verifyKeyValues(root, 4);
  return { hasSchema: schema !== undefined, bigEndian };
}
