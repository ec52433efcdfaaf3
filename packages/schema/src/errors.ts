/**
 * Every error code tfstream raises. Codes are stable: scripts, the CLI and the studio match on
 * them, so a code is never renamed or reused for another meaning.
 */
export type ErrorCode =
  /** A schema document is not valid (unknown type, bad shape, duplicate field, ...). */
  | 'SCHEMA_INVALID'
  /** A TensorFlow Metadata `schema.pbtxt` could not be parsed or mapped. */
  | 'SCHEMA_PBTXT_INVALID'
  /** Inference was asked for a schema but the sample had no records or no fields. */
  | 'SCHEMA_INFER_EMPTY'
  /** A codec cannot carry a field's type; raised when the codec is configured, before any data. */
  | 'CODEC_UNSUPPORTED_TYPE'
  /** A value does not fit its field's type (wrong kind, out of range, bad text form). */
  | 'CODEC_TYPE_MISMATCH'
  /** A non-nullable field is missing or null in a record. */
  | 'CODEC_NULL_VALUE'
  /** A fixed-shape field has the wrong number of elements. */
  | 'CODEC_SHAPE_MISMATCH'
  /** A record names a field that the schema does not have. */
  | 'CODEC_UNKNOWN_FIELD'
  /** Bytes that do not follow the format's wire rules (bad varint, bad tag, bad JSON, bad quoting). */
  | 'CODEC_MALFORMED'
  /** A TFRecord length or data CRC32C does not match. */
  | 'TFRECORD_CORRUPT'
  /** A TFRecord file ends in the middle of a record. */
  | 'TFRECORD_TRUNCATED'
  /** A length field asks for more than the configured limit (protects against hostile input). */
  | 'CODEC_LIMIT_EXCEEDED'
  /** A file's format could not be told from its name, or is not supported. */
  | 'FORMAT_UNKNOWN'
  /** A file could not be opened or read. */
  | 'IO_ERROR'
  /** A command line was used wrongly. */
  | 'USAGE'
  /**
   * A runtime connection broke the wire protocol: a frame longer than the limit, a header that
   * is not a known message, an unsupported protocol version, a message out of order.
   */
  | 'PROTOCOL_ERROR'
  /** A runtime connection presented a wrong auth token in its hello; it is refused and closed. */
  | 'AUTH_FAILED'
  /** A message was sent on, or awaited from, a runtime connection that is closed. */
  | 'CONNECTION_CLOSED'
  /** A role process (worker or parameter server) died, crashed, hung or ran out of memory. */
  | 'ROLE_FAILED'
  /** `connectRole()` ran outside a role process: its `TFSTREAM_*` environment is missing or bad. */
  | 'ROLE_ENV_INVALID'
  /** A run failed: a role exhausted its restarts, or the cluster could not form in time. */
  | 'CLUSTER_FAILED'
  /** A run was cancelled before it finished; pending waits on it reject with this code. */
  | 'CLUSTER_CANCELLED'
  /**
   * A job document is not valid: a missing or unknown property, a value out of range, a mode or
   * transfer that does not fit the input, a schema or model file that cannot be read. The message
   * names the JSON path, e.g. `cluster.workers`.
   */
  | 'JOB_INVALID'
  /** The model's TypeScript source does not compile; the message gives `file:line:column`. */
  | 'COMPILE_ERROR'
  /**
   * The model code threw while it was loaded or run; the message gives `file:line:column` in the
   * user's own source, mapped back through the source map.
   */
  | 'USER_CODE_ERROR'
  /**
   * A field's values cannot become a tensor: a type with no tensor form (timestamp), a null row
   * without `fillNull`, a list without `pad`, or a value outside int32. Names the field and row.
   */
  | 'TENSOR_CONVERSION'
  /**
   * What model code wrote does not fit the job's output schema: an unknown or missing field, a
   * wrong dtype or shape, rows of unequal count. Names the field and, where it can, the row.
   */
  | 'OUTPUT_SCHEMA_MISMATCH'
  /**
   * The job context was used wrongly: no runtime installed, a second runtime installed, the
   * context used after it was closed, or a call that the role does not allow.
   */
  | 'CONTEXT_ERROR'
  /** No TensorFlow.js backend could be started, or another backend was already chosen. */
  | 'ENGINE_ERROR'
  /**
   * A parameter session failed: the model's variables differ from those on the parameter
   * servers, the model is not compiled, or the session was used after it was closed.
   */
  | 'SESSION_ERROR'
  /**
   * A model definition (`defineModel`) is incomplete or returned the wrong thing: `build` gave no
   * LayersModel, `features` gave no labels to train on, no `output` to run inference with.
   */
  | 'MODEL_INVALID'
  /** A hyperparameter given to a run is unknown to the model or has the wrong type. */
  | 'HYPERPARAMETER_INVALID';

