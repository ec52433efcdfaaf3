// Jobs and their versions, templates, and starting runs: `/api/jobs…`, `/api/templates…`.
import { Router } from 'express';
import type { JobJson } from '@tfstream/runtime';
import { ModelCompileError, compileModel, parseJob } from '@tfstream/runtime';
import { isTfstreamError } from '@tfstream/schema';
import type { JobSummary, ValidateJobResponse } from '@tfstream/studio-api';
import { syntheticSchemaProblem } from '../data/synthetic-sample.js';
import { HttpError, badRequest, notFound } from '../http/errors.js';
import { withOverrides } from '../runs/run-manager.js';
import type { ApiContext } from './context.js';
import { bodyOf, checkJob, isObject, optionalInt, problemOf } from './context.js';

const ORIGIN_KINDS: readonly string[] = ['template', 'share', 'job'];

function originOf(value: unknown): JobSummary['origin'] {
  if (value === undefined) {
    return undefined;
  }
  if (
    !isObject(value) ||
    typeof value.kind !== 'string' ||
    !ORIGIN_KINDS.includes(value.kind) ||
    typeof value.id !== 'string' ||
    value.id === '' ||
    value.id.length > 200
  ) {
    throw badRequest(
      'origin must be { "kind": "template" | "share" | "job", "id": "…" }',
      'origin',
    );
  }
  return { kind: value.kind as 'template' | 'share' | 'job', id: value.id };
}

/** Every problem of a job document: the document's first (as `parseJob` stops there), and the model's compile errors. */
async function validateJob(job: unknown, home: string): Promise<ValidateJobResponse> {
  const problems: { path: string; message: string }[] = [];
  if (!isObject(job)) {
    return { ok: false, problems: [{ path: '', message: 'a job document must be an object' }] };
  }
  try {
    const problem = syntheticSchemaProblem(parseJob(job, undefined, { dir: home }));
    if (problem !== undefined) {
      problems.push(problem);
    }
  } catch (error) {
    if (!isTfstreamError(error) || error.code !== 'JOB_INVALID') {
      throw error;
    }
    problems.push(problemOf(error.detail));
  }
  const model = job.model;
  if (isObject(model) && typeof model.source === 'string') {
    try {
      await compileModel(model.source, { fileName: 'model.ts', dir: home });
    } catch (error) {
      if (!(error instanceof ModelCompileError)) {
        throw error;
      }
      for (const d of error.diagnostics.filter((d) => d.severity === 'error')) {
        problems.push({
          path: 'model.source',
          message: `${d.file}:${d.line}:${d.column}: ${d.message}`,
        });
      }
    }
  }
  return { ok: problems.length === 0, problems };
}

export function jobsApi(ctx: ApiContext): Router {
  const { store, runs, templates, config } = ctx;
  const router = Router();

  router.get('/templates', (_req, res) => {
    res.json(templates.list());
  });

  router.get('/templates/:templateId', (req, res) => {
    const template = templates.get(req.params.templateId);
    if (template === undefined) {
      throw notFound(`template ${req.params.templateId}`);
    }
    res.json(template);
  });

  router.get('/jobs', (_req, res) => {
    res.json(store.jobs());
  });

  router.post('/jobs/validate', async (req, res) => {
    const body = bodyOf(req.body);
    // `{ "job": {…} }` as elsewhere, or the document itself.
    res.json(
      await validateJob('job' in body && !('version' in body) ? body.job : body, config.home),
    );
  });

  router.post('/jobs', (req, res) => {
    const body = bodyOf(req.body);
    const job = checkJob(body.job, config.home);
    res.status(201).json(store.createJob(job, originOf(body.origin)));
  });

  router.get('/jobs/:jobId', (req, res) => {
    const job = store.job(req.params.jobId);
    if (job === undefined) {
      throw notFound(`job ${req.params.jobId}`);
    }
    res.json(job);
  });

  router.put('/jobs/:jobId', (req, res) => {
    const body = bodyOf(req.body);
    const baseVersion = optionalInt(body.baseVersion, 'baseVersion', 1, Number.MAX_SAFE_INTEGER);
    if (baseVersion === undefined) {
      throw badRequest(
        'baseVersion (the version the edit started from) is required',
        'baseVersion',
      );
    }
    const job = checkJob(body.job, config.home);
    const saved = store.saveJob(req.params.jobId, job, baseVersion);
    if (saved === undefined) {
      throw notFound(`job ${req.params.jobId}`);
    }
    if (saved === 'conflict') {
      const latest = store.job(req.params.jobId);
      throw new HttpError(
        409,
        'CONFLICT',
        `the job was saved as version ${latest?.version} since version ${baseVersion}, which this edit started from; load the latest version and apply the edit again`,
        'baseVersion',
      );
    }
    res.json(saved);
  });

  router.delete('/jobs/:jobId', (req, res) => {
    const id = req.params.jobId;
    if (store.runs(id).some((run) => runs.isActive(run.id))) {
      throw new HttpError(409, 'CONFLICT', 'the job has a run going; cancel it first');
    }
    if (!store.deleteJob(id)) {
      throw notFound(`job ${id}`);
    }
    res.status(204).end();
  });

  router.get('/jobs/:jobId/versions', (req, res) => {
    const versions = store.jobVersions(req.params.jobId);
    if (versions === undefined) {
      throw notFound(`job ${req.params.jobId}`);
    }
    res.json(versions);
  });

  router.get('/jobs/:jobId/versions/:version', (req, res) => {
    const version = optionalInt(req.params.version, 'version', 1, Number.MAX_SAFE_INTEGER)!;
    const job = store.job(req.params.jobId, version);
    if (job === undefined) {
      throw notFound(`version ${version} of job ${req.params.jobId}`);
    }
    res.json(job);
  });

  router.get('/jobs/:jobId/runs', (req, res) => {
    if (store.jobVersions(req.params.jobId) === undefined) {
      throw notFound(`job ${req.params.jobId}`);
    }
    res.json(store.runs(req.params.jobId));
  });

  router.post('/jobs/:jobId/runs', (req, res) => {
    const body = req.body === undefined ? {} : bodyOf(req.body);
    const version = optionalInt(body.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    const overrides = body.overrides === undefined ? undefined : body.overrides;
    if (overrides !== undefined && !isObject(overrides)) {
      throw badRequest('overrides must be an object', 'overrides');
    }
    const job = store.job(req.params.jobId, version);
    if (job === undefined) {
      throw notFound(
        version === undefined
          ? `job ${req.params.jobId}`
          : `version ${version} of job ${req.params.jobId}`,
      );
    }
    const document: JobJson = checkJob(
      withOverrides(job.job, {
        ...(overrides === undefined
          ? {}
          : {
              workers: optionalInt(overrides.workers, 'overrides.workers', 1, 64),
              parameterServers: optionalInt(
                overrides.parameterServers,
                'overrides.parameterServers',
                0,
                16,
              ),
              epochs: optionalInt(overrides.epochs, 'overrides.epochs', 1, 100_000),
            }),
      }),
      config.home,
    );
    res.status(201).json(runs.start(job, document));
  });

  return router;
}
