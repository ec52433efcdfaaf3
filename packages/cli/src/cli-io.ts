import { readFile } from 'node:fs/promises';
import type { Schema } from '@tfstream/schema';
import { TfstreamError, parseSchema, schemaFromPbtxt } from '@tfstream/schema';

/** Where a command writes; tests pass their own to capture output. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A usage error: exit code 2. */
export function usage(detail: string): TfstreamError {
  return new TfstreamError('USAGE', detail);
}

/** Writes to a stream and waits when it is full, so that piping into `head` stays bounded. */
export async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) {
    await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
}

/** Loads a schema file: a tfstream schema `.json`, or a TensorFlow Metadata `.pbtxt`. */
export async function loadSchemaFile(path: string): Promise<Schema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TfstreamError('IO_ERROR', (error as Error).message, { file: path });
  }
  if (path.endsWith('.pbtxt') || path.endsWith('.textproto')) {
    return schemaFromPbtxt(text, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TfstreamError('SCHEMA_INVALID', `not valid JSON: ${(error as Error).message}`, {
      file: path,
    });
  }
  const doc = json as { input?: { schema?: unknown } };
  // A job document carries its input schema; accept it too.
  return parseSchema(doc.input?.schema ?? json, path);
}

/** Parses a positive whole number option. */
export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw usage(`--${name} takes a whole number, got ${JSON.stringify(value)}`);
  }
  return n;
}
