import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTfstreamError } from '@tfstream/schema';
import type { Job } from './job-document.js';
import { jobToJson, loadJob, parseJob } from './job-document.js';
import {
  FIXTURES_DIR,
  FIXTURE_NAMES,
  INVALID_JOBS,
  VALID_JOBS,
  change,
  minimalJob,
} from './test-support/job-examples.js';

const scratch = mkdtempSync(join(tmpdir(), 'tfstream-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fixture(name: (typeof FIXTURE_NAMES)[number]): Job {
  return loadJob(join(FIXTURES_DIR, name, 'job.json'));
}

describe('parseJob', () => {
  it('fills every default of the minimal job', () => {
    const job = parseJob(minimalJob(), 'job.json', { dir: scratch });
    expect(job).toEqual({
      version: 1,
      name: 'minimal',
      mode: 'train',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', count: 100, seed: 0 },
        schema: {
          kind: 'inline',
          schema: {
            version: 1,
            fields: [{ name: 'x', type: 'float32', shape: 'scalar', nullable: false }],
          },
        },
      },
      transfer: { mode: 'micro-batch', batchSize: 32, lingerMs: 100 },
      cluster: { workers: 1, parameterServers: 0, training: 'sync' },
      hyperparameters: {},
      training: { epochs: 1 },
      model: {
        language: 'typescript',
        source: 'export const answer: number = 42;\n',
        fileName: 'model.ts',
      },
      dir: scratch,
    });
  });

  it('fills the defaults of each transfer mode, sink and codec', () => {
    const doc = {
      ...change(minimalJob(), 'input', {
        source: { kind: 'push' },
        schema: { fields: [{ name: 'x', type: 'float32' }] },
      }),
      output: {
        schema: { fields: [{ name: 'y', type: 'float32' }] },
        sink: { kind: 'file', path: 'out/y.tfrecord.gz' },
      },
    };
    const job = parseJob(doc, 'job.json', { dir: scratch });
    expect(job.input.codec).toBe('json');
    expect(job.output?.codec).toBe('example');
    expect(job.output?.sink).toEqual({
      kind: 'file',
      file: { path: 'out/y.tfrecord.gz', resolved: join(scratch, 'out/y.tfrecord.gz') },
      format: 'tfrecord',
    });
    const stdout = change(doc, 'output.sink', { kind: 'stdout' });
    expect(parseJob(stdout, 'job.json', { dir: scratch }).output).toMatchObject({
      sink: { kind: 'stdout', format: 'jsonl' },
    });
    const memory = change(doc, 'output.sink', { kind: 'memory' });
    expect(parseJob(memory, 'job.json', { dir: scratch }).output).toEqual({
      schema: expect.objectContaining({ kind: 'inline' }) as unknown,
      sink: { kind: 'memory', tail: 1000 },
    });
    const batch = change(minimalJob(), 'transfer', { mode: 'batch' });
    expect(parseJob(batch, 'job.json').transfer).toEqual({ mode: 'batch', batchSize: 32 });
    const stream = change(minimalJob(), 'transfer', { mode: 'stream' });
    expect(parseJob(stream, 'job.json').transfer).toEqual({ mode: 'stream' });
  });

  it('reads the penguin train fixture: CSV file input, schema file, model file, 2 workers + 1 ps', () => {
    const job = fixture('penguin-train');
    const dir = join(FIXTURES_DIR, 'penguin-train');
    expect(job.mode).toBe('train');
    expect(job.dir).toBe(dir);
    expect(job.input.source).toEqual({
      kind: 'file',
      file: {
        path: 'data/penguins_processed.csv',
        resolved: join(dir, 'data/penguins_processed.csv'),
      },
      format: 'csv',
    });
    expect(job.input.schema).toMatchObject({
      kind: 'file',
      file: { path: 'schema.json', resolved: join(dir, 'schema.json') },
    });
    expect(job.input.schema.kind === 'file' && job.input.schema.schema.fields.length).toBe(5);
    expect(job.input.codec).toBeUndefined();
    expect(job.cluster).toEqual({ workers: 2, parameterServers: 1, training: 'sync' });
    expect(job.transfer).toEqual({ mode: 'batch', batchSize: 20 });
    expect(job.mode === 'train' && job.training).toEqual({
      epochs: 10,
      checkpoint: { everySteps: 100, everySeconds: 60 },
    });
    expect(job.model.fileName).toBe('model.ts');
    expect(job.model.file).toEqual({ path: 'model.ts', resolved: join(dir, 'model.ts') });
    expect(job.model.source).toContain('export function createModel');
  });

  it('reads the penguin inference fixture: a TFX schema.pbtxt, a key field, TFRecord output', () => {
    const job = fixture('penguin-inference');
    const dir = join(FIXTURES_DIR, 'penguin-inference');
    if (job.mode !== 'inference') {
      throw new Error(`expected an inference job, got ${job.mode}`);
    }
    expect(job.inference.modelPath).toEqual({
      path: '../penguin-train/models/latest',
      resolved: join(FIXTURES_DIR, 'penguin-train/models/latest'),
    });
    expect(job.input.key).toBe('id');
    expect(job.input.schema.kind === 'file' && job.input.schema.schema.fields[0]).toMatchObject({
      name: 'id',
      type: 'int64',
    });
    expect(job.output.sink).toEqual({
      kind: 'file',
      file: {
        path: 'out/predictions.tfrecord.gz',
        resolved: join(dir, 'out/predictions.tfrecord.gz'),
      },
      format: 'tfrecord',
    });
    expect(job.output.codec).toBe('example');
    expect(job.cluster).toEqual({ workers: 2, parameterServers: 0, training: 'sync' });
    expect(job.model).toMatchObject({ fileName: 'model.ts' });
    expect(job.model.file).toBeUndefined();
  });

  it('reads the online sensors fixture: a synthetic source, async training, a memory sink', () => {
    const job = fixture('online-sensors');
    expect(job.mode).toBe('online');
    expect(job.input.source).toEqual({
      kind: 'synthetic',
      generator: 'sensors',
      rate: 500,
      seed: 7,
    });
    expect(job.cluster).toEqual({ workers: 2, parameterServers: 1, training: 'async' });
    expect(job.output).toEqual({ schema: { kind: 'infer' }, sink: { kind: 'memory', tail: 500 } });
    expect(job.mode === 'online' && job.training).toEqual({
      epochs: 1,
      checkpoint: { everySeconds: 30 },
    });
    expect(job.model.fileName).toBe('model/anomaly.ts');
    expect(job.hyperparameters).toEqual({
      learningRate: 0.001,
      window: 32,
      normalize: true,
      optimizer: 'adam',
    });
  });

  it('reads an eval split: a file resolved like the input, the input schema by default', () => {
    const doc = change(minimalJob(), 'training', {
      epochs: 4,
      eval: { source: { kind: 'file', path: 'data/eval.tfrecord.gz' }, everyEpochs: 2 },
    });
    const job = parseJob(doc, join(scratch, 'job.json'));
    expect(job.mode === 'train' && job.training).toEqual({
      epochs: 4,
      eval: {
        source: {
          kind: 'file',
          file: { path: 'data/eval.tfrecord.gz', resolved: join(scratch, 'data/eval.tfrecord.gz') },
          format: 'tfrecord',
        },
        everyEpochs: 2,
      },
    });
    expect(jobToJson(job).training).toEqual({
      epochs: 4,
      eval: {
        source: { kind: 'file', path: 'data/eval.tfrecord.gz', format: 'tfrecord' },
        everyEpochs: 2,
      },
    });
  });

  it('resolves relative paths against the job file folder and keeps absolute ones', () => {
    const absolute = join(scratch, 'elsewhere', 'data.jsonl');
    const doc = change(minimalJob(), 'input.source', { kind: 'file', path: absolute });
    const job = parseJob(doc, join(scratch, 'jobs', 'job.json'));
    expect(job.dir).toBe(join(scratch, 'jobs'));
    expect(job.input.source).toEqual({
      kind: 'file',
      file: { path: absolute, resolved: absolute },
      format: 'jsonl',
    });
    const relative = change(minimalJob(), 'input.source', { kind: 'file', path: '../d/x.arrow' });
    expect(parseJob(relative, join(scratch, 'jobs', 'job.json')).input.source).toEqual({
      kind: 'file',
      file: { path: '../d/x.arrow', resolved: join(scratch, 'd', 'x.arrow') },
      format: 'arrow',
    });
  });

  it('keeps an empty description as written', () => {
    const job = parseJob(change(minimalJob(), 'description', ''), 'job.json');
    expect(job.description).toBe('');
    expect(jobToJson(job).description).toBe('');
  });

  it.each(VALID_JOBS)('accepts $title', ({ doc }) => {
    expect(parseJob(doc, 'job.json', { dir: FIXTURES_DIR }).version).toBe(1);
  });

  it.each(INVALID_JOBS)('rejects with "$message"', ({ doc, message }) => {
    expect(() => parseJob(doc, 'job.json', { dir: FIXTURES_DIR })).toThrow(message);
  });

  it('throws a TfstreamError with the stable code JOB_INVALID', () => {
    let caught: unknown;
    try {
      parseJob(change(minimalJob(), 'cluster.workers', 65), 'job.json');
    } catch (error) {
      caught = error;
    }
    expect(isTfstreamError(caught, 'JOB_INVALID')).toBe(true);
    expect(caught).toMatchObject({
      detail: 'cluster.workers: must be a whole number from 1 to 64, got 65',
      location: { file: 'job.json' },
    });
  });

  it('names a schema file and the field when the file has a bad field', () => {
    writeFileSync(
      join(scratch, 'bad-schema.json'),
      JSON.stringify({ fields: [{ name: 'age', type: 'int' }] }),
    );
    const doc = change(minimalJob(), 'input.schema', 'bad-schema.json');
    expect(() => parseJob(doc, 'job.json', { dir: scratch })).toThrow(
      'JOB_INVALID: job.json: input.schema: bad-schema.json: field "age": unknown type "int"',
    );
    writeFileSync(join(scratch, 'broken.json'), '{\n  "fields": [\n    { "name": "a", }\n  ]\n}');
    expect(() =>
      parseJob(change(doc, 'input.schema', 'broken.json'), 'job.json', { dir: scratch }),
    ).toThrow(
      'JOB_INVALID: job.json: input.schema: broken.json: not valid JSON at line 3, column 20: Expected double-quoted property name',
    );
  });

  it('names the line of a TFX schema.pbtxt that cannot be mapped', () => {
    writeFileSync(join(scratch, 'bad.pbtxt'), 'feature {\n  name: "a"\n  type: STRUCT\n}\n');
    const doc = change(minimalJob(), 'input.schema', 'bad.pbtxt');
    expect(() => parseJob(doc, 'job.json', { dir: scratch })).toThrow(
      /^JOB_INVALID: job\.json: input\.schema: bad\.pbtxt: line \d+: field "a": /,
    );
  });

  it('reports a job file that is not JSON with its line and column', () => {
    const file = join(scratch, 'broken-job.json');
    writeFileSync(file, '{\n  "version": 1,\n  "name": "x",,\n}\n');
    expect(() => loadJob(file)).toThrow(
      `JOB_INVALID: ${file}: not valid JSON at line 3, column 15`,
    );
    expect(() => loadJob(join(scratch, 'missing.json'))).toThrow(
      /^IO_ERROR: .*missing\.json: cannot read the job file: no such file$/,
    );
  });

  it('reports a model file that cannot be read, with both paths', () => {
    const doc = change(minimalJob(), 'model', { path: 'src/missing.ts' });
    expect(() => parseJob(doc, 'job.json', { dir: scratch })).toThrow(
      `JOB_INVALID: job.json: model.path: cannot read the model file "src/missing.ts" (${join(scratch, 'src/missing.ts')}): no such file; relative paths start at the job file's folder`,
    );
  });
});

