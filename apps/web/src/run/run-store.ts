// The events of one run, applied exactly once in seq order into bounded buffers that the run view
// reads: state timeline, roles, logs, metric series, progress, output rows (append and by key),
// histograms and the outcome. Pure: no DOM, no React, no socket.
import type {
  EndStudioEvent,
  LogStudioEvent,
  ProgressStudioEvent,
  RoleStudioEvent,
  RunOutcomeJson,
  StateStudioEvent,
  StudioEvent,
  SummaryStudioEvent,
} from '@tfstream/studio-api';

export type RunState = StateStudioEvent['state'];

/** How much of a run the store keeps; older entries are dropped first. */
export interface RunStoreOptions {
  readonly maxLogs?: number;
  readonly maxRows?: number;
  readonly maxPoints?: number;
  readonly maxSummarySteps?: number;
  readonly maxTimeline?: number;
}

/** One output row as the table shows it. */
export interface OutputRow {
  readonly key: string;
  readonly row: Readonly<Record<string, unknown>>;
  /** Seq of the event that brought it. */
  readonly seq: number;
  /** How many times its key was written (1 for a row never replaced). */
  readonly writes: number;
}

/** A metric of one role, or a series derived from progress events (`role: 'coordinator'`). */
export interface MetricSeries {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly index: number;
  /** x: the metric's step, or the time (ms) for series derived from progress. */
  readonly xs: number[];
  readonly ys: number[];
}

export interface RoleStatus {
  readonly role: 'worker' | 'ps';
  readonly index: number;
  readonly phase: RoleStudioEvent['phase'];
  readonly attempt: number;
  readonly pid: number;
  readonly at: number;
}

export type TimelineEvent = StateStudioEvent | RoleStudioEvent;

/** A log line numbered from 0 in arrival order, so filters survive trimming. */
export interface StoredLog {
  readonly ordinal: number;
  readonly event: LogStudioEvent;
}

/** Parts of a run that change independently: `timeline` is the states and the roles. */
export type RunPart = 'timeline' | 'logs' | 'metrics' | 'rows' | 'summaries';

const TERMINAL: readonly RunState[] = ['finished', 'failed', 'cancelled'];

export function isTerminal(state: RunState | undefined): boolean {
  return state !== undefined && TERMINAL.includes(state);
}

/** Drops the front of an array once it is a quarter over `max`, so trimming is amortised O(1). */
function trimFront<T>(items: T[], max: number): number {
  if (items.length <= max + (max >> 2)) {
    return 0;
  }
  const drop = items.length - max;
  items.splice(0, drop);
  return drop;
}

export class RunStore {
  readonly maxLogs: number;
  readonly maxRows: number;
  readonly maxPoints: number;
  readonly maxSummarySteps: number;
  readonly maxTimeline: number;

  /** Last applied seq; a reconnect asks for events after it. */
  lastSeq = 0;
  /** Events that arrived again (seq already applied) and were ignored. */
  duplicates = 0;
  /** Seqs that were missing when a later one arrived (should stay 0). */
  gaps = 0;
  /** Bumped on every change, for subscribers that redraw on change. */
  version = 0;
  /** Bumped per part of the run that changed, so that a view redraws only those parts. */
  readonly versions: Record<RunPart, number> = {
    timeline: 0,
    logs: 0,
    metrics: 0,
    rows: 0,
    summaries: 0,
  };

  state: RunState | undefined;
  timeline: TimelineEvent[] = [];
  readonly roles = new Map<string, RoleStatus>();

  logs: StoredLog[] = [];
  logsTotal = 0;
  /** Log lines that point into the model source, for editor markers (bounded). */
  sourceErrors: LogStudioEvent[] = [];

  readonly metrics = new Map<string, MetricSeries>();
  progress: ProgressStudioEvent | undefined;

  /** Rows by key, in first-arrival order; a later row with the same key replaces it in place. */
  rows: OutputRow[] = [];
  /** Every row as it arrived (a replaced key appears again). */
  appended: OutputRow[] = [];
  rowsReceived = 0;
  private readonly rowIndex = new Map<string, number>();
  /** Absolute position of rows[0]: rows dropped from the front so far. */
  private rowBase = 0;

  readonly summaries = new Map<string, SummaryStudioEvent[]>();
  outcome: RunOutcomeJson | undefined;
  startedAt: number | undefined;
  endedAt: number | undefined;

  constructor(options: RunStoreOptions = {}) {
    this.maxLogs = options.maxLogs ?? 50_000;
    this.maxRows = options.maxRows ?? 100_000;
    this.maxPoints = options.maxPoints ?? 4_000;
    this.maxSummarySteps = options.maxSummarySteps ?? 60;
    this.maxTimeline = options.maxTimeline ?? 2_000;
  }

  /** Applies events in order, each seq once; returns how many were new. */
  apply(events: readonly StudioEvent[]): number {
    let applied = 0;
    for (const event of events) {
      if (event.seq <= this.lastSeq) {
        this.duplicates++;
        continue;
      }
      if (event.seq > this.lastSeq + 1) {
        this.gaps += event.seq - this.lastSeq - 1;
      }
      this.lastSeq = event.seq;
      this.applyOne(event);
      applied++;
    }
    if (applied > 0) {
      this.version++;
    }
    return applied;
  }

