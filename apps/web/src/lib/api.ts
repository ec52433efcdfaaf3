// The studio API over fetch, typed by @tfstream/studio-api. Errors become `ApiRequestError`s that
// carry the server's code and message; a 401 asks the user for the token once and retries.
import type {
  ApiError,
  CodecPreviewRequest,
  CodecPreviewResponse,
  CompileResponse,
  CreateJobRequest,
  CreateShareRequest,
  CreateShareResponse,
  HealthResponse,
  InferSchemaRequest,
  InferSchemaResponse,
  JobRecord,
  JobSummary,
  RunRecord,
  RunSummary,
  SaveJobRequest,
  ShareSnapshot,
  StartRunRequest,
  SyntheticSampleRequest,
  Template,
  TemplateSummary,
  TypingsResponse,
  UploadResponse,
} from '@tfstream/studio-api';
import { requestToken } from './auth';

export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly location: string | undefined;

  constructor(status: number, code: string, message: string, location?: string) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.location = location;
  }
}

/** `CODE: message (at location)`, for inline error boxes. */
export function errorText(error: unknown): string {
  if (error instanceof ApiRequestError) {
    return `${error.code}: ${error.message}${error.location === undefined ? '' : ` (at ${error.location})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}

interface RequestOptions {
  readonly body?: unknown;
  readonly raw?: BodyInit;
  readonly headers?: Record<string, string>;
  /** Ask for the token on 401 and retry (default true). */
  readonly auth?: boolean;
  readonly signal?: AbortSignal;
}

async function toError(response: Response): Promise<ApiRequestError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ApiError;
    if (typeof body.error?.message === 'string') {
      return new ApiRequestError(
        response.status,
        body.error.code,
        body.error.message,
        body.error.location,
      );
    }
  } catch {
    // Not an ApiError body (a proxy's error page, say): fall through.
  }
  const fallback =
    response.status === 502 || response.status === 504
      ? 'The tfstream server does not answer. Is it running?'
      : text.slice(0, 300) || response.statusText;
  return new ApiRequestError(response.status, `HTTP_${response.status}`, fallback);
}

export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') {
      throw error;
    }
    throw new ApiRequestError(0, 'NETWORK', 'Cannot reach the tfstream server. Is it running?');
  }
  if (response.status === 401 && options.auth !== false) {
    if (await requestToken()) {
      return request<T>(method, path, { ...options, auth: false });
    }
  }
  if (!response.ok) {
    throw await toError(response);
  }
  if (response.status === 204) {
    return undefined as T;
  }
  const type = response.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

const enc = encodeURIComponent;

export const api = {
  health: () => request<HealthResponse>('GET', '/api/health', { auth: false }),
  templates: (prompt = true) =>
    request<TemplateSummary[]>('GET', '/api/templates', { auth: prompt }),
  template: (id: string) => request<Template>('GET', `/api/templates/${enc(id)}`),
  jobs: (prompt = true) => request<JobSummary[]>('GET', '/api/jobs', { auth: prompt }),
  job: (id: string) => request<JobRecord>('GET', `/api/jobs/${enc(id)}`),
  createJob: (body: CreateJobRequest) => request<JobRecord>('POST', '/api/jobs', { body }),
  saveJob: (id: string, body: SaveJobRequest) =>
    request<JobRecord>('PUT', `/api/jobs/${enc(id)}`, { body }),
  jobRuns: (id: string) => request<RunSummary[]>('GET', `/api/jobs/${enc(id)}/runs`),
  startRun: (id: string, body: StartRunRequest = {}) =>
    request<RunSummary>('POST', `/api/jobs/${enc(id)}/runs`, { body }),
  run: (runId: string) => request<RunRecord>('GET', `/api/runs/${enc(runId)}`),
  cancelRun: (runId: string) => request<RunSummary>('POST', `/api/runs/${enc(runId)}/cancel`),
  upload: (file: File) =>
    request<UploadResponse>('POST', '/api/uploads', {
      raw: file,
      headers: { 'Content-Type': 'application/octet-stream', 'X-Filename': enc(file.name) },
    }),
  inferSchema: (body: InferSchemaRequest) =>
    request<InferSchemaResponse>('POST', '/api/schema/infer', { body }),
  syntheticSample: (body: SyntheticSampleRequest) =>
    request<InferSchemaResponse>('POST', '/api/synthetic/sample', { body }),
  codecPreview: (body: CodecPreviewRequest) =>
    request<CodecPreviewResponse>('POST', '/api/codec/preview', { body }),
  compile: (source: string) =>
    request<CompileResponse>('POST', '/api/compile', { body: { source } }),
  // Never asks for the token: a shared snapshot's viewer may have none, and the editor works without.
  typings: () => request<TypingsResponse>('GET', '/api/typings', { auth: false }),
  createShare: (body: CreateShareRequest) =>
    request<CreateShareResponse>('POST', '/api/shares', { body }),
  share: (id: string) => request<ShareSnapshot>('GET', `/api/shares/${enc(id)}`, { auth: false }),
};

export function logsUrl(runId: string): string {
  return `/api/runs/${enc(runId)}/logs.txt`;
}
