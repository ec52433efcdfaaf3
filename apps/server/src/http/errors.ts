// The one mapping from errors to responses (Hono's single `errorHandler`): typed errors become
// `ApiError` bodies with a stable code; anything else is logged with its stack and answered 500.
import type { ErrorRequestHandler } from 'express';
import { isTfstreamError } from '@tfstream/schema';
import type { ApiError, ApiErrorCode } from '@tfstream/studio-api';
import type { ServerLogger } from '../config.js';

/** An error with an HTTP status and an `ApiError` code, thrown by route handlers. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode | string,
    message: string,
    readonly location?: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/** 404 `NOT_FOUND` naming what was looked for. */
export function notFound(what: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `${what} does not exist`);
}

/** 400 `BAD_REQUEST` at `location` in the request. */
export function badRequest(message: string, location?: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message, location);
}

/** A response for `error`: its status, body and extra headers. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: ApiError;
  readonly headers?: Readonly<Record<string, string>>;
  /** Not an expected error: log it with its stack. */
  readonly unexpected: boolean;
}

/** Body-parser's error types (`entity.too.large`, …) and their statuses. */
interface ParserError {
  readonly type: string;
  readonly status: number;
  readonly limit?: number;
}

function isParserError(error: unknown): error is ParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as ParserError).type === 'string' &&
    typeof (error as ParserError).status === 'number'
  );
}

/** Maps any thrown value to the response the client gets. */
export function errorResponse(error: unknown): ErrorResponse {
  const body = (code: string, message: string, location?: string): ApiError => ({
    error: { code, message, ...(location === undefined ? {} : { location }) },
  });
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: body(error.code, error.message, error.location),
      ...(error.headers === undefined ? {} : { headers: error.headers }),
      unexpected: false,
    };
  }
  if (isTfstreamError(error)) {
    if (error.code === 'JOB_INVALID') {
      // `JOB_INVALID: cluster.workers: must be …`: the JSON path is the detail's first part.
      const match = /^([\w$.[\]"-]+): ([\s\S]*)$/.exec(error.detail);
      return {
        status: 400,
        body: body('JOB_INVALID', error.detail, match?.[1]),
        unexpected: false,
      };
    }
    const location = [
      error.location.file,
      error.location.record === undefined ? undefined : `record ${error.location.record}`,
      error.location.field === undefined ? undefined : `field "${error.location.field}"`,
    ]
      .filter((part) => part !== undefined)
      .join(': ');
    return {
      status: 400,
      body: body(error.code, error.message, location === '' ? undefined : location),
      unexpected: false,
    };
  }
  if (isParserError(error)) {
    switch (error.type) {
      case 'entity.too.large':
        return {
          status: 413,
          body: body(
            'PAYLOAD_TOO_LARGE',
            `the request body is larger than ${error.limit ?? 'the limit of'} bytes`,
          ),
          unexpected: false,
        };
      case 'entity.parse.failed':
        return {
          status: 400,
          body: body('BAD_REQUEST', 'the request body is not valid JSON'),
          unexpected: false,
        };
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return {
          status: 415,
          body: body('UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8, without content encoding'),
          unexpected: false,
        };
      default:
        if (error.status >= 400 && error.status < 500) {
          return {
            status: error.status,
            body: body('BAD_REQUEST', `the request body could not be read (${error.type})`),
            unexpected: false,
          };
        }
    }
  }
  return {
    status: 500,
    body: body('INTERNAL', 'internal server error; the details are in the server log'),
    unexpected: true,
  };
}

/** Express's last middleware: answers every error as an `ApiError`. */
export function errorHandler(logger: ServerLogger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const response = errorResponse(error);
    if (response.unexpected) {
      logger.error(`${req.method} ${req.path}: ${errorText(error)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(response.status);
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      res.setHeader(name, value);
    }
    res.json(response.body);
  };
}

/** An error's stack, or its message, or its text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