describe('jobToJson', () => {
  const jobs: Array<[string, Job]> = [
    ...FIXTURE_NAMES.map((name): [string, Job] => [name, fixture(name)]),
    ...VALID_JOBS.map(({ title, doc }): [string, Job] => [
      title,
      parseJob(doc, 'job.json', { dir: FIXTURES_DIR }),
    ]),
  ];

  it.each(jobs)('round-trips %s', (_title, job) => {
    const json = JSON.parse(JSON.stringify(jobToJson(job))) as unknown;
    expect(parseJob(json, 'job.json', { dir: job.dir })).toEqual(job);
  });

  it('writes defaults out and paths as given', () => {
    const json = jobToJson(fixture('online-sensors'));
    expect(json.transfer).toEqual({ mode: 'micro-batch', batchSize: 16, lingerMs: 50 });
    expect(json.input.source).toEqual({
      kind: 'synthetic',
      generator: 'sensors',
      rate: 500,
      seed: 7,
    });
    expect(json.model).toEqual({ language: 'typescript', path: 'model/anomaly.ts' });
    expect(json.output?.schema).toBe('infer');
    expect(Object.keys(json)).toEqual([
      'version',
      'name',
      'description',
      'mode',
      'input',
      'output',
      'transfer',
      'cluster',
      'hyperparameters',
      'training',
      'model',
    ]);
  });
});
