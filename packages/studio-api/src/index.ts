// The contract between the studio's server (`apps/server`) and its web front end (`apps/web`).
// Types only, plus a few constants: both sides import it, so a change here is a change of both.
//
// Authentication: every `/api` route and the WebSocket require the server's token, given as
// `Authorization: Bearer <token>`, or the `tfstream_token` cookie (set when a page is opened with
// `?token=<token>`, HttpOnly, SameSite=Strict), or `?token=` on the WebSocket URL. The one
// exception is `GET /api/shares/:shareId`: the unguessable share id is itself the (read-only)
// capability. Errors are `ApiError` bodies with an HTTP status.
import type { JobJson, RunState, TransferMode } from '@tfstream/runtime';
import type { FieldJson, SchemaJson } from '@tfstream/schema';

/** Version of this contract; the server reports it in {@link HealthResponse}. */
export const STUDIO_API_VERSION = 1;

/** Name of the cookie that carries the token. */
export const TOKEN_COOKIE = 'tfstream_token';

/** Path of the WebSocket of one run: `/api/runs/:runId/stream?after=<seq>`. */
export const RUN_STREAM_PATH = '/api/runs/:runId/stream';

/** Every error response. `code` is a stable identifier (`UNAUTHORIZED`, `NOT_FOUND`, …). */
export interface ApiError {
  readonly error: {
    readonly code: ApiErrorCode | string;
    readonly message: string;
    /** Where in the request, e.g. `job.input.schema.fields[2].type`, or a file and record. */
    readonly location?: string;
  };
}

export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'BAD_REQUEST'
  | 'JOB_INVALID'
  | 'RUN_NOT_ACTIVE'
  | 'READ_ONLY'
  /** A body in a form the route does not take (`POST /api/runs/:runId/records`: 415). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The run's input queue stayed full: push again later (503 with `Retry-After`). */
  | 'BACKPRESSURE'
  /** A bug of the server's (500); the details are in the server's log, not in the answer. */
  | 'INTERNAL';

/** `GET /api/health` */
export interface HealthResponse {
  readonly ok: true;
  readonly version: string;
  readonly apiVersion: typeof STUDIO_API_VERSION;
  /** The tfjs backend runs will use, as far as the server can tell (`wasm`, `tensorflow`). */
  readonly backend: string;
  readonly cores: number;
}

// ---------------------------------------------------------------------------------------------
// Templates and jobs

/**
 * A job as the studio stores it: the runtime's job document with the model code inline
 * (`model.source`) and schemas inline. File paths (`input.source.path`, sink paths,
 * `inference.modelPath`) are resolved by the server against its data folder (`TFSTREAM_HOME`):
 * `uploads/…` for uploaded samples, `examples/…` for the templates' data, `models/<job name>` for
 * a model a train run exported.
 */
export type StudioJob = JobJson;

/** `GET /api/templates` lists; `GET /api/templates/:templateId` returns one with its job. */
export interface TemplateSummary {
  /** The example's folder name, e.g. `penguin-train`. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly mode: JobJson['mode'];
  readonly transfer: TransferMode;
  readonly workers: number;
  readonly parameterServers: number;
}

export interface Template extends TemplateSummary {
  readonly job: StudioJob;
}

/** A stored job's header, as `GET /api/jobs` lists them (newest first). */
export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly mode: JobJson['mode'];
  /** Latest version, from 1. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The template or share it started from. */
  readonly origin?: { readonly kind: 'template' | 'share' | 'job'; readonly id: string };
  readonly lastRun?: RunSummary;
}

/** `GET /api/jobs/:jobId` (latest) and `GET /api/jobs/:jobId/versions/:version`. */
export interface JobRecord extends JobSummary {
  readonly job: StudioJob;
}

/** `POST /api/jobs`: create (from scratch, a template, a share or another job: a fork). */
export interface CreateJobRequest {
  readonly job: StudioJob;
  readonly origin?: JobSummary['origin'];
}

/**
 * `PUT /api/jobs/:jobId`: save a new version. `baseVersion` is the version the edit started from;
 * a mismatch is `409 CONFLICT` (someone saved in between). Answers the new {@link JobRecord}.
 */
export interface SaveJobRequest {
  readonly job: StudioJob;
  readonly baseVersion: number;
}

/** `DELETE /api/jobs/:jobId`: the job, its versions and runs (204; 409 while a run is active). */

