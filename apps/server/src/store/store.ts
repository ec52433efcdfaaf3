// Everything the studio keeps: jobs and their versions, runs and their numbered events, share
// snapshots. One SQLite file (WAL) in the data folder; every call is synchronous (better-sqlite3),
// so a caller that reads and then subscribes in one tick never misses an event.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { JobJson, RunState } from '@tfstream/runtime';
import type {
  JobRecord,
  JobSummary,
  JobVersionSummary,
  RunOutcomeJson,
  RunRecord,
  RunSummary,
  ShareSnapshot,
  StudioEvent,
} from '@tfstream/studio-api';

/** How much of a run's events the store keeps (the tail), and how long series are thinned. */
export const EVENT_LIMITS = {
  /** Output rows (the oldest output events are dropped beyond it). */
  outputRows: 100_000,
  logLines: 20_000,
  /** Points per metric series (role, index, name); older points are thinned beyond it. */
  metricPoints: 5_000,
  /** Metric points of a run in all (a run with very many series). */
  metricTotal: 50_000,
  progress: 5_000,
  /** Histograms per summary name, and in all. */
  summaries: 500,
  summaryTotal: 5_000,
} as const;

/** Of a shared run, the snapshot keeps the last this many log lines and output rows. */
const SHARE_TAIL = { logLines: 2_000, outputRows: 2_000 } as const;

/** Slack before trimming, so that a run over a limit is not trimmed on every flush. */
const SLACK = 1.1;

const TERMINAL: readonly RunState[] = ['finished', 'failed', 'cancelled'];

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  mode TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  origin_kind TEXT,
  origin_id TEXT
);
CREATE TABLE IF NOT EXISTS job_versions (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  job TEXT NOT NULL,
  saved_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  job_version INTEGER NOT NULL,
  job_name TEXT NOT NULL,
  job TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job_id, created_at);
