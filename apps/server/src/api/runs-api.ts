// Runs: their records, stored events and logs, cancel, and records pushed to a running job.
import type { RequestHandler } from 'express';
import express, { Router } from 'express';
import type { PushFormat } from '@tfstream/runtime';
import type { PushRecordsResponse, RunEventsResponse, StudioEvent } from '@tfstream/studio-api';
import { HttpError, notFound } from '../http/errors.js';
import type { ApiContext } from './context.js';
import { optionalInt } from './context.js';

/** The push format a request's Content-Type stands for. */
function pushFormat(contentType: string | undefined): PushFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (
    type === 'application/x-ndjson' ||
    type === 'application/jsonl' ||
    type === 'application/json-lines' ||
    type === 'application/x-jsonlines' ||
    type === 'application/json'
  ) {
    return 'jsonl';
  }
  if (type === 'text/csv') {
    return 'csv';
  }
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'push records as JSON Lines (Content-Type: application/x-ndjson) or as CSV with a header line (Content-Type: text/csv)',
  );
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function runsApi(ctx: ApiContext): Router {
  const { store, runs, config } = ctx;
  const router = Router();
  const rawBody: RequestHandler = express.raw({ type: () => true, limit: config.maxUploadBytes });

  router.get('/runs/:runId', (req, res) => {
    const run = store.run(req.params.runId);
    if (run === undefined) {
      throw notFound(`run ${req.params.runId}`);
    }
    res.json(run);
  });

  router.get('/runs/:runId/events', (req, res) => {
    const runId = req.params.runId;
    if (store.runSummary(runId) === undefined) {
      throw notFound(`run ${runId}`);
    }
    const after = optionalInt(req.query.after, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const limit = optionalInt(req.query.limit, 'limit', 1, 10_000) ?? 1000;
    const stored = store.eventsAfter(runId, after, limit + 1, Number.POSITIVE_INFINITY);
    const events = stored.slice(0, limit).map((event) => JSON.parse(event.data) as StudioEvent);
    const body: RunEventsResponse = { events, more: stored.length > limit };
    res.json(body);
  });

  router.get('/runs/:runId/logs.txt', (req, res) => {
    if (store.runSummary(req.params.runId) === undefined) {
      throw notFound(`run ${req.params.runId}`);
    }
    const lines = store.logLines(req.params.runId);
    res.type('text/plain; charset=utf-8').send(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  });

  router.post('/runs/:runId/cancel', async (req, res) => {
    const summary = await runs.cancel(req.params.runId);
    if (summary === undefined) {
      throw notFound(`run ${req.params.runId}`);
    }
    res.json(summary);
  });

  router.post('/runs/:runId/records', rawBody, async (req, res) => {
    const runId = String(req.params.runId);
    if (store.runSummary(runId) === undefined) {
      throw notFound(`run ${runId}`);
    }
    const format = pushFormat(req.headers['content-type']);
    const bytes: unknown = req.body;
    let text: string;
    try {
      text = Buffer.isBuffer(bytes) ? UTF8.decode(bytes) : '';
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'the body is not valid UTF-8');
    }
    const result = await runs.push(runId, format, text);
    const body: PushRecordsResponse = { accepted: result.accepted, rejected: result.rejected };
    res.json(body);
  });

  router.post('/runs/:runId/records/end', (req, res) => {
    const runId = String(req.params.runId);
    if (store.runSummary(runId) === undefined) {
      throw notFound(`run ${runId}`);
    }
    runs.endInput(runId);
    res.json(store.runSummary(runId));
  });

  return router;
}
