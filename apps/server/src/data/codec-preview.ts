// `POST /api/codec/preview`: what each codec makes of a schema (per field: lossless, lossy or
// rejected) and of the first records (their bytes, and whether they decode back the same).
import type { BatchEncoder, Format, RecordBatch, RecordCodec } from '@tfstream/codecs';
import {
  RecordBatchBuilder,
  csvFormat,
  exampleCodec,
  formatJsonValue,
  jsonCodec,
  rawCodec,
  toJsonValue,
} from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import { isTfstreamError, parseSchema, schemaToJson } from '@tfstream/schema';
import type { CodecName, CodecPreviewRequest, CodecPreviewResponse } from '@tfstream/studio-api';
import { badRequest } from '../http/errors.js';
import { firstRecords, sampleOf } from './sample-data.js';

type Codec =
  | { readonly name: CodecName; readonly kind: 'record'; readonly codec: RecordCodec }
  | { readonly name: CodecName; readonly kind: 'format'; readonly format: Format };

/** Hex of at most this many bytes per record. */
const HEX_BYTES = 2048;

async function codecs(): Promise<Codec[]> {
  const { arrowFormat } = await import('@tfstream/codecs/arrow');
  return [
    { name: 'example', kind: 'record', codec: exampleCodec },
    { name: 'json', kind: 'record', codec: jsonCodec },
    { name: 'csv', kind: 'format', format: csvFormat },
    { name: 'arrow', kind: 'format', format: arrowFormat },
    { name: 'raw', kind: 'record', codec: rawCodec },
  ];
}

function check(codec: Codec, schema: Schema): string | undefined {
  try {
    if (codec.kind === 'record') {
      codec.codec.checkSchema(schema);
    } else {
      codec.format.checkSchema(schema);
    }
    return undefined;
  } catch (error) {
    if (isTfstreamError(error)) {
      return error.message;
    }
    throw error;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Row `row` of `batch` as a batch of its own. */
function oneRow(batch: RecordBatch, row: number): RecordBatch {
  const builder = new RecordBatchBuilder(batch.schema, 1);
  builder.appendRow(batch.row(row).toObject());
  return builder.finish();
}

/** The record's bytes by `codec` (for formats: the record's part of the stream) and it decoded back. */
async function roundTrip(
  codec: Codec,
  record: RecordBatch,
): Promise<{ bytes: Uint8Array; decoded: RecordBatch | undefined }> {
  if (codec.kind === 'record') {
    const bytes = codec.codec.encodeRecord(record, 0);
    const builder = new RecordBatchBuilder(record.schema, 1);
    builder.beginRecord();
    codec.codec.decodeRecord(bytes, builder);
    builder.commitRecord();
    return { bytes: bytes.slice(), decoded: builder.finish() };
  }
  const encoder: BatchEncoder = codec.format.createEncoder(record.schema);
  const head = encoder.start();
  const bytes = encoder.encode(record);
  const tail = encoder.end();
  let decoded: RecordBatch | undefined;
  for await (const batch of codec.format.decode(once(concat([head, bytes, tail])), {
    schema: record.schema,
  })) {
    decoded = batch;
    break;
  }
  return { bytes, decoded };
}

function jsonRow(batch: RecordBatch, row: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = batch.row(row).toObject();
  for (const field of batch.schema.fields) {
    out[field.name] = toJsonValue(field, values[field.name] ?? null);
  }
  return out;
}

/** Previews every codec on the request's schema and first records. */
export async function codecPreview(
  home: string,
  request: CodecPreviewRequest,
): Promise<CodecPreviewResponse> {
  let schema: Schema;
  try {
    schema = parseSchema(request.schema);
  } catch (error) {
    throw badRequest(error instanceof Error ? error.message : String(error), 'schema');
  }
  const limit = request.limit ?? 5;
  if (!Number.isInteger(limit) || limit < 0 || limit > 50) {
    throw badRequest('limit must be a whole number from 0 to 50', 'limit');
  }
  const all = await codecs();
  const matrix: Map<string, CodecPreviewResponse['matrix'][number]> = new Map();
  const accepted: Codec[] = [];
  const fieldsJson = schemaToJson(schema).fields;
  for (const codec of all) {
    const whole = check(codec, schema);
    if (whole === undefined) {
      accepted.push(codec);
    }
    fieldsJson.forEach((fieldJson, i) => {
      const alone = check(codec, parseSchema({ version: 1, fields: [fieldJson] }));
      const field = schema.fields[i]!.name;
      const reason = alone ?? whole;
      matrix.set(`${codec.name}\0${field}`, {
        codec: codec.name,
        field,
        status: reason === undefined ? 'lossless' : 'rejected',
        ...(reason === undefined ? {} : { reason }),
      });
    });
  }
  const sample = await sampleOf(home, request);
  const batch = sample === undefined ? undefined : await firstRecords(sample, schema, limit);
  const records: CodecPreviewResponse['records'][number][] = [];
  for (let row = 0; row < (batch?.numRows ?? 0); row++) {
    const record = oneRow(batch!, row);
    const original = jsonRow(record, 0);
    for (const codec of accepted) {
      const { bytes, decoded } = await roundTrip(codec, record);
      const back = decoded === undefined || decoded.numRows === 0 ? {} : jsonRow(decoded, 0);
      const differing = schema.fields.filter(
        (field) =>
          formatJsonValue((original[field.name] ?? null) as never) !==
          formatJsonValue((back[field.name] ?? null) as never),
      );
      for (const field of differing) {
        const key = `${codec.name}\0${field.name}`;
        matrix.set(key, {
          codec: codec.name,
          field: field.name,
          status: 'lossy',
          reason: `record ${row + 1}: ${formatJsonValue(original[field.name] as never)} came back as ${formatJsonValue((back[field.name] ?? null) as never)}`,
        });
      }
      const hex = Buffer.from(bytes.subarray(0, HEX_BYTES)).toString('hex');
      records.push({
        codec: codec.name,
        index: row,
        hex: bytes.length > HEX_BYTES ? `${hex}…` : hex,
        bytes: bytes.length,
        decoded: back,
        roundTrip: differing.length === 0,
        ...(differing.length === 0
          ? {}
          : {
              mismatch: `fields ${differing.map((field) => `"${field.name}"`).join(', ')} differ`,
            }),
      });
    }
  }
  return { matrix: [...matrix.values()], records };
}
