// The record channels between the coordinator's feed and a worker's RemoteBinding: which `data`
// messages carry input batches, outputs, acknowledgements and summaries, what their `meta` holds,
// and how a batch's keys travel. A batch itself travels as the frame body (see record-body.ts).
import type { Schema, SchemaJson } from '@tfstream/schema';
import { TfstreamError, parseSchema } from '@tfstream/schema';
import type { JsonValue } from './messages.js';

/**
 * The `data` channels of the record flow. `input`: coordinator → worker batches (and the
 * worker's `open` with its credit grant, and `credit` messages); `output`: worker → coordinator
 * output batches; `ack`: worker → coordinator, input batches a train job consumed; `summary`:
 * worker → coordinator tensor summaries.
 */
export const RECORD_CHANNEL = {
  input: 'input',
  output: 'output',
  ack: 'ack',
  summary: 'summary',
} as const;

/** A record key as it crosses the wire: numbers and strings as they are, 64-bit integers as text. */
export type WireKey = number | string | { readonly big: string };

/** A record key: the job's key field, or the record's position in the input. */
export type RecordKey = string | number | bigint;

/**
 * The keys of a batch's rows: records keyed by their position are `{ first, count }` (positions
 * `first`, `first + 1`, …), records keyed by a field have one key per row.
 */
export type BatchKeys = { readonly first: number; readonly count: number } | readonly RecordKey[];

/** {@link BatchKeys} on the wire: `{ first }` for positions (the rows say how many), else a list. */
export type WireKeys = { readonly first: number } | readonly WireKey[];

/**
 * Coordinator → worker, `input` channel: a batch of records (record body) of a pass, or several
 * consecutive ones in one body (`parts`: each one's `seq` and rows, in order; the message's own
 * `seq` is the first's). Each part is a batch of its own for credit, outputs and acknowledgements.
 */
export interface InputBatchMeta {
  readonly op: 'batch';
  readonly epoch: number;
  /** The keys of every row of the body. */
  readonly keys: WireKeys;
  readonly parts?: readonly (readonly [seq: number, rows: number])[];
}

/** Coordinator → worker, `input` channel: the pass `epoch` has no more records. */
export interface InputEndMeta {
  readonly op: 'end';
  readonly epoch: number;
}

/** Worker → coordinator, `input` channel, with a credit grant: the worker reads pass `epoch`. */
export interface InputOpenMeta {
  readonly op: 'open';
  readonly epoch: number;
}

/**
 * Worker → coordinator, `output` channel (record body). The rows answer either the rows of one
 * input batch, in order (`answers`: what `writer.write(out, { keys: batch.keys })` does), so the
 * coordinator knows their keys without a list, or the records of `keys`, one per row.
 */
export interface OutputMeta {
  readonly answers?: { readonly batch: number; readonly offset: number };
  readonly keys?: readonly WireKey[];
  /** The output schema, when the job gave none (an inferred one). */
  readonly schema?: SchemaJson;
}

/** Worker → coordinator, `ack` channel: the input batches (by `seq`) a train job consumed. */
export interface AckMeta {
  readonly batches: readonly number[];
}

/** A key in its wire form. */
export function toWireKey(key: RecordKey): WireKey {
  return typeof key === 'bigint' ? { big: key.toString() } : key;
}

/** A key from its wire form. */
export function fromWireKey(key: WireKey): RecordKey {
  return typeof key === 'object' ? BigInt(key.big) : key;
}

/** A string that identifies a key: equal keys give equal strings whatever their type. */
export function keyId(key: RecordKey | WireKey): string {
  if (typeof key === 'object') {
    return `i${key.big}`;
  }
  if (typeof key === 'bigint') {
    return `i${key.toString()}`;
  }
  if (typeof key === 'number') {
    return Number.isSafeInteger(key) ? `i${key}` : `n${key}`;
  }
  return `s${key}`;
}

/** `meta` of a record-channel message, checked to be an object. */
export function recordMeta<T>(meta: JsonValue | undefined, channel: string): T {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new TfstreamError('PROTOCOL_ERROR', `a "${channel}" data message needs an object meta`);
  }
  return meta as T;
}

/** The schema of an output message's meta, if it carries one. */
export function metaSchema(meta: OutputMeta): Schema | undefined {
  return meta.schema === undefined ? undefined : parseSchema(meta.schema, 'output message');
}

/** How many rows `keys` key. */
export function keyCount(keys: BatchKeys): number {
  return isKeyList(keys) ? keys.length : keys.count;
}

/** Whether the keys are a list (one per row) rather than a run of positions. */
export function isKeyList(keys: BatchKeys): keys is readonly RecordKey[] {
  return Array.isArray(keys);
}

/** The key of row `row`. */
export function keyAt(keys: BatchKeys, row: number): RecordKey {
  return isKeyList(keys) ? keys[row]! : keys.first + row;
}

/** The keys of rows [start, end). */
export function sliceKeys(keys: BatchKeys, start: number, end: number): BatchKeys {
  if (isKeyList(keys)) {
    return start === 0 && end === keys.length ? keys : keys.slice(start, end);
  }
  return { first: keys.first + start, count: end - start };
}

/** The keys as a list, one per row. */
export function keyList(keys: BatchKeys): readonly RecordKey[] {
  if (isKeyList(keys)) {
    return keys;
  }
  const out = new Array<RecordKey>(keys.count);
  for (let row = 0; row < keys.count; row++) {
    out[row] = keys.first + row;
  }
  return out;
}

/** Keys in their wire form. */
export function toWireKeys(keys: BatchKeys): WireKeys {
  return isKeyList(keys) ? keys.map(toWireKey) : { first: keys.first };
}

/**
 * Keys from their wire form, for a batch of `rows` rows.
 *
 * @throws `PROTOCOL_ERROR` when a list does not have one key per row.
 */
export function fromWireKeys(keys: WireKeys, rows: number, source: string): BatchKeys {
  if (Array.isArray(keys)) {
    if (keys.length !== rows) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `${source}: ${keys.length} keys for ${rows} rows; a batch needs one key per row`,
      );
    }
    return (keys as readonly WireKey[]).map(fromWireKey);
  }
  const first = (keys as { first: unknown }).first;
  if (typeof first !== 'number' || !Number.isSafeInteger(first)) {
    throw new TfstreamError('PROTOCOL_ERROR', `${source}: keys need a whole "first" position`);
  }
  return { first, count: rows };
}
