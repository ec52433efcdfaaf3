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
  | 'USAGE';

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
