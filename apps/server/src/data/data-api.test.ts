import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJsonRecord } from '@tfstream/codecs';
import { syntheticRecords, syntheticSchema } from '@tfstream/runtime';
import { schemaToJson } from '@tfstream/schema';
import type {
  ApiError,
  CodecPreviewResponse,
  CompileResponse,
  HealthResponse,
  InferSchemaResponse,
  Template,
  TypingsResponse,
  UploadResponse,
  ValidateJobResponse,
} from '@tfstream/studio-api';
import { REPO_ROOT } from '../config.js';
import type { StudioServer } from '../server.js';
import { call, ok, startTestServer, tempHome } from '../test-support/studio.js';

const { home, remove } = tempHome();
let server: StudioServer;

beforeAll(async () => {
  server = await startTestServer({ home, maxUploadBytes: 64 * 1024 });
});

afterAll(async () => {
  await server?.close();
  remove();
});

describe('health', () => {
  it('reports the API version, backend and cores', async () => {
    const health = await ok<HealthResponse>(server, 'GET', '/api/health');
    expect(health).toMatchObject({ ok: true, apiVersion: 1 });
    expect(['wasm', 'tensorflow']).toContain(health.backend);
  });
});

describe('schema inference', () => {
  it('infers the schema of the penguin CSV, uploaded, with evidence per field and a preview', async () => {
    const csv = readFileSync(`${REPO_ROOT}/examples/penguin-data/penguins_processed.csv`);
    const { body: upload } = await call<UploadResponse>(server, 'POST', '/api/uploads', {
      body: csv,
      headers: {
        'Content-Type': 'application/octet-stream',
        'X-Filename': 'penguins%20processed.csv',
      },
    });
    expect(upload).toMatchObject({ format: 'csv', bytes: csv.length });
    expect(upload.path).toMatch(/^uploads\/[\w-]+-penguins_processed\.csv$/);

    const inferred = await ok<InferSchemaResponse>(server, 'POST', '/api/schema/infer', {
      path: upload.path,
    });
    expect(inferred.format).toBe('csv');
    expect(inferred.records).toBeGreaterThan(300);
    expect(inferred.schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['species', 'int32'],
      ['culmen_length_mm', 'float64'],
      ['culmen_depth_mm', 'float64'],
      ['flipper_length_mm', 'float64'],
      ['body_mass_g', 'float64'],
    ]);
    expect(inferred.fields[0]).toMatchObject({ name: 'species', confidence: 1, nulls: 0 });
    expect(inferred.preview).toHaveLength(20);
    expect(inferred.preview[0]).toHaveProperty('species');
  });

  it('infers from pasted text, and names the record of a conflicting value', async () => {
    const inferred = await ok<InferSchemaResponse>(server, 'POST', '/api/schema/infer', {
      text: 'n,s\n1,a\n2,b\nx,c\n',
      format: 'csv',
    });
    expect(inferred.fields[0]).toMatchObject({ name: 'n', field: { type: 'string' } });
    expect(inferred.fields[0]!.conflicts[0]).toMatchObject({
      record: 3,
      value: '"x"',
      as: 'string',
    });
  });

  it('refuses paths outside the data folder', async () => {
    const answer = await call(server, 'POST', '/api/schema/infer', {
      body: { path: '../../etc/passwd' },
    });
    expect(answer.status).toBe(400);
  });
});

/** The first `count` records of a generator as the runtime makes them, as JSON. */
async function generated(seed: number, count: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of syntheticRecords('sensors', { seed, count })) {
    for (let row = 0; row < batch.numRows; row++) {
      rows.push(JSON.parse(formatJsonRecord(batch, row)) as Record<string, unknown>);
    }
  }
  return rows;
}

