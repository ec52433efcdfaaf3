// The server's side of runs: one run host process per run (never user code in the server), the
// events it reports numbered (seq from 1, no gaps), stored every ~50 ms and announced to the
// WebSocket streams; cancel, pushed records, and runs that a dead server left behind.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobJson, PushFormat, PushResult, RunState } from '@tfstream/runtime';
import type {
  JobRecord,
  RunRecord,
  RunSummary,
  StudioEvent,
  UnnumberedStudioEvent,
} from '@tfstream/studio-api';
import type { ServerConfig } from '../config.js';
import { FROM_SOURCE } from '../config.js';
import { HttpError } from '../http/errors.js';
import type { Store } from '../store/store.js';
import type {
  HostToServerMessage,
  PushedHostMessage,
  ServerToHostMessage,
} from './host-protocol.js';
import { failedOutcome } from './studio-events.js';

const FLUSH_EVERY_MS = 50;
/** How long a pushed body may wait for room in the run's input queue before 503. */
const PUSH_WAIT_MS = 5000;
/** A host that reported its end but did not exit within this is killed. */
const EXIT_GRACE_MS = 5000;
const STDERR_LINES = 20;
/** How long the server has had no run going before it starts a spare host for the next one. */
const SPARE_AFTER_IDLE_MS = 1000;

/**
 * The only environment a run host gets: nothing of the server's (its token, secrets, settings)
 * passes, only what Node and the tools it starts need to find their way.
 */
export const HOST_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'TZ',
  'SYSTEMROOT',
  'NODE_ENV',
];

function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of HOST_ENV) {
    const value = process.env[name];
    if (value !== undefined) {
      env[name] = value;
    }
  }
  return env;
}

function dropOutput(): void {}