  /** Whether the run is over and its last event applied. */
  get ended(): boolean {
    return this.outcome !== undefined;
  }

  /** The output rows the table shows in a mode. */
  outputRows(mode: 'update' | 'append'): readonly OutputRow[] {
    return mode === 'update' ? this.rows : this.appended;
  }

  /** The current row of a key, if it is still kept. */
  rowByKey(key: string): OutputRow | undefined {
    const position = this.rowIndex.get(key);
    return position === undefined ? undefined : this.rows[position - this.rowBase];
  }

  private applyOne(event: StudioEvent): void {
    this.startedAt ??= event.at;
    switch (event.type) {
      case 'state':
        this.state = event.state;
        this.pushTimeline(event);
        this.versions.timeline++;
        break;
      case 'role':
        this.roles.set(`${event.role} ${event.index}`, {
          role: event.role,
          index: event.index,
          phase: event.phase,
          attempt: event.attempt,
          pid: event.pid,
          at: event.at,
        });
        this.pushTimeline(event);
        this.versions.timeline++;
        break;
      case 'log':
        this.logs.push({ ordinal: this.logsTotal++, event });
        trimFront(this.logs, this.maxLogs);
        if (event.sourceLocation !== undefined) {
          this.sourceErrors.push(event);
          trimFront(this.sourceErrors, 200);
        }
        this.versions.logs++;
        break;
      case 'metric':
        this.point(event.name, event.role, event.index, event.step, event.value);
        this.versions.metrics++;
        break;
      case 'progress':
        this.applyProgress(event);
        this.versions.metrics++;
        break;
      case 'output':
        this.applyOutput(event.seq, event.rows);
        this.versions.rows++;
        break;
      case 'summary':
        this.applySummary(event);
        this.versions.summaries++;
        break;
      case 'end':
        this.applyEnd(event);
        break;
      default:
        break;
    }
  }

  private pushTimeline(event: TimelineEvent): void {
    this.timeline.push(event);
    trimFront(this.timeline, this.maxTimeline);
  }

  private point(name: string, role: string, index: number, x: number, y: number): void {
    const id = `${name}|${role}|${index}`;
    let series = this.metrics.get(id);
    if (series === undefined) {
      series = { id, name, role, index, xs: [], ys: [] };
      this.metrics.set(id, series);
    }
    series.xs.push(x);
    series.ys.push(y);
    if (series.xs.length > this.maxPoints) {
      // Halve the resolution: keep every other point, always the newest.
      const keep = (_: number, i: number, all: number[]) => (all.length - 1 - i) % 2 === 0;
      const xs = series.xs.filter(keep);
      const ys = series.ys.filter(keep);
      series.xs.length = 0;
      series.ys.length = 0;
      series.xs.push(...xs);
      series.ys.push(...ys);
    }
  }

  private applyProgress(event: ProgressStudioEvent): void {
    this.progress = event;
    if (event.throughput !== undefined) {
      this.point('throughput', 'coordinator', 0, event.at, event.throughput);
    }
    if (event.latencyP50Ms !== undefined) {
      this.point('latency', 'p50', 0, event.at, event.latencyP50Ms);
    }
    if (event.latencyP99Ms !== undefined) {
      this.point('latency', 'p99', 0, event.at, event.latencyP99Ms);
    }
  }

  private applyOutput(
    seq: number,
    rows: readonly { readonly key: string; readonly row: Readonly<Record<string, unknown>> }[],
  ): void {
    for (const { key, row } of rows) {
      this.rowsReceived++;
      const position = this.rowIndex.get(key);
      let stored: OutputRow;
      if (position !== undefined && position >= this.rowBase) {
        const previous = this.rows[position - this.rowBase]!;
        stored = { key, row, seq, writes: previous.writes + 1 };
        this.rows[position - this.rowBase] = stored;
      } else {
        stored = { key, row, seq, writes: 1 };
        this.rowIndex.set(key, this.rowBase + this.rows.length);
        this.rows.push(stored);
      }
      this.appended.push(stored);
    }
    this.trimRows();
    trimFront(this.appended, this.maxRows);
  }

  private trimRows(): void {
    if (this.rows.length <= this.maxRows + (this.maxRows >> 2)) {
      return;
    }
    const drop = this.rows.length - this.maxRows;
    for (let i = 0; i < drop; i++) {
      const key = this.rows[i]!.key;
      if (this.rowIndex.get(key) === this.rowBase + i) {
        this.rowIndex.delete(key);
      }
    }
    this.rows.splice(0, drop);
    this.rowBase += drop;
  }

  private applySummary(event: SummaryStudioEvent): void {
    let steps = this.summaries.get(event.name);
    if (steps === undefined) {
      steps = [];
      this.summaries.set(event.name, steps);
    }
    steps.push(event);
    if (steps.length > this.maxSummarySteps) {
      // Keep the first step, so the ridge plot still shows where training started.
      steps.splice(1, steps.length - this.maxSummarySteps);
    }
  }

  private applyEnd(event: EndStudioEvent): void {
    this.outcome = event.outcome;
    this.state = event.outcome.state;
    this.endedAt = event.at;
  }
}