/** `GET /api/jobs/:jobId/versions` */
export interface JobVersionSummary {
  readonly version: number;
  readonly savedAt: number;
}

/** `POST /api/jobs/validate` and part of save: every problem of a job document, with paths. */
export interface ValidateJobResponse {
  readonly ok: boolean;
  readonly problems: readonly { readonly path: string; readonly message: string }[];
}

// ---------------------------------------------------------------------------------------------
// Runs

/**
 * `POST /api/jobs/:jobId/runs`: launch the job's latest version (or `version`). Answers 201 with
 * the {@link RunRecord}; the run goes on in its own processes, its events come over the WebSocket.
 */
export interface StartRunRequest {
  readonly version?: number;
  /** CLI-like overrides for this run only. */
  readonly overrides?: {
    readonly workers?: number;
    readonly parameterServers?: number;
    readonly epochs?: number;
  };
}

export interface RunSummary {
  readonly id: string;
  readonly jobId: string;
  readonly jobVersion: number;
  readonly jobName: string;
  readonly state: RunState;
  readonly createdAt: number;
  readonly endedAt?: number;
  /** Set once the run ended. */
  readonly outcome?: RunOutcomeJson;
  /** Last sequence number stored for the run. */
  readonly lastSeq: number;
}

/** `GET /api/runs/:runId`; `GET /api/jobs/:jobId/runs` lists {@link RunSummary}s. */
export interface RunRecord extends RunSummary {
  /** The exact job document the run was started with. */
  readonly job: StudioJob;
}

/** The runtime's `RunOutcome`, as JSON. */
export interface RunOutcomeJson {
  readonly state: 'finished' | 'failed' | 'cancelled';
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly rowsWritten: number;
  readonly duplicatesDropped: number;
  readonly durationMs: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly reason?: string;
}

/** `POST /api/runs/:runId/cancel` answers the {@link RunSummary}. */

/**
 * `POST /api/runs/:runId/records`: push records to a running job whose source is `push`. Body:
 * JSONL (`application/x-ndjson`) or CSV with a header line (`text/csv`), decoded by the job's input
 * schema. Bad records are rejected one by one and named; good ones are accepted.
 */
export interface PushRecordsResponse {
  readonly accepted: number;
  readonly rejected: readonly {
    /** 1-based number of the record in the body (CSV: the header line is not a record). */
    readonly record: number;
    /** `CODEC_TYPE_MISMATCH: pushed records: record 2: field "x": expected int32, got "a"` */
    readonly message: string;
    readonly field?: string;
  }[];
}

/**
 * `POST /api/runs/:runId/records/end`: no more records; the run finishes once those pushed are
 * done. Answers the {@link RunSummary}.
 */

/** `GET /api/runs/:runId/events?after=<seq>&limit=<n>`: stored events after `seq`, in order. */
export interface RunEventsResponse {
  readonly events: readonly StudioEvent[];
  /** True when more events than `limit` followed. */
  readonly more: boolean;
}

/** `GET /api/runs/:runId/logs.txt`: all stored log lines as text (`[worker 0] …`). */

// ---------------------------------------------------------------------------------------------
// Events: what a run reports, numbered. Stored, replayed and streamed alike.

interface EventBase {
  /** Per run, from 1, without gaps. */
  readonly seq: number;
  /** `Date.now()` when it happened. */
  readonly at: number;
}

export interface StateStudioEvent extends EventBase {
  readonly type: 'state';
  readonly state: RunState;
  readonly previous?: RunState;
  readonly reason: string;
}

export interface RoleStudioEvent extends EventBase {
  readonly type: 'role';
  readonly phase: 'spawned' | 'registered' | 'exited' | 'restarting';
  readonly role: 'worker' | 'ps';
  readonly index: number;
  readonly attempt: number;
  readonly pid: number;
  readonly message?: string;
}

export interface LogStudioEvent extends EventBase {
  readonly type: 'log';
  /** `coordinator` for the run's own lines (backend chosen, summary, errors). */
  readonly role: 'worker' | 'ps' | 'coordinator';
  readonly index: number;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /**
   * For errors in user code: where in `model.source` (1-based), so that the editor can put a
   * marker there.
   */
  readonly sourceLocation?: { readonly line: number; readonly column: number };
}

export interface MetricStudioEvent extends EventBase {
  readonly type: 'metric';
  readonly role: 'worker' | 'ps' | 'coordinator';
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly step: number;
}

