// Helpers of the server tests: a real server on port 0 over a temp data folder, plain HTTP
// requests with exactly the headers a test gives, and real WebSocket clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type {
  JobRecord,
  RunRecord,
  ServerFrame,
  StudioEvent,
  Template,
} from '@tfstream/studio-api';
import type { ServerLogger, ServerOptions } from '../config.js';
import type { StudioServer } from '../server.js';
import { startServer } from '../server.js';

/** A logger that keeps what the server says, for assertions and quiet test output. */
export function memoryLogger(): ServerLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    error: (message) => lines.push(message),
  };
}

/** A fresh data folder, removed by the returned function. */
export function tempHome(): { home: string; remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'tfstream-studio-'));
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** Starts a server on port 0 over `home` (a new temp folder when left out). */
export function startTestServer(options: ServerOptions = {}): Promise<StudioServer> {
  return startServer({ port: 0, logger: memoryLogger(), warmRoles: 0, ...options });
}

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: T;
}

export interface RequestOptions {
  /** Default: `Authorization: Bearer <the server's token>`; `null` sends no token. */
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
  /** JSON-encoded unless a string or Buffer. */
  readonly body?: unknown;
}

/** One HTTP request to `server`, with exactly these headers (no cookies, no Origin unless given). */
export function call<T = unknown>(
  server: StudioServer,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? server.token : options.token;
  if (token !== null) {
    headers.Authorization = `Bearer ${token}`;
  }
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
      payload = Buffer.from(options.body);
    } else {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['Content-Type'] ??= 'application/json';
    }
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (
            (res.headers['content-type'] ?? '').includes('json') &&
            res.headers['content-encoding'] === undefined &&
            text !== ''
          ) {
            body = JSON.parse(text) as unknown;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: body as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `call`, expecting `status`; answers the body. */
export async function ok<T>(
  server: StudioServer,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<T> {
  const answer = await call<T>(server, method, path, body === undefined ? {} : { body });
  if (answer.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${answer.text}`);
  }
  return answer.body;
}

/** A template's job saved as a new job. */
export async function jobFromTemplate(server: StudioServer, id: string): Promise<JobRecord> {
  const template = await ok<Template>(server, 'GET', `/api/templates/${id}`);
  return ok<JobRecord>(
    server,
    'POST',
    '/api/jobs',
    { job: template.job, origin: { kind: 'template', id } },
    201,
  );
}

/** Starts a run of a stored job. */
export function startRun(
  server: StudioServer,
  jobId: string,
  request: Record<string, unknown> = {},
): Promise<RunRecord> {
  return ok<RunRecord>(server, 'POST', `/api/jobs/${jobId}/runs`, request, 201);
}

/** What one WebSocket of a run received, until the server closed it. */
export interface StreamResult {
  readonly frames: readonly ServerFrame[];
  readonly events: readonly StudioEvent[];
  readonly closeCode: number;
}

export interface StreamOptions {
  readonly after?: number;
  readonly token?: string | null;
  /** Put the token in `?token=` (default) or in the Authorization header. */
  readonly tokenIn?: 'query' | 'header';
  readonly origin?: string;
  /** Close the socket from the client once this many events arrived. */
  readonly stopAfterEvents?: number;
  /** Close the socket from the client once the events so far satisfy this. */
  readonly until?: (events: readonly StudioEvent[]) => boolean;
  readonly timeoutMs?: number;
}

/** The URL of a run's stream. */
export function streamUrl(server: StudioServer, runId: string, after = 0, token?: string): string {
  const query = new URLSearchParams({ after: String(after) });
  if (token !== undefined) {
    query.set('token', token);
  }
  return `ws://127.0.0.1:${server.port}/api/runs/${runId}/stream?${query}`;
}

/**
 * Opens a run's stream and collects its frames until the server closes it (the run ended) or
 * `stopAfterEvents` events arrived.
 */
export function stream(
  server: StudioServer,
  runId: string,
  options: StreamOptions = {},
): Promise<StreamResult> {
  const token = options.token === undefined ? server.token : options.token;
  const inQuery = (options.tokenIn ?? 'query') === 'query';
  const ws = new WebSocket(
    streamUrl(server, runId, options.after ?? 0, token !== null && inQuery ? token : undefined),
    {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      headers: token !== null && !inQuery ? { Authorization: `Bearer ${token}` } : {},
    },
  );
  const frames: ServerFrame[] = [];
  const events: StudioEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the stream of run ${runId} did not end; got ${events.length} events`));
    }, options.timeoutMs ?? 60_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode }),
      );
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      frames.push(frame);
      if (frame.type === 'events') {
        events.push(...frame.events);
        if (
          (options.stopAfterEvents !== undefined && events.length >= options.stopAfterEvents) ||
          options.until?.(events) === true
        ) {
          ws.close(1000);
        }
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ frames, events, closeCode: code });
    });
  });
}

/** The status a refused stream was answered with. */
export async function streamRefusal(
  server: StudioServer,
  runId: string,
  options: StreamOptions,
): Promise<number> {
  try {
    await stream(server, runId, { ...options, timeoutMs: 10_000 });
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
  return 101;
}