/** Where an error happened, as precisely as the codec can tell. All parts are optional. */
export interface ErrorLocation {
  /** File name or source label, e.g. `data.csv`. */
  file?: string;
  /** 1-based record number within the file or stream. */
  record?: number;
  /** Field name. */
  field?: string;
  /** Byte offset in the (decompressed) stream, for binary formats. */
  offset?: number;
  /** 1-based line number, for text formats. */
  line?: number;
}

/**
 * The one error class of tfstream. Its `message` is the whole human-readable line, in the form
 * `CODE: file: record N: field "f": detail`, so printing `err.message` is always enough.
 *
 * @example
 * ```ts
 * throw new TfstreamError('CODEC_TYPE_MISMATCH', 'expected int32, got "abc"', {
 *   file: 'data.csv', record: 17, field: 'age',
 * });
 * // CODEC_TYPE_MISMATCH: data.csv: record 17: field "age": expected int32, got "abc"
 * ```
 */
export class TfstreamError extends Error {
  override readonly name = 'TfstreamError';
  readonly code: ErrorCode;
  /** The message without code and location. */
  readonly detail: string;
  readonly location: Readonly<ErrorLocation>;

  constructor(
    code: ErrorCode,
    detail: string,
    location: ErrorLocation = {},
    options?: ErrorOptions,
  ) {
    super(formatErrorMessage(code, detail, location), options);
    this.code = code;
    this.detail = detail;
    this.location = { ...location };
  }

  /** A copy of this error with more location filled in (existing parts win). */
  at(location: ErrorLocation): TfstreamError {
    const merged: ErrorLocation = { ...location, ...definedOnly(this.location) };
    return new TfstreamError(this.code, this.detail, merged, { cause: this.cause });
  }

  toJSON(): { code: ErrorCode; message: string; detail: string; location: ErrorLocation } {
    return { code: this.code, message: this.message, detail: this.detail, location: this.location };
  }
}

/** Whether `error` is a {@link TfstreamError}, optionally with the given code. */
export function isTfstreamError(error: unknown, code?: ErrorCode): error is TfstreamError {
  return error instanceof TfstreamError && (code === undefined || error.code === code);
}

function definedOnly(location: ErrorLocation): ErrorLocation {
  const out: ErrorLocation = {};
  for (const [key, value] of Object.entries(location)) {
    if (value !== undefined) {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

function formatErrorMessage(code: ErrorCode, detail: string, location: ErrorLocation): string {
  const parts: string[] = [code];
  if (location.file !== undefined) {
    parts.push(location.file);
  }
  if (location.record !== undefined) {
    parts.push(`record ${location.record}`);
  }
  if (location.line !== undefined && location.record === undefined) {
    parts.push(`line ${location.line}`);
  }
  if (location.offset !== undefined) {
    parts.push(`byte offset ${location.offset}`);
  }
  if (location.field !== undefined) {
    parts.push(`field ${JSON.stringify(location.field)}`);
  }
  parts.push(detail);
  return parts.join(': ');
}