/** Records read/done; `total` when the input is bounded and its size known. */
export interface ProgressStudioEvent extends EventBase {
  readonly type: 'progress';
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly inFlight: number;
  readonly total?: number;
  /** Records per second over the last interval. */
  readonly throughput?: number;
  /** Per-record latency (ms) from feed to output, percentiles over the run so far (sampled). */
  readonly latencyP50Ms?: number;
  readonly latencyP99Ms?: number;
}

/**
 * Output rows, in arrival order. `key` is the input record's key: a row with a key seen before
 * replaces it (update mode); otherwise rows append.
 */
export interface OutputStudioEvent extends EventBase {
  readonly type: 'output';
  readonly rows: readonly {
    readonly key: string;
    readonly row: Readonly<Record<string, unknown>>;
  }[];
}

/** A tensor histogram a worker reported (`ctx.summary`). */
export interface SummaryStudioEvent extends EventBase {
  readonly type: 'summary';
  readonly role: 'worker';
  readonly index: number;
  readonly name: string;
  readonly step: number;
  readonly histogram: {
    readonly min: number;
    readonly max: number;
    readonly count: number;
    /** Bucket edges, length `counts.length + 1`. */
    readonly edges: readonly number[];
    readonly counts: readonly number[];
  };
}

/** The last event of every run. */
export interface EndStudioEvent extends EventBase {
  readonly type: 'end';
  readonly outcome: RunOutcomeJson;
}

export type StudioEvent =
  | StateStudioEvent
  | RoleStudioEvent
  | LogStudioEvent
  | MetricStudioEvent
  | ProgressStudioEvent
  | OutputStudioEvent
  | SummaryStudioEvent
  | EndStudioEvent;

/** The payload of a {@link StudioEvent} before the server numbers it. */
export type UnnumberedStudioEvent = StudioEvent extends infer E
  ? E extends StudioEvent
    ? Omit<E, 'seq'>
    : never
  : never;

// ---------------------------------------------------------------------------------------------
// WebSocket `/api/runs/:runId/stream?after=<seq>`: server → client frames. The server first sends
// every stored event after `after` (0: all), then live ones, batched (at most every ~50 ms), in
// `events` frames of at most 64 KiB (an event larger than that comes alone).
// Sequence numbers never repeat or skip; a client that reconnects with `after` = the last seq it
// applied misses nothing and sees nothing twice. (The server keeps a bounded tail per run: past
// 100 000 output rows or 20 000 log lines the oldest are dropped, and long metric and progress
// series are thinned; a replay from an old seq skips what was dropped.) A client too slow to take
// the frames is closed with code 1013; it reconnects with `after` and resumes.

export interface HelloFrame {
  readonly type: 'hello';
  readonly runId: string;
  readonly state: RunState;
  /** Last seq stored when the socket opened. */
  readonly lastSeq: number;
}

export interface EventsFrame {
  readonly type: 'events';
  readonly events: readonly StudioEvent[];
}

/** The run ended and every event was sent; the server closes the socket (code 1000) after it. */
export interface EndFrame {
  readonly type: 'end';
  readonly lastSeq: number;
}

/** The answer to a client's ping. */
export interface PongFrame {
  readonly type: 'pong';
}

export type ServerFrame = HelloFrame | EventsFrame | EndFrame | PongFrame;

/** Client → server: `{ "type": "ping" }` keeps an idle connection alive; the server answers pong. */
export type ClientFrame = { readonly type: 'ping' };

// ---------------------------------------------------------------------------------------------
// Data: uploads, schema inference, codec preview, compile, typings

/**
 * `POST /api/uploads` with the file as the raw body (`Content-Type: application/octet-stream`)
 * and its name in `X-Filename`. Size-limited (413 `PAYLOAD_TOO_LARGE`).
 */
export interface UploadResponse {
  /** Server-side path to use as `input.source.path`, e.g. `uploads/3f2a…-penguins.csv`. */
  readonly path: string;
  readonly bytes: number;
  /** Format told from the name or content. */
  readonly format: 'csv' | 'jsonl' | 'tfrecord' | 'arrow';
}

/** `POST /api/schema/infer`: from an uploaded file, or pasted text (`text` + `format`). */
export interface InferSchemaRequest {
  readonly path?: string;
  readonly text?: string;
  readonly format?: UploadResponse['format'];
  /** Records to look at; default 1000. */
  readonly limit?: number;
}