/** The host entry next to this module (`.ts` from source, `.js` when built). */
const HOST_ENTRY = fileURLToPath(
  new URL(`./run-host.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url),
);

interface ActiveRun {
  readonly id: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly push: boolean;
  lastSeq: number;
  state: RunState;
  pending: StudioEvent[];
  endSeen: boolean;
  readonly ended: Promise<void>;
  resolveEnded: () => void;
  readonly pushes: Map<number, (message: PushedHostMessage) => void>;
  readonly stderr: string[];
  killTimer: NodeJS.Timeout | undefined;
  cancelReason: string | undefined;
}

/** Options of {@link RunManager}. */
export interface RunManagerOptions {
  readonly store: Store;
  readonly config: ServerConfig;
  /** Called after new events of a run were stored. */
  readonly onEvents: (runId: string) => void;
}

/** Overrides of one run (`StartRunRequest.overrides`), applied as the CLI's flags are. */
export interface RunOverrides {
  readonly workers?: number;
  readonly parameterServers?: number;
  readonly epochs?: number;
}

/** The job document with a run's overrides applied (validated later with the rest). */
export function withOverrides(job: JobJson, overrides: RunOverrides | undefined): JobJson {
  if (overrides === undefined) {
    return job;
  }
  const out: JobJson = { ...job, cluster: { ...job.cluster } };
  if (overrides.workers !== undefined) {
    out.cluster = { ...out.cluster, workers: overrides.workers };
  }
  if (overrides.parameterServers !== undefined) {
    out.cluster = { ...out.cluster, parameterServers: overrides.parameterServers };
  }
  if (overrides.epochs !== undefined) {
    out.training = { ...job.training, epochs: overrides.epochs };
  }
  return out;
}

/**
 * Starts, watches and stops runs. Each run's host is a child process that calls the runtime's
 * `startRun`; this side numbers what it reports and stores it. Dispose with {@link close}.
 */
export class RunManager {
  readonly #store: Store;
  readonly #config: ServerConfig;
  readonly #onEvents: (runId: string) => void;
  readonly #runs = new Map<string, ActiveRun>();
  readonly #timer: NodeJS.Timeout;
  /** A run host started ahead, its role processes loading, for the next run (`warmRoles`). */
  #spare: ChildProcess | undefined;
  #spareTimer: NodeJS.Timeout | undefined;
  #pushIds = 0;
  #closing: Promise<void> | undefined;

  constructor(options: RunManagerOptions) {
    this.#store = options.store;
    this.#config = options.config;
    this.#onEvents = options.onEvents;
    this.#timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.#timer.unref();
    this.#scheduleSpare(0);
  }

  /**
   * Ends every run that a previous server left unended (it died with them): `failed`, reason
   * "server restarted", with the state and end events numbered after the last stored one.
   */
  static recoverInterrupted(store: Store): number {
    const runs = store.unfinishedRuns();
    for (const run of runs) {
      const at = Date.now();
      const reason = 'server restarted';
      store.appendEvents(run.id, [
        { type: 'state', seq: run.lastSeq + 1, at, state: 'failed', previous: run.state, reason },
        {
          type: 'end',
          seq: run.lastSeq + 2,
          at,
          outcome: failedOutcome('failed', reason, run.createdAt),
        },
      ]);
    }
    return runs.length;
  }

  isActive(runId: string): boolean {
    return this.#runs.has(runId);
  }

  get activeCount(): number {
    return this.#runs.size;
  }

  /** Whether a spare run host waits for the next run (see `ServerOptions.warmRoles`). */
  get hasSpare(): boolean {
    return this.#spare !== undefined;
  }

  /** Starts a run of `job` (a stored version, with `document` = it plus overrides). */
  start(job: JobRecord, document: JobJson): RunRecord {
    if (this.#closing !== undefined) {
      throw new HttpError(503, 'UNAVAILABLE', 'the server is stopping');
    }
    if (this.#runs.size >= this.#config.maxActiveRuns) {
      throw new HttpError(
        409,
        'CONFLICT',
        `${this.#runs.size} runs are going, the most this server runs at once; cancel one or wait for one to end`,
      );
    }
    const record = this.#store.createRun(job.id, job.version, document);
    const runDir = join(this.#config.home, 'runs', record.id);
    mkdirSync(runDir, { recursive: true });
    const child = this.#takeSpare() ?? this.#forkHost(runDir);
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const active: ActiveRun = {
      id: record.id,
      child,
      startedAt: record.createdAt,
      push: document.input.source.kind === 'push',
      lastSeq: record.lastSeq,
      state: record.state,
      pending: [],
      endSeen: false,
      ended,
      resolveEnded,
      pushes: new Map(),
      stderr: [],
      killTimer: undefined,
      cancelReason: undefined,
    };
    this.#runs.set(record.id, active);
    child.on('message', (message: HostToServerMessage) => this.#onMessage(active, message));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => {
        for (const line of text.split('\n')) {
          if (line.trim() !== '') {
            active.stderr.push(line);
            if (active.stderr.length > STDERR_LINES) {
              active.stderr.shift();
            }
            this.#append(active, [
              {
                type: 'log',
                at: Date.now(),
                role: 'coordinator',
                index: 0,
                level: 'warn',
                message: line,
              },
            ]);
          }
        }
      });
    }
    child.on('error', (error) => this.#onHostGone(active, `the run host failed: ${error.message}`));
    child.on('close', (code, signal) =>
      this.#onHostGone(
        active,
        `the run host exited unexpectedly (${signal === null ? `code ${code}` : `signal ${signal}`})${
          active.stderr.length === 0 ? '' : `: ${active.stderr.slice(-5).join(' | ')}`
        }`,
      ),
    );
    this.#send(active, {
      type: 'start',
      runId: record.id,
      job: document,
      home: this.#config.home,
      runDir,
      roleExecArgv: this.#config.hostExecArgv,
      ...(this.#config.hostCwd === undefined ? {} : { roleCwd: this.#config.hostCwd }),
    });
    return record;
  }

  #forkHost(cwd: string): ChildProcess {
    return fork(HOST_ENTRY, [], {
      execArgv: [...this.#config.hostExecArgv],
      cwd: this.#config.hostCwd ?? cwd,
      env: hostEnv(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
  }

  /**
   * Starts a spare host `delayMs` from now if the server wants one and is idle then: no run
   * going (a spare's role processes loading TensorFlow.js would slow a run down), none spare yet.
   */
  #scheduleSpare(delayMs: number): void {
    if (this.#config.warmRoles === 0 || this.#closing !== undefined) {
      return;
    }
    clearTimeout(this.#spareTimer);
    this.#spareTimer = setTimeout(() => {
      this.#spareTimer = undefined;
      if (this.#spare !== undefined || this.#runs.size > 0 || this.#closing !== undefined) {
        return;
      }
      const spare = this.#forkHost(this.#config.home);
      // Read and dropped until it is taken: a spare that fails is replaced when it is needed.
      spare.stdout?.on('data', dropOutput);
      spare.stderr?.on('data', dropOutput);
      spare.on('error', () => {});
      spare.once('exit', () => {
        if (this.#spare === spare) {
          this.#spare = undefined;
        }
      });
      spare.send({
        type: 'prepare',
        roles: this.#config.warmRoles,
        roleExecArgv: this.#config.hostExecArgv,
      } satisfies ServerToHostMessage);
      this.#spare = spare;
    }, delayMs);
    this.#spareTimer.unref();
  }

  /** The spare host, if one is alive, taken for a run. */
  #takeSpare(): ChildProcess | undefined {
    const spare = this.#spare;
    this.#spare = undefined;
    if (
      spare === undefined ||
      spare.exitCode !== null ||
      spare.signalCode !== null ||
      !spare.connected
    ) {
      return undefined;
    }
    spare.removeAllListeners('exit');
    spare.removeAllListeners('error');
    // The run's own listeners take over the output in this same turn: nothing is lost.
    spare.stdout?.off('data', dropOutput);
    spare.stderr?.off('data', dropOutput);
    return spare;
  }

  /** Asks the run to stop, kills its processes if it has not within the timeout, awaits its end. */
  async cancel(runId: string, reason = 'cancelled on request'): Promise<RunSummary | undefined> {
    const active = this.#runs.get(runId);
    if (active !== undefined && !active.endSeen) {
      active.cancelReason ??= reason;
      this.#send(active, { type: 'cancel', reason });
      active.killTimer ??= setTimeout(
        () => active.child.kill('SIGKILL'),
        this.#config.cancelTimeoutMs,
      );
      await active.ended;
    }
    return this.#store.runSummary(runId);
  }

  /** Hands a pushed body to a running push job; bad records come back rejected, by number. */
  async push(runId: string, format: PushFormat, body: string): Promise<PushResult> {
    const active = this.#runs.get(runId);
    if (active === undefined || active.endSeen) {
      throw new HttpError(409, 'RUN_NOT_ACTIVE', `run ${runId} is not going; start a new run`);
    }
    if (!active.push) {
      throw new HttpError(
        400,
        'BAD_REQUEST',
        'this run does not take pushed records: its input.source is not { "kind": "push" }',
      );
    }
    const id = ++this.#pushIds;
    const answer = await new Promise<PushedHostMessage | undefined>((resolve) => {
      active.pushes.set(id, resolve);
      void active.ended.then(() => resolve(undefined));
      this.#send(active, { type: 'push', id, format, body, timeoutMs: PUSH_WAIT_MS });
    });
    active.pushes.delete(id);
    if (answer === undefined || answer.result?.refused === 'ended') {
      throw new HttpError(
        409,
        'RUN_NOT_ACTIVE',
        `run ${runId} takes no more records (its input was ended or the run stopped)`,
      );
    }
    if (answer.error !== undefined || answer.result === undefined) {
      throw new HttpError(400, answer.error?.code ?? 'BAD_REQUEST', answer.error?.message ?? '');
    }
    if (answer.result.refused === 'full') {
      throw new HttpError(
        503,
        'BACKPRESSURE',
        `the run's input queue stayed full for ${PUSH_WAIT_MS / 1000} s: the job takes records slower than they come; push again later`,
        undefined,
        { 'Retry-After': '1' },
      );
    }
    return answer.result;
  }

  /** Ends the input of a push run: it finishes once the records pushed so far are done. */
  endInput(runId: string): void {
    const active = this.#runs.get(runId);
    if (active === undefined || active.endSeen) {
      throw new HttpError(409, 'RUN_NOT_ACTIVE', `run ${runId} is not going`);
    }
    if (!active.push) {
      throw new HttpError(400, 'BAD_REQUEST', 'this run does not take pushed records');
    }
    this.#send(active, { type: 'end-input' });
  }

  /** Stores the events received since the last flush and announces them. */
  flush(): void {
    for (const active of [...this.#runs.values()]) {
      this.#flushRun(active);
    }
  }

  /** Cancels every run (reason "server stopped") and waits for them to end. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#spareTimer);
      this.#spare?.kill('SIGKILL');
      this.#spare = undefined;
      await Promise.all([...this.#runs.keys()].map((id) => this.cancel(id, 'server stopped')));
      clearInterval(this.#timer);
    })();
    return this.#closing;
  }

  #send(active: ActiveRun, message: ServerToHostMessage): void {
    if (active.child.connected) {
      active.child.send(message, (error) => {
        if (error !== null && error !== undefined) {
          // The host is going away; its exit ends the run.
        }
      });
    }
  }

  #onMessage(active: ActiveRun, message: HostToServerMessage): void {
    switch (message.type) {
      case 'events':
        this.#append(active, message.events);
        return;
      case 'pushed':
        active.pushes.get(message.id)?.(message);
        return;
    }
  }

  /** Numbers events in arrival order; the run's end is stored at once. */
  #append(active: ActiveRun, events: readonly UnnumberedStudioEvent[]): void {
    if (active.endSeen) {
      return;
    }
    for (const event of events) {
      const numbered = { ...event, seq: ++active.lastSeq } as StudioEvent;
      active.pending.push(numbered);
      if (numbered.type === 'state') {
        active.state = numbered.state;
      }
      if (numbered.type === 'end') {
        active.endSeen = true;
        break;
      }
    }
    if (active.endSeen) {
      this.#flushRun(active);
    }
  }

  #flushRun(active: ActiveRun): void {
    if (active.pending.length > 0) {
      const events = active.pending;
      active.pending = [];
      this.#store.appendEvents(active.id, events);
      this.#onEvents(active.id);
    }
    if (active.endSeen && this.#runs.get(active.id) === active) {
      this.#runs.delete(active.id);
      clearTimeout(active.killTimer);
      // A host that said it ended exits by itself; one that does not is killed.
      const exitTimer = setTimeout(() => active.child.kill('SIGKILL'), EXIT_GRACE_MS);
      exitTimer.unref();
      active.child.once('exit', () => clearTimeout(exitTimer));
      active.resolveEnded();
      this.#onEvents(active.id);
      if (this.#runs.size === 0) {
        this.#scheduleSpare(SPARE_AFTER_IDLE_MS);
      }
    }
  }

  /** The host is gone: a run it did not end ends here, `cancelled` if asked to, else `failed`. */
  #onHostGone(active: ActiveRun, reason: string): void {
    if (active.endSeen) {
      return;
    }
    const at = Date.now();
    const state: 'failed' | 'cancelled' =
      active.cancelReason === undefined ? 'failed' : 'cancelled';
    const why = active.cancelReason === undefined ? reason : `${active.cancelReason} (killed)`;
    const events: UnnumberedStudioEvent[] = [];
    if (active.state !== state) {
      events.push({ type: 'state', at, state, previous: active.state, reason: why });
    }
    events.push({ type: 'end', at, outcome: failedOutcome(state, why, active.startedAt) });
    this.#append(active, events);
  }
}
