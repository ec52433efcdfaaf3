// The runtime's run events as the studio's events (`@tfstream/studio-api`): plain JSON (int64 as
// numbers or decimal strings, bytes as base64), errors in user code positioned in `model.ts`.
import type { JsonValue } from '@tfstream/codecs';
import { toJsonValue } from '@tfstream/codecs';
import type { RunEvent, RunOutcome } from '@tfstream/runtime';
import type { Field, Schema, Value } from '@tfstream/schema';
import { encodeBase64, formatFloat32 } from '@tfstream/schema';
import type {
  OutputStudioEvent,
  RunOutcomeJson,
  UnnumberedStudioEvent,
} from '@tfstream/studio-api';

/** Output rows per event at most, so that one event stays small. */
const ROWS_PER_EVENT = 500;

/** `model.ts:7:11` in an error message: where in the user's source it happened. */
export function sourceLocationOf(
  message: string,
  fileName = 'model.ts',
): { line: number; column: number } | undefined {
  const escaped = fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?:^|[\\s(/])${escaped}:(\\d+):(\\d+)`).exec(message);
  return match === null ? undefined : { line: Number(match[1]), column: Number(match[2]) };
}

/** A value as JSON when its field is not known: the same forms as `toJsonValue` gives. */
function looseJson(value: Value | undefined): JsonValue {
  if (value === null || value === undefined) {
    return null;
  }
  if (Array.isArray(value)) {
    return value.map((element: Value) => looseJson(element));
  }
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) {
    return encodeBase64(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      return String(value);
    }
    // A float32 (most tensor outputs) in its shortest form: 0.1, not 0.10000000149011612.
    return !Number.isInteger(value) && Math.fround(value) === value
      ? Number(formatFloat32(value))
      : value;
  }
  return value as JsonValue;
}

/** Turns output rows into JSON rows, by the output schema when the job gives one. */
export class OutputRowWriter {
  readonly #fields: Map<string, Field> | undefined;

  constructor(schema: Schema | undefined) {
    this.#fields =
      schema === undefined ? undefined : new Map(schema.fields.map((field) => [field.name, field]));
  }

  row(row: Readonly<Record<string, Value>>): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(row)) {
      const field = this.#fields?.get(name);
      try {
        out[name] = field === undefined ? looseJson(value) : toJsonValue(field, value);
      } catch {
        out[name] = looseJson(value);
      }
    }
    return out;
  }

  /** Output events of at most {@link ROWS_PER_EVENT} rows each. */
  events(
    rows: readonly {
      readonly key: string | number | bigint;
      readonly row: Record<string, Value>;
    }[],
    at: number,
  ): Omit<OutputStudioEvent, 'seq'>[] {
    const events: Omit<OutputStudioEvent, 'seq'>[] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_EVENT) {
      events.push({
        type: 'output',
        at,
        rows: rows
          .slice(start, start + ROWS_PER_EVENT)
          .map(({ key, row }) => ({ key: String(key), row: this.row(row) })),
      });
    }
    return events;
  }
}

/** A worker's `ctx.summary` payload (the SDK's `HistogramSummary`), checked loosely. */
function histogramOf(summary: unknown):
  | {
      name: string;
      step: number;
      histogram: { min: number; max: number; count: number; edges: number[]; counts: number[] };
    }
  | undefined {
  if (typeof summary !== 'object' || summary === null) {
    return undefined;
  }
  const s = summary as Record<string, unknown>;
  const numbers = (value: unknown): number[] | undefined =>
    Array.isArray(value) && value.every((v) => typeof v === 'number') ? value : undefined;
  const edges = numbers(s.edges);
  const counts = numbers(s.counts);
  if (typeof s.name !== 'string' || edges === undefined || counts === undefined) {
    return undefined;
  }
  const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return {
    name: s.name,
    step: num(s.step),
    histogram: { min: num(s.min), max: num(s.max), count: num(s.count), edges, counts },
  };
}

/**
 * The studio event for a runtime event; `undefined` for the ones the studio does not show.
 * Progress and output events are handled by the host (throttled, split) and not converted here.
 */
export function studioEvent(
  event: Exclude<RunEvent, { type: 'progress' | 'output' }>,
): UnnumberedStudioEvent | undefined {
  switch (event.type) {
    case 'state':
      return {
        type: 'state',
        at: event.at,
        state: event.state,
        ...(event.previous === undefined ? {} : { previous: event.previous }),
        reason: event.reason,
      };
    case 'role': {
      const message =
        event.error?.message ??
        (event.phase === 'exited'
          ? `exited with ${event.signal ? `signal ${event.signal}` : `code ${event.exitCode ?? '?'}`}`
          : undefined);
      return {
        type: 'role',
        at: event.at,
        phase: event.phase,
        role: event.role,
        index: event.index,
        attempt: event.attempt,
        pid: event.pid,
        ...(message === undefined ? {} : { message }),
      };
    }
    case 'log': {
      const location = event.level === 'error' ? sourceLocationOf(event.message) : undefined;
      return {
        type: 'log',
        at: event.at,
        role: event.role,
        index: event.index,
        level: event.level,
        message: event.message,
        ...(location === undefined ? {} : { sourceLocation: location }),
      };
    }
    case 'metric':
      return {
        type: 'metric',
        at: event.at,
        role: event.role,
        index: event.index,
        name: event.name,
        value: event.value,
        step: event.step,
      };
    case 'summary': {
      const histogram = histogramOf(event.summary);
      return histogram === undefined
        ? undefined
        : { type: 'summary', at: event.at, role: 'worker', index: event.index, ...histogram };
    }
  }
}

/** The runtime's outcome as JSON (metrics that are not finite numbers are left out). */
export function outcomeJson(outcome: RunOutcome): RunOutcomeJson {
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(outcome.metrics)) {
    if (Number.isFinite(value)) {
      metrics[name] = value;
    }
  }
  return {
    state: outcome.state,
    recordsIn: outcome.recordsIn,
    recordsOut: outcome.recordsOut,
    rowsWritten: outcome.rowsWritten,
    duplicatesDropped: outcome.duplicatesDropped,
    durationMs: outcome.durationMs,
    metrics,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
  };
}

/** The outcome of a run that never got going (or whose host died). */
export function failedOutcome(
  state: RunOutcomeJson['state'],
  reason: string,
  startedAt: number,
): RunOutcomeJson {
  return {
    state,
    recordsIn: 0,
    recordsOut: 0,
    rowsWritten: 0,
    duplicatesDropped: 0,
    durationMs: Date.now() - startedAt,
    metrics: {},
    reason,
  };
}
