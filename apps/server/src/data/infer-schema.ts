// `POST /api/schema/infer` and `POST /api/synthetic/sample`: a schema from sample data, with the
// evidence for every field.
import { inferSchema, schemaToJson } from '@tfstream/schema';
import type {
  InferSchemaRequest,
  InferSchemaResponse,
  SyntheticSampleRequest,
} from '@tfstream/studio-api';
import { badRequest } from '../http/errors.js';
import type { SampleData } from './sample-data.js';
import { firstRecords, recordJson, sampleOf } from './sample-data.js';
import { parseSyntheticSample, syntheticSampleData } from './synthetic-sample.js';

const PREVIEW_RECORDS = 20;

function limitOf(request: { readonly limit?: unknown }): number {
  const limit = request.limit ?? 1000;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw badRequest('limit must be a whole number from 1 to 100000', 'limit');
  }
  return limit;
}

/** Infers the schema of the uploaded file or pasted text a request names. */
export async function inferSchemaOf(
  home: string,
  request: InferSchemaRequest,
): Promise<InferSchemaResponse> {
  const limit = limitOf(request);
  const sample = await sampleOf(home, request);
  if (sample === undefined) {
    throw badRequest('give the "path" of an uploaded file, or "text" with its "format"');
  }
  return inferFromSample(sample, limit);
}

/** A generator's first records and the schema inferred from them. */
export async function inferSyntheticSample(
  request: SyntheticSampleRequest,
): Promise<InferSchemaResponse> {
  const limit = limitOf(request);
  return inferFromSample(await syntheticSampleData(parseSyntheticSample(request)), limit);
}

async function inferFromSample(sample: SampleData, limit: number): Promise<InferSchemaResponse> {
  const inferred = await inferSchema(
    sample.format.sample(sample.chunks(), { limit, source: sample.label }),
    { limit, source: sample.label },
  );
  const json = schemaToJson(inferred.schema);
  const preview = await firstRecords(sample, inferred.schema, PREVIEW_RECORDS);
  return {
    schema: json,
    fields: inferred.fields.map((field, i) => ({
      name: field.name,
      field: json.fields[i]!,
      confidence: field.confidence,
      count: field.count,
      nulls: field.nullCount,
      conflicts: field.conflicts.map((conflict) => ({
        record: conflict.record,
        value: conflict.value,
        as: conflict.to,
      })),
      examples: [...(field.examples ?? [])],
    })),
    records: inferred.records,
    format: sample.kind,
    preview:
      preview === undefined
        ? []
        : Array.from({ length: preview.numRows }, (_, row) => recordJson(preview, row)),
  };
}
