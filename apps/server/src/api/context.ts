// What the API's routes share, and the checks of request bodies they have in common.
import type { JobJson } from '@tfstream/runtime';
import { parseJob } from '@tfstream/runtime';
import { isTfstreamError } from '@tfstream/schema';
import type { ServerConfig } from '../config.js';
import { syntheticSchemaProblem } from '../data/synthetic-sample.js';
import { HttpError, badRequest } from '../http/errors.js';
import type { RunManager } from '../runs/run-manager.js';
import type { Store } from '../store/store.js';
import type { TemplateCatalog } from '../templates/templates.js';

/** The server's parts, as the routes see them. */
export interface ApiContext {
  readonly store: Store;
  readonly runs: RunManager;
  readonly templates: TemplateCatalog;
  readonly config: ServerConfig;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON body of a request, which must be an object. */
export function bodyOf(body: unknown): Record<string, unknown> {
  if (!isObject(body)) {
    throw badRequest('send a JSON object with Content-Type: application/json');
  }
  return body;
}

/** An optional whole number of a body or query, within bounds. */
export function optionalInt(
  value: unknown,
  location: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw badRequest(`${location} must be a whole number from ${min} to ${max}`, location);
  }
  return n;
}

/** The JSON path of a `JOB_INVALID` detail (`cluster.workers: must be …`). */
export function problemOf(detail: string): { path: string; message: string } {
  const match = /^([\w$.[\]"-]+): ([\s\S]*)$/.exec(detail);
  return match === null ? { path: '', message: detail } : { path: match[1]!, message: match[2]! };
}

/**
 * Checks a job document as a run would (relative paths against the data folder).
 * @throws HttpError 400 `JOB_INVALID` at `job.<path>`
 */
export function checkJob(job: unknown, home: string, location = 'job'): JobJson {
  if (!isObject(job)) {
    throw new HttpError(400, 'JOB_INVALID', 'the job must be a job document (an object)', location);
  }
  let problem: { path: string; message: string } | undefined;
  try {
    problem = syntheticSchemaProblem(parseJob(job, undefined, { dir: home }));
  } catch (error) {
    if (isTfstreamError(error) && error.code === 'JOB_INVALID') {
      problem = problemOf(error.detail);
    } else {
      throw error;
    }
  }
  if (problem !== undefined) {
    throw new HttpError(
      400,
      'JOB_INVALID',
      problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`,
      problem.path === '' ? location : `${location}.${problem.path}`,
    );
  }
  return job as unknown as JobJson;
}