export interface InferredField {
  readonly name: string;
  readonly field: FieldJson;
  /** 0–1, as `FieldInference.confidence`. */
  readonly confidence: number;
  readonly count: number;
  readonly nulls: number;
  /** Values that did not fit the type the rest had, with the record they came from. */
  readonly conflicts: readonly {
    readonly record: number;
    readonly value: string;
    /** The type the field had to widen to for this value, e.g. `string` (from `int32`). */
    readonly as: string;
  }[];
  readonly examples: readonly string[];
}

export interface InferSchemaResponse {
  readonly schema: SchemaJson;
  readonly fields: readonly InferredField[];
  readonly records: number;
  /** The sample's file format, or `synthetic` for a generator's records. */
  readonly format: UploadResponse['format'] | 'synthetic';
  /** The first records as JSON values (int64 as strings, bytes as base64). */
  readonly preview: readonly Readonly<Record<string, unknown>>[];
}

/**
 * A synthetic source (`input.source.kind` `synthetic`) as sample data: the generator's first
 * records, the same as a run with this seed gets.
 */
export interface SyntheticSample {
  /** The generator's name, e.g. `sensors`. */
  readonly generator: string;
  /** As the job's `seed`; default 0. */
  readonly seed?: number;
  /** As the job's `count`: the sample holds no more records than the source has. */
  readonly count?: number;
}

/**
 * `POST /api/synthetic/sample`: the first `limit` records of a generator (default 1000) and the
 * schema inferred from them, as {@link InferSchemaResponse} with `format` `synthetic`. The records
 * go through the same inference as an uploaded file, as typed columns, so the schema has the
 * generator's own types (`int64`, `float32`, …): the ones a run with `"schema": "infer"` uses.
 * An unknown generator is `400 BAD_REQUEST` at `generator`.
 */
export interface SyntheticSampleRequest extends SyntheticSample {
  readonly limit?: number;
}

/** `POST /api/codec/preview` */
export interface CodecPreviewRequest {
  readonly schema: SchemaJson;
  readonly path?: string;
  readonly text?: string;
  readonly format?: UploadResponse['format'];
  /** The first records of a generator instead of a file or text. */
  readonly synthetic?: SyntheticSample;
  /** Records to encode; default 5. */
  readonly limit?: number;
}

export type CodecName = 'example' | 'json' | 'csv' | 'arrow' | 'raw';

export interface CodecPreviewResponse {
  /** One cell per codec and field. */
  readonly matrix: readonly {
    readonly codec: CodecName;
    readonly field: string;
    readonly status: 'lossless' | 'lossy' | 'rejected';
    readonly reason?: string;
  }[];
  /** The first records encoded by each codec that accepts the schema, and decoded back. */
  readonly records: readonly {
    readonly codec: CodecName;
    readonly index: number;
    readonly hex: string;
    readonly bytes: number;
    readonly decoded: Readonly<Record<string, unknown>>;
    /** Decoded value equals the original, field by field. */
    readonly roundTrip: boolean;
    readonly mismatch?: string;
  }[];
}

/** `POST /api/compile`: compile model code as a run would (nothing runs). */
export interface CompileRequest {
  readonly source: string;
}

export interface CompileDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** 1-based, in the given source. */
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export interface CompileResponse {
  readonly ok: boolean;
  readonly diagnostics: readonly CompileDiagnostic[];
  readonly durationMs: number;
}

/**
 * `GET /api/typings`: the type definitions the editor loads so that `@tfstream/sdk` and
 * `@tensorflow/tfjs` autocomplete, as `file:///node_modules/<package>/…d.ts` paths.
 */
export interface TypingsResponse {
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

// ---------------------------------------------------------------------------------------------
// Shares

/** `POST /api/shares`: freeze a job version (and optionally one of its runs) as a snapshot. */
export interface CreateShareRequest {
  readonly jobId: string;
  readonly version?: number;
  readonly runId?: string;
}

export interface CreateShareResponse {
  /** At least 128 random bits, base64url. */
  readonly id: string;
  /** Path of the read-only page, e.g. `/share/<id>`. */
  readonly path: string;
}

/** `GET /api/shares/:shareId` (no token needed): the snapshot. Read-only; nothing can run. */
export interface ShareSnapshot {
  readonly id: string;
  readonly createdAt: number;
  readonly job: StudioJob;
  readonly jobName: string;
  readonly jobVersion: number;
  /** The shared run, if any: its summary and its stored events (tail-bounded). */
  readonly run?: { readonly summary: RunSummary; readonly events: readonly StudioEvent[] };
}
