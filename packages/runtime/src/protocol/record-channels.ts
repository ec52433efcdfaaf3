// The record channels between the coordinator's feed and a worker's RemoteBinding: which `data`
// messages carry input batches, outputs, acknowledgements and summaries, what their `meta` holds,
// and how a batch travels as a frame body (one self-contained Arrow IPC stream, Arrow columnar
// format "IPC Streaming Format": schema message, one record batch message, end-of-stream marker).
import type { RecordBatch } from '@tfstream/codecs';
import { arrowFormat } from '@tfstream/codecs/arrow';
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

/** Coordinator → worker, `input` channel: one batch of records (Arrow body) of a pass. */
export interface InputBatchMeta {
  readonly op: 'batch';
  readonly epoch: number;
  /** One per row. */
  readonly keys: readonly WireKey[];
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

/** Worker → coordinator, `output` channel (Arrow body). */
export interface OutputMeta {
  /** The input keys the rows answer, one per row. */
  readonly keys: readonly WireKey[];
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

/** Encodes a batch as one self-contained Arrow IPC stream (a frame body). */
export function encodeRecordBody(batch: RecordBatch): Uint8Array {
  const encoder = arrowFormat.createEncoder(batch.schema);
  const parts = [encoder.start(), encoder.encode(batch), encoder.end()];
  const body = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return body;
}

/**
 * Decodes a frame body written by {@link encodeRecordBody} with `schema`; an empty stream gives
 * an empty batch.
 *
 * @throws `PROTOCOL_ERROR` when the body is missing; codec errors when it is not Arrow IPC.
 */
export async function decodeRecordBody(
  body: Uint8Array | undefined,
  schema: Schema,
  source: string,
): Promise<RecordBatch[]> {
  if (body === undefined) {
    throw new TfstreamError('PROTOCOL_ERROR', `${source}: a record batch message has no body`);
  }
  const batches: RecordBatch[] = [];
  const chunks = (async function* () {
    yield body;
  })();
  for await (const batch of arrowFormat.decode(chunks, {
    schema,
    source,
    batchSize: Number.MAX_SAFE_INTEGER,
  })) {
    batches.push(batch);
  }
  return batches;
}

/** The schema of an output message's meta, if it carries one. */
export function metaSchema(meta: OutputMeta): Schema | undefined {
  return meta.schema === undefined ? undefined : parseSchema(meta.schema, 'output message');
}