describe('synthetic samples', () => {
  it("answers a generator's first records, as a run with the seed gets them, and their schema", async () => {
    const sample = await ok<InferSchemaResponse>(server, 'POST', '/api/synthetic/sample', {
      generator: 'sensors',
      seed: 7,
    });
    expect(sample.format).toBe('synthetic');
    expect(sample.records).toBe(1000);
    // The generator's own types (int64, float32), not what JSON values would suggest.
    expect(sample.schema).toEqual(schemaToJson(syntheticSchema('sensors')));
    expect(sample.fields.map((f) => [f.name, f.field.type, f.count, f.nulls])).toEqual([
      ['id', 'int64', 1000, 0],
      ['temperature', 'float32', 1000, 0],
      ['humidity', 'float32', 1000, 0],
      ['vibration', 'float32', 1000, 0],
      ['label', 'int32', 1000, 0],
    ]);
    expect(sample.fields.every((f) => f.confidence === 1 && f.examples.length > 0)).toBe(true);
    expect(sample.preview).toEqual(await generated(7, 20));

    const other = await ok<InferSchemaResponse>(server, 'POST', '/api/synthetic/sample', {
      generator: 'sensors',
      seed: 8,
      limit: 50,
    });
    expect(other.records).toBe(50);
    expect(other.preview).toEqual(await generated(8, 20));
    expect(other.preview).not.toEqual(sample.preview);
  });

  it("holds no more records than the source's count", async () => {
    const sample = await ok<InferSchemaResponse>(server, 'POST', '/api/synthetic/sample', {
      generator: 'sensors',
      count: 5,
    });
    expect(sample.records).toBe(5);
    expect(sample.preview).toEqual(await generated(0, 5));
  });

  it('answers 400 naming the generator or seed that is wrong', async () => {
    const unknown = await call<ApiError>(server, 'POST', '/api/synthetic/sample', {
      body: { generator: 'clicks' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'unknown generator "clicks"; use one of sensors',
      location: 'generator',
    });
    const seed = await call<ApiError>(server, 'POST', '/api/synthetic/sample', {
      body: { generator: 'sensors', seed: -1 },
    });
    expect(seed.status).toBe(400);
    expect(seed.body.error.location).toBe('seed');
  });

  it('gives a schema the online-sensors template validates with, inline', async () => {
    const template = await ok<Template>(server, 'GET', '/api/templates/online-sensors');
    expect(template.job.input).toMatchObject({
      source: { kind: 'synthetic', generator: 'sensors', seed: 7 },
      schema: 'infer',
    });
    const sample = await ok<InferSchemaResponse>(server, 'POST', '/api/synthetic/sample', {
      generator: 'sensors',
      seed: 7,
    });
    const job = { ...template.job, input: { ...template.job.input, schema: sample.schema } };
    const validation = await ok<ValidateJobResponse>(server, 'POST', '/api/jobs/validate', job);
    expect(validation).toEqual({ ok: true, problems: [] });
  });

  it("refuses a synthetic source's schema that is not its generator's (a run does not convert)", async () => {
    const template = await ok<Template>(server, 'GET', '/api/templates/online-sensors');
    const schema = schemaToJson(syntheticSchema('sensors'));
    const job = {
      ...template.job,
      input: {
        ...template.job.input,
        schema: {
          ...schema,
          fields: schema.fields.map((f) => (f.name === 'humidity' ? { ...f, type: 'float64' } : f)),
        },
      },
    };
    const message =
      'the "sensors" generator makes {"name":"humidity","type":"float32"} here, not {"name":"humidity","type":"float64"}, and a run does not convert its records: give the generator\'s schema (fields id int64, temperature float32, humidity float32, vibration float32, label int32) or "infer"';
    const validation = await ok<ValidateJobResponse>(server, 'POST', '/api/jobs/validate', job);
    expect(validation).toEqual({
      ok: false,
      problems: [{ path: 'input.schema.fields[2]', message }],
    });
    const created = await call<ApiError>(server, 'POST', '/api/jobs', { body: { job } });
    expect(created.status).toBe(400);
    expect(created.body.error).toEqual({
      code: 'JOB_INVALID',
      message: `input.schema.fields[2]: ${message}`,
      location: 'job.input.schema.fields[2]',
    });
  });

  it('is sample data for the codec preview too', async () => {
    const preview = await ok<CodecPreviewResponse>(server, 'POST', '/api/codec/preview', {
      schema: schemaToJson(syntheticSchema('sensors')),
      synthetic: { generator: 'sensors', seed: 7 },
      limit: 3,
    });
    const example = preview.records.filter((r) => r.codec === 'example');
    expect(example.map((r) => r.decoded)).toEqual(await generated(7, 3));
    expect(preview.records.every((r) => r.roundTrip)).toBe(true);
    const unknown = await call<ApiError>(server, 'POST', '/api/codec/preview', {
      body: {
        schema: schemaToJson(syntheticSchema('sensors')),
        synthetic: { generator: 'nope' },
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.location).toBe('synthetic.generator');
  });
});

describe('codec preview', () => {
  it('shows each codec per field and round-trips the first records (int16 and UTF-8 text)', async () => {
    const preview = await ok<CodecPreviewResponse>(server, 'POST', '/api/codec/preview', {
      schema: {
        version: 1,
        fields: [
          { name: 'count', type: 'int16' },
          { name: 'word', type: 'string' },
        ],
      },
      text: '{"count":-300,"word":"grüße 🐧"}\n{"count":32767,"word":""}\n',
      format: 'jsonl',
    });
    const cell = (codec: string, field: string) =>
      preview.matrix.find((m) => m.codec === codec && m.field === field);
    for (const codec of ['example', 'json', 'csv', 'arrow']) {
      expect(cell(codec, 'count')?.status).toBe('lossless');
      expect(cell(codec, 'word')?.status).toBe('lossless');
    }
    expect(cell('raw', 'count')).toMatchObject({ status: 'rejected' });
    expect(cell('raw', 'count')?.reason).toMatch(/^CODEC_UNSUPPORTED_TYPE/);

    const example = preview.records.filter((r) => r.codec === 'example');
    expect(example).toHaveLength(2);
    expect(example[0]).toMatchObject({
      roundTrip: true,
      decoded: { count: -300, word: 'grüße 🐧' },
    });
    // tf.Example carries int16 in an int64_list: the value's varint is in the bytes.
    expect(example[0]!.bytes).toBe(example[0]!.hex.length / 2);
    expect(Buffer.from(example[0]!.hex, 'hex').toString('utf8')).toContain('grüße 🐧');
    expect(preview.records.filter((r) => r.codec === 'raw')).toHaveLength(0);
    expect(preview.records.every((r) => r.roundTrip)).toBe(true);
    expect(preview.records.map((r) => r.codec)).toEqual([
      'example',
      'json',
      'csv',
      'arrow',
      'example',
      'json',
      'csv',
      'arrow',
    ]);
  });
});

describe('compile', () => {
  it('answers diagnostics at the line and column of the user source', async () => {
    const answer = await ok<CompileResponse>(server, 'POST', '/api/compile', {
      source: "import * as tf from '@tensorflow/tfjs';\nconst x = tf.scalar(1);\nconst y = ;\n",
    });
    expect(answer.ok).toBe(false);
    expect(answer.diagnostics[0]).toMatchObject({ severity: 'error', line: 3, column: 11 });
    const fine = await ok<CompileResponse>(server, 'POST', '/api/compile', {
      source: 'export default 1;\n',
    });
    expect(fine).toMatchObject({ ok: true, diagnostics: [] });
  });
});

describe('typings', () => {
  it('serves the .d.ts of the SDK and tfjs, gzipped, cached with an ETag', async () => {
    const first = await call(server, 'GET', '/api/typings', {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    const etag = first.headers.etag as string;
    const again = await call(server, 'GET', '/api/typings', {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
    const plain = await call<TypingsResponse>(server, 'GET', '/api/typings');
    const paths = new Set(plain.body.files.map((f) => f.path));
    for (const path of [
      'file:///node_modules/@tfstream/sdk/package.json',
      'file:///node_modules/@tfstream/sdk/dist/index.d.ts',
      'file:///node_modules/@tensorflow/tfjs/dist/index.d.ts',
      'file:///node_modules/@tensorflow/tfjs-core/dist/index.d.ts',
      'file:///node_modules/@tensorflow/tfjs-layers/dist/index.d.ts',
    ]) {
      expect(paths.has(path), path).toBe(true);
    }
  });
});

describe('uploads', () => {
  it('answers 413 to an upload over the limit and keeps nothing of it', async () => {
    const answer = await call(server, 'POST', '/api/uploads', {
      body: Buffer.alloc(65 * 1024, 0x61),
      headers: { 'Content-Type': 'application/octet-stream', 'X-Filename': 'big.csv' },
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});
