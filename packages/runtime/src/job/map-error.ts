// Maps exceptions thrown by compiled model code back to the user's TypeScript source.
import { SourceMap } from 'node:module';
import { TfstreamError, isTfstreamError } from '@tfstream/schema';
import type { SourcePosition } from './code-frame.js';
import { codeFrame, formatPosition } from './code-frame.js';
import type { CompiledModel } from './compile.js';

/** One frame of a V8 stack trace, mapped to the user's source when it is in the model. */
export interface StackFrame {
  /** `train`, `Model.fit`, `new Trainer`; absent for anonymous top-level code. */
  readonly functionName?: string;
  /** Whether V8 marked it `async` (a frame of an awaiting caller). */
  readonly async: boolean;
  /** The user's file (e.g. `model.ts`) when mapped; else the URL or path V8 gave. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Whether the frame is in the model and was mapped through its source map. */
  readonly mapped: boolean;
}

/**
 * Model code threw while it was loaded or run. The message names the position in the user's
 * source (`USER_CODE_ERROR: model.ts:7:11: Error: boom`); `stack` adds the code frame and the
 * mapped stack; `cause` is the original exception.
 */
export class UserCodeError extends TfstreamError {
  /** The innermost frame in the user's source, if any frame was. */
  readonly position?: SourcePosition;
  /** The whole stack, model frames mapped to the user's source. */
  readonly frames: readonly StackFrame[];
  /** The user's source lines around `position`, with a caret under it; empty without position. */
  readonly codeFrame: string;

  constructor(
    detail: string,
    position: SourcePosition | undefined,
    frames: readonly StackFrame[],
    frame: string,
    options?: ErrorOptions,
  ) {
    super('USER_CODE_ERROR', detail, {}, options);
    if (position !== undefined) {
      this.position = position;
    }
    this.frames = frames;
    this.codeFrame = frame;
    this.stack = [this.message, frame, frames.map(formatFrame).join('\n')]
      .filter((part) => part !== '')
      .join('\n\n');
  }
}

/** `    at async train (model.ts:12:3)` */
function formatFrame(frame: StackFrame): string {
  const where = `${frame.file}:${frame.line}:${frame.column}`;
  const name = `${frame.async ? 'async ' : ''}${frame.functionName ?? ''}`;
  return name === '' ? `    at ${where}` : `    at ${name} (${where})`;
}

// `    at [async ][name (]location:line:column[)]`; frames without a position (native,
// `Promise.all (index 0)`) do not match and are left out.
const FRAME = /^\s*at (async )?(?:(.*?) \()?((?:[a-z]+:)?[^()]*?):(\d+):(\d+)\)?$/;

const maps = new WeakMap<CompiledModel, SourceMap>();

function sourceMapOf(compiled: CompiledModel): SourceMap {
  let map = maps.get(compiled);
  if (map === undefined) {
    // Node's SourceMap takes a mutable payload type; the map is only read.
    map = new SourceMap(
      structuredClone(compiled.map) as ConstructorParameters<typeof SourceMap>[0],
    );
    maps.set(compiled, map);
  }
  return map;
}

/** V8's stack frames of `stack`, the model's mapped to the user's source. */
export function mapStack(stack: string, compiled: CompiledModel): StackFrame[] {
  const frames: StackFrame[] = [];
  const suffix = `/${compiled.outputFile}`;
  for (const text of stack.split('\n')) {
    const match = FRAME.exec(text);
    if (match === null) {
      continue;
    }
    const [, isAsync, functionName, file, line, column] = match;
    const frame: StackFrame = {
      ...(functionName === undefined || functionName === '' ? {} : { functionName }),
      async: isAsync !== undefined,
      file: file!,
      line: Number(line),
      column: Number(column),
      mapped: false,
    };
    frames.push(file!.endsWith(suffix) ? mapFrame(frame, compiled) : frame);
  }
  return frames;
}

function mapFrame(frame: StackFrame, compiled: CompiledModel): StackFrame {
  const entry = sourceMapOf(compiled).findEntry(frame.line - 1, frame.column - 1);
  // findEntry falls back to an earlier line when this one has no mapping: that would lie.
  if (!('originalSource' in entry) || entry.generatedLine !== frame.line - 1) {
    return frame;
  }
  return {
    ...frame,
    file: entry.originalSource,
    line: entry.originalLine + 1,
    column: entry.originalColumn + 1,
    mapped: true,
  };
}

function headline(error: unknown): string {
  if (error instanceof Error) {
    return error.message === '' ? error.name : `${error.name}: ${error.message}`;
  }
  let text: string;
  try {
    text = JSON.stringify(error) ?? String(error);
  } catch {
    text = String(error);
  }
  return `threw ${text}, which is not an Error and so has no stack; throw new Error(...) instead`;
}

/**
 * Turns an exception thrown by a compiled model into a `USER_CODE_ERROR` positioned in the
 * user's source: the innermost stack frame in the model, mapped through the source map, gives
 * `file:line:column`; the error also carries the code frame there and the whole mapped stack.
 * A `UserCodeError` is returned as it is.
 *
 * @example
 * ```ts
 * try {
 *   await model.train(batch);
 * } catch (error) {
 *   throw mapErrorToSource(error, compiled); // USER_CODE_ERROR: model.ts:7:11: Error: boom
 * }
 * ```
 */
export function mapErrorToSource(error: unknown, compiled: CompiledModel): UserCodeError {
  if (isTfstreamError(error, 'USER_CODE_ERROR') && error instanceof UserCodeError) {
    return error;
  }
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const frames = mapStack(stack, compiled);
  const inner = frames.find((frame) => frame.mapped);
  const position: SourcePosition | undefined =
    inner === undefined ? undefined : { file: inner.file, line: inner.line, column: inner.column };
  let frame = '';
  if (position !== undefined) {
    const index = compiled.map.sources.indexOf(position.file);
    const text = compiled.map.sourcesContent?.[index];
    frame = typeof text === 'string' ? codeFrame(text, position.line, position.column) : '';
  }
  const where = position === undefined ? compiled.fileName : formatPosition(position);
  return new UserCodeError(`${where}: ${headline(error)}`, position, frames, frame, {
    cause: error,
  });
}
