// Share links: read-only snapshots of a job version (and optionally a run's events). Creating one
// needs the token; reading one needs only its id (at least 128 random bits). Nothing reachable
// through a share id runs, edits or cancels anything: a fork is a new job, made with the token.
import { Router } from 'express';
import type { CreateShareResponse } from '@tfstream/studio-api';
import { badRequest, notFound } from '../http/errors.js';
import type { ApiContext } from './context.js';
import { bodyOf, optionalInt } from './context.js';

const SHARE_ID = /^[A-Za-z0-9_-]{22,64}$/;

export function sharesApi(ctx: ApiContext): Router {
  const { store } = ctx;
  const router = Router();

  router.post('/shares', (req, res) => {
    const body = bodyOf(req.body);
    if (typeof body.jobId !== 'string') {
      throw badRequest('jobId is required', 'jobId');
    }
    const version = optionalInt(body.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    const job = store.job(body.jobId, version);
    if (job === undefined) {
      throw notFound(
        version === undefined ? `job ${body.jobId}` : `version ${version} of job ${body.jobId}`,
      );
    }
    let run;
    if (body.runId !== undefined) {
      if (typeof body.runId !== 'string') {
        throw badRequest('runId must be a string', 'runId');
      }
      run = store.runSummary(body.runId);
      if (run === undefined || run.jobId !== job.id) {
        throw notFound(`run ${body.runId} of job ${job.id}`);
      }
    }
    const share = store.createShare(job, run);
    const answer: CreateShareResponse = { id: share.id, path: `/share/${share.id}` };
    res.status(201).json(answer);
  });

  router.get('/shares/:shareId', (req, res) => {
    const id = req.params.shareId;
    const share = SHARE_ID.test(id) ? store.share(id) : undefined;
    if (share === undefined) {
      throw notFound('the share');
    }
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(share);
  });

  return router;
}
