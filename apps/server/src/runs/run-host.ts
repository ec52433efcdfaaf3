// The run host: one child process per studio run, started by the server with a scrubbed
// environment. It runs the job with the runtime's `startRun` (whose workers and parameter servers
// are processes of their own: user code never runs here, nor in the server) and reports every
// event to the server over IPC. It exits when the run has ended, or when the server goes away.
import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job, JobJson, Run, RunEvent } from '@tfstream/runtime';
import { ModelCompileError, PushSource, RolePool, parseJob, startRun } from '@tfstream/runtime';
import type { Schema } from '@tfstream/schema';
import type { UnnumberedStudioEvent } from '@tfstream/studio-api';
import type {
  HostToServerMessage,
  PushHostMessage,
  ServerToHostMessage,
  StartHostMessage,
} from './host-protocol.js';
import {
  OutputRowWriter,
  failedOutcome,
  outcomeJson,
  sourceLocationOf,
  studioEvent,
} from './studio-events.js';

const FLUSH_EVERY_MS = 25;
const FLUSH_AT_EVENTS = 500;
const PROGRESS_EVERY_MS = 250;

/** Sends events to the server in small batches, in order. */
class EventSender {
  #buffer: UnnumberedStudioEvent[] = [];
  #timer: NodeJS.Timeout | undefined;

  add(event: UnnumberedStudioEvent): void {
    this.#buffer.push(event);
    if (this.#buffer.length >= FLUSH_AT_EVENTS) {
      void this.flush();
    } else {
      this.#timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
    }
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) {
      return Promise.resolve();
    }
    const events = this.#buffer;
    this.#buffer = [];
    return send({ type: 'events', events });
  }
}

function send(message: HostToServerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

const sender = new EventSender();
let startedAt = Date.now();
/** Role processes started ahead when this host is a spare (the `prepare` message). */
let pool: RolePool | undefined;
let run: Run | undefined;
let push: PushSource | undefined;
let cancelReason: string | undefined;
let started = false;

function log(level: 'info' | 'warn' | 'error', message: string): void {
  const location = level === 'error' ? sourceLocationOf(message) : undefined;
  sender.add({
    type: 'log',
    at: Date.now(),
    role: 'coordinator',
    index: 0,
    level,
    message,
    ...(location === undefined ? {} : { sourceLocation: location }),
  });
}

/** The job as the studio runs it: rows of a `stdout` sink go to the live table instead. */
function studioJob(json: JobJson): JobJson {
  if (json.output?.sink.kind !== 'stdout') {
    return json;
  }
  return { ...json, output: { ...json.output, sink: { kind: 'memory' } } };
}

function schemaOf(job: Job, part: 'input' | 'output'): Schema | undefined {
  const ref = part === 'input' ? job.input.schema : job.output?.schema;
  return ref === undefined || ref.kind === 'infer' ? undefined : ref.schema;
}

async function finish(
  state: 'finished' | 'failed' | 'cancelled',
  outcome = failedOutcome(state, cancelReason ?? 'the run did not start', startedAt),
): Promise<never> {
  pool?.dispose();
  sender.add({ type: 'end', at: Date.now(), outcome });
  await sender.flush();
  await run?.dispose().catch(() => {});
  process.exit(0);
}

async function start(message: StartHostMessage): Promise<void> {
  startedAt = Date.now();
  // Without a working directory of their own, roles work in the run's folder.
  if (message.roleCwd === undefined) {
    process.chdir(message.runDir);
  }
  let job: Job;
  try {
    job = parseJob(studioJob(message.job), undefined, { dir: message.home });
    const inputSchema = schemaOf(job, 'input');
    if (job.input.source.kind === 'push' && inputSchema !== undefined) {
      push = new PushSource({ schema: inputSchema });
    }
  } catch (error) {
    return failToStart(error);
  }
  const rows = new OutputRowWriter(schemaOf(job, 'output'));
  if (pool !== undefined) {
    log('info', `${pool.size} role process(es) were started ahead, TensorFlow.js loaded`);
  }
  try {
    run = await startRun(job, {
      runDir: message.runDir,
      execArgv: message.roleExecArgv,
      ...(message.roleCwd === undefined ? {} : { cwd: message.roleCwd }),
      ...(push === undefined ? {} : { push }),
      ...(pool === undefined ? {} : { rolePool: pool }),
      emitOutput: true,
    });
  } catch (error) {
    return failToStart(error);
  }
  const current = run;
  let progress: Extract<RunEvent, { type: 'progress' }> | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let lastProgress = { at: startedAt, recordsOut: 0 };
  const sendProgress = (): void => {
    progressTimer = undefined;
    if (progress === undefined) {
      return;
    }
    const seconds = (progress.at - lastProgress.at) / 1000;
    const throughput =
      seconds > 0 ? Math.max(0, (progress.recordsOut - lastProgress.recordsOut) / seconds) : 0;
    sender.add({
      type: 'progress',
      at: progress.at,
      recordsIn: progress.recordsIn,
      recordsOut: progress.recordsOut,
      inFlight: progress.inFlight,
      ...(progress.total === undefined ? {} : { total: progress.total }),
      throughput: Math.round(throughput * 10) / 10,
      ...latencyFields(current.feed.latency),
    });
    lastProgress = { at: progress.at, recordsOut: progress.recordsOut };
    progress = undefined;
  };
  current.on((event) => {
    // Every role has its process once the cluster formed (or the run ended): the rest may go.
    if (event.type === 'state' && event.state !== 'initialising') {
      pool?.dispose();
    }
    switch (event.type) {
      case 'progress':
        progress = event;
        progressTimer ??= setTimeout(sendProgress, PROGRESS_EVERY_MS);
        return;
      case 'output':
        for (const output of rows.events(event.rows, event.at)) {
          sender.add(output);
        }
        return;
      default: {
        const converted = studioEvent(event);
        if (converted !== undefined) {
          sender.add(converted);
        }
      }
    }
  });
  if (cancelReason !== undefined) {
    void current.cancel(cancelReason);
  }
  const outcome = await current.result;
  clearTimeout(progressTimer);
  sendProgress();
  if (outcome.state === 'finished' && job.mode !== 'inference') {
    await publishModel(message, job.name);
  }
  return finish(outcome.state, outcomeJson(outcome));
}

/** Copies a training run's exported model to `<home>/models/<job name>/`, as the CLI does. */
async function publishModel(message: StartHostMessage, name: string): Promise<void> {
  const from = join(message.runDir, 'model');
  try {
    await stat(join(from, 'model.json'));
  } catch {
    return;
  }
  const to = join(message.home, 'models', name);
  try {
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true });
    log('info', `model published to models/${name} (the latest of this job)`);
  } catch (error) {
    log('warn', `the model could not be published to models/${name}: ${String(error)}`);
  }
}

