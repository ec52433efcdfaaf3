import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { resolveFormatName } from '@tfstream/codecs/node';
import { jobToJson, loadJob, parseJob } from './job-document.js';
import { JOB_JSON_SCHEMA } from './job-json-schema.js';
import {
  FIXTURES_DIR,
  FIXTURE_NAMES,
  INVALID_JOBS,
  VALID_JOBS,
  readFixture,
} from './test-support/job-examples.js';

// Strict mode rejects mistakes in the schema itself (unknown keywords, bad tuples); type and
// required checks are off because conditional subschemas rightly leave `type` to their parent.
const ajv = new Ajv2020({
  strict: true,
  strictTypes: false,
  strictRequired: false,
  allErrors: true,
});
const validate = ajv.compile(JOB_JSON_SCHEMA);

function schemaErrors(doc: unknown): string {
  return validate(doc) ? '' : ajv.errorsText(validate.errors);
}

describe('JOB_JSON_SCHEMA', () => {
  it.each(FIXTURE_NAMES)('accepts the %s fixture, as parseJob does', (name) => {
    const doc = readFixture(name);
    expect(schemaErrors(doc)).toBe('');
    expect(parseJob(doc, 'job.json', { dir: join(FIXTURES_DIR, name) }).name).toBe(name);
  });

  it.each(VALID_JOBS)('accepts $title, as parseJob does', ({ doc }) => {
    expect(schemaErrors(doc)).toBe('');
    expect(() => parseJob(doc, 'job.json', { dir: FIXTURES_DIR })).not.toThrow();
  });

  const expressible = INVALID_JOBS.filter((example) => example.jsonSchemaRejects);
  it.each(expressible)('rejects what parseJob rejects with "$message"', ({ doc, message }) => {
    expect(() => parseJob(doc, 'job.json', { dir: FIXTURES_DIR })).toThrow(message);
    expect(validate(doc)).toBe(false);
  });

  it('accepts what jobToJson writes', () => {
    const docs = [
      ...FIXTURE_NAMES.map((name) => loadJob(join(FIXTURES_DIR, name, 'job.json'))),
      ...VALID_JOBS.map(({ doc }) => parseJob(doc, 'job.json', { dir: FIXTURES_DIR })),
    ].map((job) => JSON.parse(JSON.stringify(jobToJson(job))) as unknown);
    for (const doc of docs) {
      expect(schemaErrors(doc)).toBe('');
    }
  });

  it('tells the same file formats from a name as the codecs do', () => {
    const fileJob = (path: string) => ({
      version: 1,
      name: 'formats',
      mode: 'train',
      input: { source: { kind: 'file', path }, schema: 'infer' },
      model: { source: '' },
    });
    const names = [
      'a.csv',
      'A.CSV',
      'b.jsonl',
      'c.ndjson',
      'd.json',
      'e.tfrecord',
      'f.tfrecords.gz',
      'g.arrow',
      'h.arrows',
      'i.ipc',
      'j.csv.gz',
      'k.parquet',
      'l.tfrecord.zip',
      'noextension',
    ];
    for (const name of names) {
      expect({ name, accepted: validate(fileJob(name)) }).toEqual({
        name,
        accepted: resolveFormatName(name) !== undefined,
      });
    }
  });

  it('describes defaults for the editor', () => {
    const properties = JOB_JSON_SCHEMA.properties as Record<string, Record<string, unknown>>;
    expect(properties.transfer!.default).toEqual({
      mode: 'micro-batch',
      batchSize: 32,
      lingerMs: 100,
    });
    expect(JOB_JSON_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});
