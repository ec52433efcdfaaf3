import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CodecPreviewResponse,
  CompileResponse,
  HealthResponse,
  InferSchemaResponse,
  TypingsResponse,
  UploadResponse,
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
