// Data the studio looks at before a job runs: an uploaded file in the data folder, pasted text, or
// a synthetic generator's records.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Format, FormatName, RecordBatch } from '@tfstream/codecs';
import { formatJsonRecord } from '@tfstream/codecs';
import { detectFileFormat, loadFormat, readFileChunks } from '@tfstream/codecs/node';
import type { Schema } from '@tfstream/schema';
import type { InferSchemaResponse, UploadResponse } from '@tfstream/studio-api';
import { badRequest } from '../http/errors.js';
import { parseSyntheticSample, syntheticSampleData } from './synthetic-sample.js';

/** Sample data: its format and a way to read its bytes from the start, as often as needed. */
export interface SampleData {
  readonly format: Format;
  readonly label: string;
  /** What the sample is, as `InferSchemaResponse.format` says: `synthetic`, or its file format. */
  readonly kind: InferSchemaResponse['format'];
  chunks(): AsyncIterable<Uint8Array>;
}

/**
 * A request's `path`, `text` and `format`, or `synthetic` (as `InferSchemaRequest` and
 * `CodecPreviewRequest` have).
 */
export interface SampleRequest {
  readonly path?: unknown;
  readonly text?: unknown;
  readonly format?: unknown;
  readonly synthetic?: unknown;
}

const FORMATS: readonly UploadResponse['format'][] = ['csv', 'jsonl', 'tfrecord', 'arrow'];

/**
 * A path inside the data folder (`uploads/…`, `examples/…`); absolute paths and `..` that lead
 * out of it are refused.
 */
export function dataPath(home: string, path: string): string {
  const resolved = resolve(home, path);
  const rel = relative(home, resolved);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw badRequest(
      `the path must lie inside the data folder (e.g. uploads/… or examples/…), got ${JSON.stringify(path)}`,
      'path',
    );
  }
  return resolved;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The sample a request names, or `undefined` when it names none. */
export async function sampleOf(
  home: string,
  request: SampleRequest,
): Promise<SampleData | undefined> {
  const { path, text, format, synthetic } = request;
  if (synthetic !== undefined) {
    return syntheticSampleData(parseSyntheticSample(synthetic, 'synthetic.'));
  }
  if (format !== undefined && !(FORMATS as readonly unknown[]).includes(format)) {
    throw badRequest(`format must be one of ${FORMATS.join(', ')}`, 'format');
  }
  const override = format as FormatName | undefined;
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') {
      throw badRequest('path must be a non-empty string', 'path');
    }
    const file = dataPath(home, path);
    const detected = await detectFileFormat(file, override);
    return {
      format: detected.format,
      label: path,
      kind: detected.format.name,
      chunks: () => readFileChunks(file, detected.gzip),
    };
  }
  if (text !== undefined) {
    if (typeof text !== 'string') {
      throw badRequest('text must be a string', 'text');
    }
    if (override !== 'csv' && override !== 'jsonl') {
      throw badRequest('pasted text needs "format": "csv" or "jsonl"', 'format');
    }
    const bytes = new TextEncoder().encode(text);
    return {
      format: await loadFormat(override),
      label: 'pasted text',
      kind: override,
      chunks: () => once(bytes),
    };
  }
  return undefined;
}

/** The first `limit` records of a sample, decoded by `schema`, in one batch (or none). */
export async function firstRecords(
  sample: SampleData,
  schema: Schema,
  limit: number,
): Promise<RecordBatch | undefined> {
  if (limit <= 0) {
    return undefined;
  }
  for await (const batch of sample.format.decode(sample.chunks(), {
    schema,
    batchSize: limit,
    source: sample.label,
  })) {
    return batch;
  }
  return undefined;
}

/** A record as plain JSON (int64 beyond 2^53 as strings, bytes as base64, `NaN` as a string). */
export function recordJson(batch: RecordBatch, row: number): Record<string, unknown> {
  return JSON.parse(formatJsonRecord(batch, row)) as Record<string, unknown>;
}