CREATE TABLE IF NOT EXISTS run_events (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  series TEXT,
  n INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_events_by_type ON run_events (run_id, type, series, seq);
CREATE TABLE IF NOT EXISTS shares (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  job_name TEXT NOT NULL,
  job_version INTEGER NOT NULL,
  job TEXT NOT NULL,
  run_summary TEXT,
  run_events TEXT
);
`;

interface JobRow {
  id: string;
  name: string;
  description: string;
  mode: JobJson['mode'];
  version: number;
  created_at: number;
  updated_at: number;
  origin_kind: 'template' | 'share' | 'job' | null;
  origin_id: string | null;
}

interface RunRow {
  id: string;
  job_id: string;
  job_version: number;
  job_name: string;
  job: string;
  state: RunState;
  created_at: number;
  ended_at: number | null;
  outcome: string | null;
  last_seq: number;
}

interface ShareRow {
  id: string;
  created_at: number;
  job_name: string;
  job_version: number;
  job: string;
  run_summary: string | null;
  run_events: string | null;
}

/** One stored event: its seq and its JSON text (the whole {@link StudioEvent}). */
export interface StoredEvent {
  readonly seq: number;
  readonly data: string;
}

/** Counts of one run's stored events, for trimming. */
interface RunCounts {
  outputRows: number;
  logLines: number;
  progress: number;
  metricTotal: number;
  summaryTotal: number;
  /** Events per metric or summary series. */
  series: Map<string, number>;
}

/** A new random id: `bytes` random bytes, base64url. */
export function newId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

/** The type, series and size columns of an event. */
function eventColumns(event: StudioEvent): { series: string | null; n: number } {
  switch (event.type) {
    case 'metric':
      return { series: `m:${event.role}:${event.index}:${event.name}`, n: 1 };
    case 'summary':
      return { series: `s:${event.index}:${event.name}`, n: 1 };
    case 'output':
      return { series: null, n: event.rows.length };
    case 'state':
    case 'role':
    case 'log':
    case 'progress':
    case 'end':
      return { series: null, n: 1 };
  }
}

/**
 * The studio's database. Open with {@link Store.open}; {@link close} is idempotent.
 */
export class Store {
  readonly #db: Database.Database;
  readonly #counts = new Map<string, RunCounts>();
  #closed = false;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating) the database file, in WAL mode. */
  static open(file: string): Store {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA_SQL);
    return new Store(db);
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
  }

  // --- jobs ---

  createJob(job: JobJson, origin?: JobSummary['origin']): JobRecord {
    const id = newId();
    const now = Date.now();
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO jobs (id, name, description, mode, version, created_at, updated_at, origin_kind, origin_id)
           VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`,
        )
        .run(
          id,
          job.name,
          job.description ?? '',
          job.mode,
          now,
          now,
          origin?.kind ?? null,
          origin?.id ?? null,
        );
      this.#db
        .prepare('INSERT INTO job_versions (job_id, version, job, saved_at) VALUES (?, 1, ?, ?)')
        .run(id, JSON.stringify(job), now);
    })();
    return this.job(id)!;
  }

  /**
   * Saves a new version when `baseVersion` is the latest; answers `'conflict'` when another save
   * came in between, `undefined` when the job does not exist.
   */
  saveJob(id: string, job: JobJson, baseVersion: number): JobRecord | 'conflict' | undefined {
    const now = Date.now();
    const saved = this.#db.transaction((): boolean | undefined => {
      const row = this.#jobRow(id);
      if (row === undefined) {
        return undefined;
      }
      if (row.version !== baseVersion) {
        return false;
      }
      const version = row.version + 1;
      this.#db
        .prepare(
          'UPDATE jobs SET name = ?, description = ?, mode = ?, version = ?, updated_at = ? WHERE id = ?',
        )
        .run(job.name, job.description ?? '', job.mode, version, now, id);
      this.#db
        .prepare('INSERT INTO job_versions (job_id, version, job, saved_at) VALUES (?, ?, ?, ?)')
        .run(id, version, JSON.stringify(job), now);
      return true;
    })();
    if (saved === undefined) {
      return undefined;
    }
    return saved ? this.job(id)! : 'conflict';
  }

  /** The job at `version` (default: latest). */
  job(id: string, version?: number): JobRecord | undefined {
    const row = this.#jobRow(id);
    if (row === undefined) {
      return undefined;
    }
    const stored = this.#db
      .prepare<[string, number], { job: string }>(
        'SELECT job FROM job_versions WHERE job_id = ? AND version = ?',
      )
      .get(id, version ?? row.version);
    if (stored === undefined) {
      return undefined;
    }
    // A past version answers with its own number (what a save would start from).
    return {
      ...this.#jobSummary(row),
      version: version ?? row.version,
      job: JSON.parse(stored.job) as JobJson,
    };
  }

  /** Every job, most recently updated first. */
  jobs(): JobSummary[] {
    return this.#db
      .prepare<[], JobRow>('SELECT * FROM jobs ORDER BY updated_at DESC, id')
      .all()
      .map((row) => this.#jobSummary(row));
  }

  jobVersions(id: string): JobVersionSummary[] | undefined {
    if (this.#jobRow(id) === undefined) {
      return undefined;
    }
    return this.#db
      .prepare<[string], { version: number; saved_at: number }>(
        'SELECT version, saved_at FROM job_versions WHERE job_id = ? ORDER BY version DESC',
      )
      .all(id)
      .map((row) => ({ version: row.version, savedAt: row.saved_at }));
  }

  /** Deletes a job with its versions, runs and their events; false when it did not exist. */
  deleteJob(id: string): boolean {
    for (const run of this.runs(id)) {
      this.#counts.delete(run.id);
    }
    return this.#db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0;
  }

  #jobRow(id: string): JobRow | undefined {
    return this.#db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  }

  #jobSummary(row: JobRow): JobSummary {
    const last = this.#db
      .prepare<[string], RunRow>(
        'SELECT * FROM runs WHERE job_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
      )
      .get(row.id);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      mode: row.mode,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(row.origin_kind === null || row.origin_id === null
        ? {}
        : { origin: { kind: row.origin_kind, id: row.origin_id } }),
      ...(last === undefined ? {} : { lastRun: runSummary(last) }),
    };
  }

  // --- runs ---

  createRun(jobId: string, jobVersion: number, job: JobJson): RunRecord {
    const id = newId();
    this.#db
      .prepare(
        `INSERT INTO runs (id, job_id, job_version, job_name, job, state, created_at)
         VALUES (?, ?, ?, ?, ?, 'initialising', ?)`,
      )
      .run(id, jobId, jobVersion, job.name, JSON.stringify(job), Date.now());
    return this.run(id)!;
  }

  run(id: string): RunRecord | undefined {
    const row = this.#runRow(id);
    return row === undefined
      ? undefined
      : { ...runSummary(row), job: JSON.parse(row.job) as JobJson };
  }

  runSummary(id: string): RunSummary | undefined {
    const row = this.#runRow(id);
    return row === undefined ? undefined : runSummary(row);
  }

  /** The runs of a job, newest first. */
  runs(jobId: string): RunSummary[] {
    return this.#db
      .prepare<[string], RunRow>(
        'SELECT * FROM runs WHERE job_id = ? ORDER BY created_at DESC, rowid DESC',
      )
      .all(jobId)
      .map(runSummary);
  }

  /** Runs that had not ended, e.g. when the server stopped without ending them. */
  unfinishedRuns(): RunSummary[] {
    const placeholders = TERMINAL.map(() => '?').join(', ');
    return this.#db
      .prepare<RunState[], RunRow>(
        `SELECT * FROM runs WHERE state NOT IN (${placeholders}) ORDER BY created_at`,
      )
      .all(...TERMINAL)
      .map(runSummary);
  }

  #runRow(id: string): RunRow | undefined {
    return this.#db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?').get(id);
  }

  // --- events ---

  /**
   * Stores numbered events of a run (seq from `lastSeq + 1`, in order) in one transaction and
   * updates the run's state, end and last seq from them; then trims the run to its limits.
   */
  appendEvents(runId: string, events: readonly StudioEvent[]): void {
    if (events.length === 0) {
      return;
    }
    const counts = this.#countsOf(runId);
    const insert = this.#db.prepare(
      'INSERT INTO run_events (run_id, seq, type, series, n, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#db.transaction(() => {
      let state: RunState | undefined;
      let end: { at: number; outcome: RunOutcomeJson } | undefined;
      for (const event of events) {
        const { series, n } = eventColumns(event);
        insert.run(runId, event.seq, event.type, series, n, JSON.stringify(event));
        switch (event.type) {
          case 'output':
            counts.outputRows += n;
            break;
          case 'log':
            counts.logLines++;
            break;
          case 'progress':
            counts.progress++;
            break;
          case 'metric':
            counts.metricTotal++;
            break;
          case 'summary':
            counts.summaryTotal++;
            break;
          case 'state':
            state = event.state;
            break;
          case 'end':
            end = { at: event.at, outcome: event.outcome };
            break;
          case 'role':
            break;
        }
        if (series !== null) {
          counts.series.set(series, (counts.series.get(series) ?? 0) + 1);
        }
      }
      const last = events[events.length - 1]!.seq;
      if (end !== undefined) {
        this.#db
          .prepare(
            'UPDATE runs SET state = ?, ended_at = ?, outcome = ?, last_seq = ? WHERE id = ?',
          )
          .run(end.outcome.state, end.at, JSON.stringify(end.outcome), last, runId);
      } else if (state !== undefined) {
        this.#db
          .prepare('UPDATE runs SET state = ?, last_seq = ? WHERE id = ?')
          .run(state, last, runId);
      } else {
        this.#db.prepare('UPDATE runs SET last_seq = ? WHERE id = ?').run(last, runId);
      }
      this.#trim(runId, counts);
    })();
  }

  /**
   * Stored events after `after`, in order: at most `limit`, and at most `maxBytes` of JSON (the
   * first event always, however large).
   */
  eventsAfter(runId: string, after: number, limit = 1000, maxBytes = 256 * 1024): StoredEvent[] {
    const out: StoredEvent[] = [];
    let bytes = 0;
    for (const row of this.#db
      .prepare<[string, number, number], StoredEvent>(
        'SELECT seq, data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .iterate(runId, after, limit)) {
      bytes += row.data.length;
      if (out.length > 0 && bytes > maxBytes) {
        break;
      }
      out.push(row);
    }
    return out;
  }

  /** Every stored log line of a run, as `[worker 0] message` lines. */
  logLines(runId: string): string[] {
    return this.#db
      .prepare<[string], { data: string }>(
        "SELECT data FROM run_events WHERE run_id = ? AND type = 'log' ORDER BY seq",
      )
      .all(runId)
      .map((row) => {
        const event = JSON.parse(row.data) as Extract<StudioEvent, { type: 'log' }>;
        const who = event.role === 'coordinator' ? 'coordinator' : `${event.role} ${event.index}`;
        return `[${who}] ${event.message}`;
      });
  }

  #countsOf(runId: string): RunCounts {
    let counts = this.#counts.get(runId);
    if (counts === undefined) {
      counts = {
        outputRows: 0,
        logLines: 0,
        progress: 0,
        metricTotal: 0,
        summaryTotal: 0,
        series: new Map(),
      };
      const rows = this.#db
        .prepare<
          [string],
          { type: StudioEvent['type']; series: string | null; c: number; s: number }
        >(
          'SELECT type, series, COUNT(*) AS c, SUM(n) AS s FROM run_events WHERE run_id = ? GROUP BY type, series',
        )
        .all(runId);
      for (const row of rows) {
        if (row.type === 'output') {
          counts.outputRows += row.s;
        } else if (row.type === 'log') {
          counts.logLines += row.c;
        } else if (row.type === 'progress') {
          counts.progress += row.c;
        } else if (row.type === 'metric') {
          counts.metricTotal += row.c;
        } else if (row.type === 'summary') {
          counts.summaryTotal += row.c;
        }
        if (row.series !== null) {
          counts.series.set(row.series, row.c);
        }
      }
      this.#counts.set(runId, counts);
    }
    return counts;
  }

  /** Keeps a run within {@link EVENT_LIMITS}: drops the oldest rows and lines, thins series. */
  #trim(runId: string, counts: RunCounts): void {
    if (counts.outputRows > EVENT_LIMITS.outputRows * SLACK) {
      let kept = 0;
      let cutoff: number | undefined;
      for (const row of this.#db
        .prepare<[string], { seq: number; n: number }>(
          "SELECT seq, n FROM run_events WHERE run_id = ? AND type = 'output' ORDER BY seq DESC",
        )
        .iterate(runId)) {
        kept += row.n;
        cutoff = row.seq;
        if (kept >= EVENT_LIMITS.outputRows) {
          break;
        }
      }
      if (cutoff !== undefined) {
        this.#db
          .prepare("DELETE FROM run_events WHERE run_id = ? AND type = 'output' AND seq < ?")
          .run(runId, cutoff);
        counts.outputRows = kept;
      }
    }
    if (counts.logLines > EVENT_LIMITS.logLines * SLACK) {
      this.#dropOldest(runId, 'log', EVENT_LIMITS.logLines);
      counts.logLines = EVENT_LIMITS.logLines;
    }
    if (counts.progress > EVENT_LIMITS.progress) {
      counts.progress = this.#thin(runId, 'progress', null);
    }
    for (const [series, count] of counts.series) {
      const limit = series.startsWith('m:') ? EVENT_LIMITS.metricPoints : EVENT_LIMITS.summaries;
      if (count > limit) {
        const type = series.startsWith('m:') ? 'metric' : 'summary';
        const left = this.#thin(runId, type, series);
        if (type === 'metric') {
          counts.metricTotal -= count - left;
        } else {
          counts.summaryTotal -= count - left;
        }
        counts.series.set(series, left);
      }
    }
    if (counts.metricTotal > EVENT_LIMITS.metricTotal * SLACK) {
      this.#dropOldest(runId, 'metric', EVENT_LIMITS.metricTotal);
      this.#counts.delete(runId); // Per-series counts are recounted on the next append.
    } else if (counts.summaryTotal > EVENT_LIMITS.summaryTotal * SLACK) {
      this.#dropOldest(runId, 'summary', EVENT_LIMITS.summaryTotal);
      this.#counts.delete(runId);
    }
  }

  #dropOldest(runId: string, type: StudioEvent['type'], keep: number): void {
    this.#db
      .prepare(
        `DELETE FROM run_events WHERE run_id = ? AND type = ? AND seq <= (
           SELECT seq FROM run_events WHERE run_id = ? AND type = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(runId, type, runId, type, keep);
  }

  /** Deletes every other event of a series, keeping the newest; answers how many are left. */
  #thin(runId: string, type: StudioEvent['type'], series: string | null): number {
    const match = series === null ? 'series IS NULL' : 'series = ?';
    const params = series === null ? [runId, type] : [runId, type, series];
    this.#db
      .prepare(
        `DELETE FROM run_events WHERE run_id = ? AND seq IN (
           SELECT seq FROM (
             SELECT seq, ROW_NUMBER() OVER (ORDER BY seq DESC) AS rn
             FROM run_events WHERE run_id = ? AND type = ? AND ${match})
           WHERE rn % 2 = 0)`,
      )
      .run(runId, ...params);
    return this.#db
      .prepare<unknown[], { c: number }>(
        `SELECT COUNT(*) AS c FROM run_events WHERE run_id = ? AND type = ? AND ${match}`,
      )
      .get(...params)!.c;
  }

  // --- shares ---

  /**
   * Freezes a job version (and a run's stored events, tail-bounded) as a read-only snapshot under
   * a new id of 144 random bits.
   */
  createShare(job: JobRecord, run?: RunSummary): ShareSnapshot {
    const id = newId(18);
    const now = Date.now();
    let events: string | null = null;
    if (run !== undefined) {
      events = `[${this.#shareEvents(run.id).join(',')}]`;
    }
    this.#db
      .prepare(
        `INSERT INTO shares (id, created_at, job_name, job_version, job, run_summary, run_events)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        now,
        job.name,
        job.version,
        JSON.stringify(job.job),
        run === undefined ? null : JSON.stringify(run),
        events,
      );
    return this.share(id)!;
  }

  share(id: string): ShareSnapshot | undefined {
    const row = this.#db.prepare<[string], ShareRow>('SELECT * FROM shares WHERE id = ?').get(id);
    if (row === undefined) {
      return undefined;
    }
    return {
      id: row.id,
      createdAt: row.created_at,
      job: JSON.parse(row.job) as JobJson,
      jobName: row.job_name,
      jobVersion: row.job_version,
      ...(row.run_summary === null
        ? {}
        : {
            run: {
              summary: JSON.parse(row.run_summary) as RunSummary,
              events: JSON.parse(row.run_events ?? '[]') as StudioEvent[],
            },
          }),
    };
  }

  /** A run's events for a share: all but the oldest log lines and output rows. */
  #shareEvents(runId: string): string[] {
    const rows = this.#db
      .prepare<[string], { type: string; n: number; data: string }>(
        'SELECT type, n, data FROM run_events WHERE run_id = ? ORDER BY seq DESC',
      )
      .all(runId);
    let logs = 0;
    let outputs = 0;
    const kept: string[] = [];
    for (const row of rows) {
      if (row.type === 'log' && (logs += 1) > SHARE_TAIL.logLines) {
        continue;
      }
      if (row.type === 'output' && (outputs += row.n) > SHARE_TAIL.outputRows) {
        continue;
      }
      kept.push(row.data);
    }
    return kept.reverse();
  }
}

function runSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    jobId: row.job_id,
    jobVersion: row.job_version,
    jobName: row.job_name,
    state: row.state,
    createdAt: row.created_at,
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    ...(row.outcome === null ? {} : { outcome: JSON.parse(row.outcome) as RunOutcomeJson }),
    lastSeq: row.last_seq,
  };
}
