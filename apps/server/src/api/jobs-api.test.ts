import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobJson } from '@tfstream/runtime';
import { parseJob } from '@tfstream/runtime';
import type {
  ApiError,
  JobRecord,
  JobSummary,
  JobVersionSummary,
  Template,
  TemplateSummary,
  ValidateJobResponse,
} from '@tfstream/studio-api';
import { REPO_ROOT } from '../config.js';
import type { StudioServer } from '../server.js';
import { syntheticEchoJob } from '../test-support/jobs.js';
import { call, ok, startTestServer, tempHome } from '../test-support/studio.js';

const { home, remove } = tempHome();
let server: StudioServer;

beforeAll(async () => {
  server = await startTestServer({ home });
});

afterAll(async () => {
  await server?.close();
  remove();
});

describe('templates', () => {
  it('lists every example folder with a job.json as a template', async () => {
    const list = await ok<TemplateSummary[]>(server, 'GET', '/api/templates');
    const folders = readdirSync(join(REPO_ROOT, 'examples'))
      .filter((name) => existsSync(join(REPO_ROOT, 'examples', name, 'job.json')))
      .sort();
    expect(list.map((t) => t.id)).toEqual(folders);
    expect(folders).toContain('penguin-train');
    expect(list.find((t) => t.id === 'penguin-train')).toMatchObject({
      mode: 'train',
      transfer: 'batch',
      workers: 2,
      parameterServers: 1,
    });
    expect((await call(server, 'GET', '/api/templates/nope')).status).toBe(404);
  });

  it('makes each template a self-contained studio job: model source and schemas inline, data paths in the data folder', async () => {
    const infer = await ok<Template>(server, 'GET', '/api/templates/penguin-infer');
    const job = infer.job;
    expect('source' in job.model && job.model.source).toContain('const penguinModel = {');
    expect('source' in job.model && job.model.source).not.toMatch(/from '\.{1,2}\//);
    expect(job.input.source).toMatchObject({
      kind: 'file',
      path: 'examples/penguin-data/penguins_unlabelled.csv',
    });
    expect(job.inference?.modelPath).toBe('models/penguin-train');
    const train = await ok<Template>(server, 'GET', '/api/templates/penguin-train');
    expect(typeof train.job.input.schema).toBe('object');
    // Valid where the studio resolves it: against the data folder, where the data was copied.
    for (const { id } of await ok<TemplateSummary[]>(server, 'GET', '/api/templates')) {
      const template = await ok<Template>(server, 'GET', `/api/templates/${id}`);
      const parsed = parseJob(template.job, undefined, { dir: home });
      if (parsed.input.source.kind === 'file') {
        expect(parsed.input.source.file.resolved.startsWith(home)).toBe(true);
      }
    }
  });
});

describe('jobs', () => {
  it('creates, reads, lists, saves versions and deletes a job', async () => {
    const created = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: syntheticEchoJob('crud', { count: 3 }), origin: { kind: 'template', id: 'x' } },
      201,
    );
    expect(created).toMatchObject({
      name: 'crud',
      mode: 'inference',
      version: 1,
      origin: { kind: 'template', id: 'x' },
    });
    expect(await ok<JobRecord>(server, 'GET', `/api/jobs/${created.id}`)).toEqual(created);

    const edited: JobJson = { ...created.job, description: 'second' };
    const saved = await ok<JobRecord>(server, 'PUT', `/api/jobs/${created.id}`, {
      job: edited,
      baseVersion: 1,
    });
    expect(saved).toMatchObject({ version: 2, description: 'second' });
    const versions = await ok<JobVersionSummary[]>(
      server,
      'GET',
      `/api/jobs/${created.id}/versions`,
    );
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    const first = await ok<JobRecord>(server, 'GET', `/api/jobs/${created.id}/versions/1`);
    expect(first.job.description).toBeUndefined();
    expect(first.version).toBe(1);

    const list = await ok<JobSummary[]>(server, 'GET', '/api/jobs');
    expect(list[0]).toMatchObject({ id: created.id, version: 2 });

    expect((await call(server, 'DELETE', `/api/jobs/${created.id}`)).status).toBe(204);
    expect((await call(server, 'GET', `/api/jobs/${created.id}`)).status).toBe(404);
    expect((await call(server, 'DELETE', `/api/jobs/${created.id}`)).status).toBe(404);
  });

  it('saves a job whose description was emptied, and one created with an empty description', async () => {
    const created = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: { ...syntheticEchoJob('emptied', { count: 3 }), description: 'first' } },
      201,
    );
    const saved = await ok<JobRecord>(server, 'PUT', `/api/jobs/${created.id}`, {
      job: { ...created.job, description: '' },
      baseVersion: 1,
    });
    expect(saved).toMatchObject({ version: 2, description: '' });
    expect(saved.job.description).toBe('');
    const empty = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: { ...syntheticEchoJob('empty', { count: 3 }), description: '' } },
      201,
    );
    expect(empty.job.description).toBe('');
  });

  it('answers 409 to a save that started from an older version', async () => {
    const created = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: syntheticEchoJob('conflict', { count: 3 }) },
      201,
    );
    await ok(server, 'PUT', `/api/jobs/${created.id}`, { job: created.job, baseVersion: 1 });
    const stale = await call<ApiError>(server, 'PUT', `/api/jobs/${created.id}`, {
      body: { job: { ...created.job, description: 'lost?' }, baseVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('CONFLICT');
    expect(stale.body.error.message).toContain('version 2');
  });

  it('refuses an invalid job with JOB_INVALID at its JSON path, and validates without saving', async () => {
    const job = { ...syntheticEchoJob('bad', { count: 3 }), cluster: { workers: 0 } };
    const answer = await call<ApiError>(server, 'POST', '/api/jobs', { body: { job } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'JOB_INVALID',
      location: 'job.cluster.workers',
    });
    const report = await ok<ValidateJobResponse>(server, 'POST', '/api/jobs/validate', {
      job: { ...job, model: { source: 'export default function (;' } },
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.path)).toEqual(['cluster.workers', 'model.source']);
    expect(report.problems[1]!.message).toMatch(/^model\.ts:1:\d+: /);
    const fine = await ok<ValidateJobResponse>(server, 'POST', '/api/jobs/validate', {
      job: syntheticEchoJob('fine', { count: 3 }),
    });
    expect(fine).toEqual({ ok: true, problems: [] });
  });

  it('answers unknown routes and ids with 404 NOT_FOUND', async () => {
    const route = await call<ApiError>(server, 'GET', '/api/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('NOT_FOUND');
    expect((await call(server, 'GET', '/api/runs/unknown')).status).toBe(404);
    expect((await call(server, 'POST', '/api/jobs/unknown/runs', { body: {} })).status).toBe(404);
  });
});