async function failToStart(error: unknown): Promise<never> {
  if (error instanceof ModelCompileError) {
    for (const diagnostic of error.diagnostics) {
      sender.add({
        type: 'log',
        at: Date.now(),
        role: 'coordinator',
        index: 0,
        level: diagnostic.severity === 'error' ? 'error' : 'warn',
        message: `COMPILE_ERROR: ${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`,
        sourceLocation: { line: diagnostic.line, column: diagnostic.column },
      });
    }
  } else {
    log('error', error instanceof Error ? error.message : String(error));
  }
  const reason = error instanceof Error ? error.message : String(error);
  sender.add({
    type: 'state',
    at: Date.now(),
    state: 'failed',
    previous: 'initialising',
    reason,
  });
  return finish('failed', failedOutcome('failed', reason, startedAt));
}

async function onPush(message: PushHostMessage): Promise<void> {
  if (push === undefined) {
    await send({
      type: 'pushed',
      id: message.id,
      error: {
        code: 'BAD_REQUEST',
        message:
          'this run does not take pushed records: its input.source is not { "kind": "push" }',
      },
    });
    return;
  }
  try {
    const result = await push.write(message.body, message.format, {
      timeoutMs: message.timeoutMs,
    });
    await send({ type: 'pushed', id: message.id, result });
  } catch (error) {
    await send({
      type: 'pushed',
      id: message.id,
      error: {
        code: 'BAD_REQUEST',
        message: error instanceof Error ? error.message : String(error),
      },
    });
  }
}

function cancel(reason: string): void {
  cancelReason ??= reason;
  push?.end();
  if (run !== undefined) {
    void run.cancel(reason);
  }
}

process.on('message', (message: ServerToHostMessage) => {
  switch (message.type) {
    case 'prepare':
      if (!started && pool === undefined) {
        pool = new RolePool({ size: message.roles, execArgv: message.roleExecArgv });
      }
      return;
    case 'start':
      if (!started) {
        started = true;
        void start(message);
      }
      return;
    case 'push':
      void onPush(message);
      return;
    case 'end-input':
      push?.end();
      return;
    case 'cancel':
      cancel(message.reason);
      if (run === undefined && !started) {
        void finish('cancelled');
      }
      return;
  }
});

// The server died or closed the channel: stop the run rather than leave its processes behind.
process.on('disconnect', () => {
  pool?.dispose();
  if (!started) {
    process.exit(0);
  }
  cancel('the studio server went away');
  setTimeout(() => process.exit(0), 5000).unref();
});

/** The run's feed-to-output latency percentiles so far, rounded to 0.01 ms, for the run view. */
function latencyFields(latency: { readonly p50: number; readonly p99: number } | undefined): {
  latencyP50Ms?: number;
  latencyP99Ms?: number;
} {
  if (latency === undefined) {
    return {};
  }
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return { latencyP50Ms: round(latency.p50), latencyP99Ms: round(latency.p99) };
}
