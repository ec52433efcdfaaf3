import { randomBytes } from 'node:crypto';
import { TfstreamError } from '@tfstream/schema';
import type {
  ClusterSpec,
  Connection,
  CreditMessage,
  DataMessage,
  Listener,
  LogLevel,
  RoleIdentity,
  RoleKind,
  SendOptions,
} from '../protocol/index.js';
import { listen, roleEnvVariables, roleLabel } from '../protocol/index.js';
import type {
  CoordinatorEvent,
  RoleStatus,
  RunResult,
  RunState,
  StateEvent,
  TerminalRunState,
} from './events.js';
import { isTerminalState } from './events.js';
import type { RolePool } from './role-pool.js';
import type { RoleExit } from './role-process.js';
import { INHERITED_ENV, RoleProcess } from './role-process.js';

/** Options of a {@link Coordinator}. Durations are in milliseconds. */
export interface CoordinatorOptions {
  /** Worker processes to run; at least 1. */
  readonly workers: number;
  /** Parameter-server processes to run; default 0. */
  readonly parameterServers?: number;
  /**
   * Path of the module every role process runs (`node [execArgv] entry [args]`). It calls
   * `connectRole()` from `@tfstream/runtime/role` and branches on `handle.role`.
   */
  readonly entry: string;
  /** Arguments after `entry`. */
  readonly args?: readonly string[];
  /**
   * Node options before `entry`, e.g. `['--conditions=source', '--import', 'tsx']` to run a
   * TypeScript entry from source. The coordinator's own `execArgv` is not inherited.
   */
  readonly execArgv?: readonly string[];
  /** Working directory of role processes; default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Extra environment variables of role processes. Roles do not inherit the coordinator's
   * environment: they get only {@link INHERITED_ENV}, these, and the `TFSTREAM_*` variables.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Interface the coordinator and the roles listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** How often roles send heartbeats; default 500. */
  readonly heartbeatMs?: number;
  /** Silence after which a registered role counts as hung and is killed; default 3000. */
  readonly heartbeatTimeoutMs?: number;
  /** Restarts allowed per role; the next failure of that role fails the run. Default 3. */
  readonly maxRestarts?: number;
  /** Time a role process has from spawn to `register`, else it is killed; default 30000. */
  readonly startTimeoutMs?: number;
  /** Time roles have to exit after `finish()` asks them to, else they are killed; default 5000. */
  readonly shutdownTimeoutMs?: number;
  /** Pause before a failed role is started again; default 100. */
  readonly restartDelayMs?: number;
  /** V8 heap limit of each role process (`--max-old-space-size`), in MiB; default Node's. */
  readonly memoryLimitMb?: number;
  /** Stderr lines of a failed role quoted in its failure reason; default 20. */
  readonly stderrTailLines?: number;
  /**
   * Processes started ahead with TensorFlow.js loaded: a role whose Node options match takes one
   * instead of starting afresh (faster first records). The caller disposes the pool.
   */
  readonly rolePool?: RolePool;
  /** Frame size limit of coordinator connections; default 64 MiB. */
  readonly maxFrameBytes?: number;
}

interface Slot {
  readonly role: RoleKind;
  readonly index: number;
  attempt: number;
  process: RoleProcess | undefined;
  connection: Connection | undefined;
  /** The last address registered for this slot; kept while a restart is under way. */
  address: string | undefined;
  registered: boolean;
  lastSeen: number;
  status: RoleStatus['status'];
  /** Why the coordinator killed the current process, when it did. */
  killReason: string | undefined;
  /** The last error the current process reported over its connection (its first line). */
  lastError: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

type Stopping = 'finish' | 'cancel' | 'fail';

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TfstreamError('USAGE', `${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/**
 * The main-process side of a run: starts every role (worker or parameter server) as its own
 * OS process, collects their addresses into a cluster spec, holds a barrier until all have
 * registered, then watches heartbeats and exits, restarting a failed role (attempt + 1) and
 * re-sending the updated spec. A role that fails more than `maxRestarts` times fails the run.
 *
 * Roles reach the coordinator over TCP (`host`, loopback by default) with a per-run auth token;
 * role processes get a minimal environment and each lead their own process group, which is
 * killed whole when the role dies, the run ends, or this process exits.
 *
 * @example
 * ```ts
 * const coordinator = new Coordinator({ workers: 2, parameterServers: 1, entry: 'train.js' });
 * coordinator.on((event) => {
 *   if (event.type === 'log') console.log(event.line);
 *   if (event.type === 'state') console.log(event.state, event.reason);
 * });
 * const spec = await coordinator.start(); // resolves once all roles registered
 * const result = await coordinator.result; // finished when every worker exited 0
 * await coordinator.dispose();
 * ```
 */
export class Coordinator {
  /** Resolves with how the run ended; never rejects. */
  readonly result: Promise<RunResult>;

  readonly #entry: string;
  readonly #args: readonly string[];
  readonly #execArgv: readonly string[];
  readonly #cwd: string;
  readonly #env: Readonly<Record<string, string>>;
  readonly #host: string;
  readonly #heartbeatMs: number;
  readonly #heartbeatTimeoutMs: number;
  readonly #maxRestarts: number;
  readonly #startTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #restartDelayMs: number;
  readonly #memoryLimitMb: number | undefined;
  readonly #rolePool: RolePool | undefined;
  readonly #stderrTailLines: number;
  readonly #maxFrameBytes: number | undefined;
  readonly #token = randomBytes(32).toString('base64url');
  readonly #slots: Slot[] = [];
  readonly #subscribers = new Set<(event: CoordinatorEvent) => void>();
  readonly #history: StateEvent[] = [];
  #state: RunState = 'initialising';
  #started = false;
  #listener: Listener | undefined;
  #generation = 0;
  #watchdog: NodeJS.Timeout | undefined;
  #stopping: Stopping | undefined;
  #result: RunResult | undefined;
  #resolveResult!: (result: RunResult) => void;
  #formed: { resolve(spec: ClusterSpec): void; reject(error: Error): void } | undefined;
  #disposing: Promise<void> | undefined;

  constructor(options: CoordinatorOptions) {
    const workers = positiveInteger('workers', options.workers, 1);
    const parameterServers = positiveInteger('parameterServers', options.parameterServers ?? 0, 0);
    this.#entry = options.entry;
    this.#args = options.args ?? [];
    this.#execArgv = options.execArgv ?? [];
    this.#cwd = options.cwd ?? process.cwd();
    this.#env = options.env ?? {};
    this.#host = options.host ?? '127.0.0.1';
    this.#heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs ?? 500, 1);
    this.#heartbeatTimeoutMs = positiveInteger(
      'heartbeatTimeoutMs',
      options.heartbeatTimeoutMs ?? 3000,
      this.#heartbeatMs + 1,
    );
    this.#maxRestarts = positiveInteger('maxRestarts', options.maxRestarts ?? 3, 0);
    this.#startTimeoutMs = positiveInteger('startTimeoutMs', options.startTimeoutMs ?? 30_000, 1);
    this.#shutdownTimeoutMs = positiveInteger(
      'shutdownTimeoutMs',
      options.shutdownTimeoutMs ?? 5000,
      0,
    );
    this.#restartDelayMs = positiveInteger('restartDelayMs', options.restartDelayMs ?? 100, 0);
    this.#memoryLimitMb =
      options.memoryLimitMb === undefined
        ? undefined
        : positiveInteger('memoryLimitMb', options.memoryLimitMb, 1);
    this.#stderrTailLines = positiveInteger('stderrTailLines', options.stderrTailLines ?? 20, 0);
    this.#rolePool = options.rolePool;
    this.#maxFrameBytes = options.maxFrameBytes;
    const kinds: [RoleKind, number][] = [
      ['worker', workers],
      ['ps', parameterServers],
    ];
    for (const [role, count] of kinds) {
      for (let index = 0; index < count; index++) {
        this.#slots.push({
          role,
          index,
          attempt: 1,
          process: undefined,
          connection: undefined,
          address: undefined,
          registered: false,
          lastSeen: 0,
          status: 'starting',
          killReason: undefined,
          lastError: undefined,
          restartTimer: undefined,
        });
      }
    }
    this.result = new Promise((resolve) => {
      this.#resolveResult = resolve;
    });
  }

  /** The current state of the run. */
  get state(): RunState {
    return this.#state;
  }

  /** Every state change so far, oldest first. */
  get history(): readonly StateEvent[] {
    return this.#history;
  }

  /** `host:port` roles connect to; undefined until `start()` has bound it. */
  get address(): string | undefined {
    return this.#listener?.address;
  }

  /** The cluster spec as last registered (an empty string for a role not registered yet). */
  get spec(): ClusterSpec {
    return {
      worker: this.#slotsOf('worker').map((slot) => slot.address ?? ''),
      ps: this.#slotsOf('ps').map((slot) => slot.address ?? ''),
    };
  }

  /** A snapshot of every role. */
  get roles(): RoleStatus[] {
    return this.#slots.map((slot) => ({
      role: slot.role,
      index: slot.index,
      attempt: slot.attempt,
      restarts: slot.attempt - 1,
      pid: slot.process?.pid ?? 0,
      address: slot.registered ? slot.address : undefined,
      status: slot.status,
    }));
  }

  /** Calls `listener` with every event from now on; returns a function that unsubscribes. */
  on(listener: (event: CoordinatorEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /**
   * Binds the coordinator's listener, spawns every role and resolves with the cluster spec once
   * all have registered and received it (state `running`).
   *
   * @throws `CLUSTER_FAILED` when the cluster cannot form (a role exhausts its restarts before
   * it), `CLUSTER_CANCELLED` when it is cancelled first, `USAGE` when called twice.
   */
  async start(): Promise<ClusterSpec> {
    if (this.#started || this.#result !== undefined) {
      throw new TfstreamError(
        'USAGE',
        'a Coordinator runs one cluster: start() was already called',
      );
    }
    this.#started = true;
    const formed = new Promise<ClusterSpec>((resolve, reject) => {
      this.#formed = { resolve, reject };
    });
    const workers = this.#slotsOf('worker').length;
    const ps = this.#slotsOf('ps').length;
    this.#setState('initialising', `starting ${workers} worker(s) and ${ps} parameter server(s)`);
    const listener = await listen({
      host: this.#host,
      token: this.#token,
      ...(this.#maxFrameBytes === undefined ? {} : { maxFrameBytes: this.#maxFrameBytes }),
      onConnection: (connection) => void this.#onConnection(connection),
      onRefused: (error, remoteAddress) =>
        this.#emit({ type: 'refused', remoteAddress, error, at: Date.now() }),
    });
    if (this.#result !== undefined) {
      await listener.close();
      return formed;
    }
    this.#listener = listener;
    for (const slot of this.#slots) {
      this.#spawn(slot);
    }
    const tick = Math.max(20, Math.min(this.#heartbeatMs, this.#heartbeatTimeoutMs / 4));
    this.#watchdog = setInterval(() => this.#watch(), tick);
    return formed;
  }

  /**
   * Sends a `data` or `credit` message (and body) to one role.
   *
   * @throws `CONNECTION_CLOSED` when that role is not connected right now.
   */
  async send(
    target: { readonly role: RoleKind; readonly index: number },
    message: DataMessage | CreditMessage,
    body?: Uint8Array,
    options?: SendOptions,
  ): Promise<void> {
    const slot = this.#slotOf(target.role, target.index);
    if (slot?.connection === undefined) {
      throw new TfstreamError(
        'CONNECTION_CLOSED',
        `${roleLabel(target)} is not connected (${slot === undefined ? 'no such role' : slot.status})`,
      );
    }
    await slot.connection.send(message, body, options);
  }

  /**
   * Kills a role's process as failed, for `reason` (say, a watchdog found it stuck): like any
   * failed role it is restarted, within `maxRestarts`, and `reason` is its failure. Does nothing
   * when the role has no live process or the run is ending.
   */
  killRole(target: { readonly role: RoleKind; readonly index: number }, reason: string): void {
    const slot = this.#slotOf(target.role, target.index);
    const proc = slot?.process;
    if (
      slot === undefined ||
      proc === undefined ||
      proc.hasExited ||
      slot.killReason !== undefined ||
      this.#stopping !== undefined ||
      this.#result !== undefined
    ) {
      return;
    }
    this.#kill(slot, reason);
  }

  /**
   * Asks every role to shut down cleanly (`shutdown` message; they run their handlers and exit),
   * kills those still running after `shutdownTimeoutMs`, and ends the run `finished`. Returns the
   * result of the run, which may have ended otherwise before.
   */
  async finish(reason = 'finished on request'): Promise<RunResult> {
    if (this.#result !== undefined || this.#stopping !== undefined) {
      return this.result;
    }
    this.#stopping = 'finish';
    const running = this.#stopRestarts();
    for (const slot of this.#slots) {
      if (slot.connection !== undefined) {
        slot.connection.send({ kind: 'shutdown', reason }).catch(() => slot.process?.kill());
      } else {
        slot.process?.kill();
      }
    }
    const killed: string[] = [];
    const deadline = setTimeout(() => {
      for (const proc of running) {
        if (!proc.hasExited) {
          killed.push(roleLabel(proc.identity));
          proc.kill();
        }
      }
    }, this.#shutdownTimeoutMs);
    await Promise.all(running.map((proc) => proc.exited));
    clearTimeout(deadline);
    if (this.#stopping !== 'finish') {
      return this.result;
    }
    const late =
      killed.length === 0
        ? ''
        : `; ${killed.join(', ')} did not exit within ${this.#shutdownTimeoutMs} ms and were killed`;
    this.#end('finished', `${reason}${late}`);
    return this.result;
  }

  /** Kills every role process (and their process groups) and ends the run `cancelled`. */
  async cancel(reason = 'cancelled on request'): Promise<RunResult> {
    if (this.#result !== undefined || this.#stopping === 'cancel' || this.#stopping === 'fail') {
      return this.result;
    }
    this.#stopping = 'cancel';
    await this.#killAll();
    this.#end('cancelled', reason);
    return this.result;
  }

  /** Cancels the run if it is still going, closes the listener and drops subscribers. Idempotent. */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      if (this.#result === undefined) {
        if (this.#started) {
          await this.cancel('disposed');
        } else {
          this.#end('cancelled', 'disposed before start()');
        }
      }
      await this.#listener?.close();
      this.#subscribers.clear();
    })();
    return this.#disposing;
  }

  #slotsOf(role: RoleKind): Slot[] {
    return this.#slots.filter((slot) => slot.role === role);
  }

  #slotOf(role: RoleKind, index: number): Slot | undefined {
    return this.#slots.find((slot) => slot.role === role && slot.index === index);
  }

  #spawn(slot: Slot): void {
    const listener = this.#listener;
    if (listener === undefined || this.#result !== undefined || this.#stopping !== undefined) {
      return;
    }
    const identity: RoleIdentity = { role: slot.role, index: slot.index, attempt: slot.attempt };
    const inherited: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) {
        inherited[name] = value;
      }
    }
    const env = {
      ...inherited,
      ...this.#env,
      ...roleEnvVariables({
        coordinator: listener.address,
        token: this.#token,
        ...identity,
        heartbeatMs: this.#heartbeatMs,
        host: this.#host,
        processGroup: process.platform !== 'win32',
      }),
    };
    const memory =
      this.#memoryLimitMb === undefined ? [] : [`--max-old-space-size=${this.#memoryLimitMb}`];
    const execArgv = [...memory, ...this.#execArgv];
    const warm = this.#rolePool?.take(execArgv, env);
    const proc = new RoleProcess({
      identity,
      entry: this.#entry,
      args: this.#args,
      execArgv,
      ...(warm === undefined ? {} : { warm }),
      cwd: this.#cwd,
      env,
      stderrTailLines: this.#stderrTailLines,
      onLine: (stream, line) =>
        this.#emitLog(identity, stream === 'stdout' ? 'info' : 'error', stream, line),
    });
    slot.process = proc;
    slot.connection = undefined;
    slot.registered = false;
    slot.killReason = undefined;
    slot.lastError = undefined;
    slot.status = 'starting';
    slot.lastSeen = proc.spawnedAt;
    this.#emit({ type: 'role', phase: 'spawned', ...identity, pid: proc.pid, at: Date.now() });
    void proc.exited.then((exit) => this.#onExit(slot, proc, exit));
  }

  async #onConnection(connection: Connection): Promise<void> {
    const refuse = async (detail: string): Promise<void> => {
      const error = new TfstreamError('PROTOCOL_ERROR', detail);
      this.#emit({
        type: 'refused',
        remoteAddress: connection.remoteAddress,
        error,
        at: Date.now(),
      });
      await connection.fail(error);
    };
    let frame;
    try {
      frame = await connection.read({ timeoutMs: this.#startTimeoutMs });
    } catch (error) {
      await refuse(`no register from ${connection.remoteAddress}: ${(error as Error).message}`);
      return;
    }
    if (this.#result !== undefined || this.#stopping !== undefined) {
      await connection.close();
      return;
    }
    if (frame?.message.kind !== 'register') {
      await refuse('the first message after the hello must be "register"');
      return;
    }
    const message = frame.message;
    const slot = this.#slotOf(message.role, message.index);
    if (slot === undefined) {
      await refuse(
        `there is no ${roleLabel(message)} in this cluster of ${this.#slotsOf('worker').length} ` +
          `worker(s) and ${this.#slotsOf('ps').length} parameter server(s)`,
      );
      return;
    }
    const proc = slot.process;
    if (
      proc === undefined ||
      proc.pid !== message.pid ||
      slot.attempt !== message.attempt ||
      slot.registered
    ) {
      await refuse(
        `${roleLabel(message)} attempt ${message.attempt} (pid ${message.pid}) is not the ` +
          `process the coordinator started for it (attempt ${slot.attempt}, pid ${proc?.pid ?? 'none'})`,
      );
      return;
    }
    slot.connection = connection;
    slot.address = message.address;
    slot.registered = true;
    slot.status = 'registered';
    slot.lastSeen = Date.now();
    this.#emit({
      type: 'role',
      phase: 'registered',
      ...proc.identity,
      pid: proc.pid,
      address: message.address,
      at: Date.now(),
    });
    void this.#readRole(slot, connection, proc.identity);
    this.#checkBarrier();
  }

  async #readRole(slot: Slot, connection: Connection, identity: RoleIdentity): Promise<void> {
    try {
      for await (const { message, body } of connection) {
        if (slot.connection !== connection) {
          break;
        }
        const at = Date.now();
        slot.lastSeen = at;
        switch (message.kind) {
          case 'heartbeat':
            break;
          case 'log':
            if (message.level === 'error') {
              slot.lastError = firstLine(message.message);
            }
            this.#emitLog(identity, message.level, 'role', message.message);
            break;
          case 'metric':
            this.#emit({
              type: 'metric',
              ...identity,
              name: message.name,
              value: message.value,
              step: message.step,
              at,
            });
            break;
          case 'data':
          case 'credit':
            this.#emit({
              type: 'data',
              ...identity,
              message,
              ...(body === undefined ? {} : { body }),
              at,
            });
            break;
          case 'error':
            slot.lastError = firstLine(`${message.code}: ${message.message}`);
            this.#emitLog(identity, 'error', 'role', `${message.code}: ${message.message}`);
            break;
          case 'hello':
          case 'welcome':
          case 'register':
          case 'cluster':
          case 'shutdown':
            await connection.fail(
              new TfstreamError(
                'PROTOCOL_ERROR',
                `a role does not send "${message.kind}" after registering`,
              ),
            );
            return;
        }
      }
    } catch {
      // A broken connection is noticed by the watchdog (no heartbeats) or by the exit.
    } finally {
      if (slot.connection === connection) {
        slot.connection = undefined;
      }
    }
  }

  #checkBarrier(): void {
    if (this.#result !== undefined || this.#stopping !== undefined) {
      return;
    }
    if (!this.#slots.every((slot) => slot.registered || slot.status === 'completed')) {
      return;
    }
    this.#generation++;
    const spec = this.spec;
    const attempts = {
      worker: this.#slotsOf('worker').map((slot) => slot.attempt),
      ps: this.#slotsOf('ps').map((slot) => slot.attempt),
    };
    const generation = this.#generation;
    for (const slot of this.#slots) {
      // A role whose connection breaks here is handled by the watchdog or its exit.
      slot.connection?.send({ kind: 'cluster', spec, attempts, generation }).catch(() => {});
    }
    this.#emit({ type: 'cluster', spec, attempts, generation, at: Date.now() });
    if (this.#state === 'initialising' || this.#state === 'recovering') {
      this.#setState(
        'running',
        generation === 1
          ? `all ${this.#slots.length} roles registered; cluster spec sent`
          : `all roles registered again; cluster spec ${generation} sent`,
      );
    }
    if (this.#formed !== undefined) {
      this.#formed.resolve(spec);
      this.#formed = undefined;
    }
  }

  #onExit(slot: Slot, proc: RoleProcess, exit: RoleExit): void {
    if (slot.process !== proc) {
      return;
    }
    const wasRegistered = slot.registered;
    slot.process = undefined;
    slot.registered = false;
    void slot.connection?.close();
    slot.connection = undefined;
    const failure =
      this.#stopping === undefined ? this.#failureOf(slot, proc, exit, wasRegistered) : undefined;
    this.#emit({
      type: 'role',
      phase: 'exited',
      ...proc.identity,
      pid: proc.pid,
      exitCode: exit.code,
      signal: exit.signal,
      ...(failure === undefined ? {} : { error: failure }),
      at: Date.now(),
    });
    if (this.#result !== undefined || this.#stopping !== undefined) {
      slot.status = 'stopped';
      return;
    }
    if (failure === undefined) {
      slot.status = 'completed';
      if (this.#slotsOf('worker').every((worker) => worker.status === 'completed')) {
        void this.finish('every worker completed');
      }
      return;
    }
    if (slot.attempt > this.#maxRestarts) {
      void this.#fail(
        new TfstreamError(
          'CLUSTER_FAILED',
          `${roleLabel(slot)} failed ${slot.attempt} time(s), more than maxRestarts ` +
            `(${this.#maxRestarts}) allows; last failure: ${failure.detail}`,
        ),
      );
      return;
    }
    slot.status = 'restarting';
    if (this.#state === 'running') {
      this.#setState('recovering', failure.detail);
    }
    slot.attempt++;
    this.#emit({
      type: 'role',
      phase: 'restarting',
      role: slot.role,
      index: slot.index,
      attempt: slot.attempt,
      pid: 0,
      at: Date.now(),
    });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.#spawn(slot);
    }, this.#restartDelayMs);
  }

  #failureOf(
    slot: Slot,
    proc: RoleProcess,
    exit: RoleExit,
    wasRegistered: boolean,
  ): TfstreamError | undefined {
    const clean = exit.code === 0 && exit.signal === null && exit.spawnError === undefined;
    if (clean && wasRegistered && slot.killReason === undefined) {
      return undefined;
    }
    const tail = proc.stderrTail;
    let what: string;
    if (exit.spawnError !== undefined) {
      what = `could not be started: ${exit.spawnError.message}`;
    } else if (slot.killReason !== undefined) {
      what = `was killed by the coordinator: ${slot.killReason}`;
    } else if (proc.outOfMemory) {
      const limit = this.#memoryLimitMb === undefined ? '' : ` of ${this.#memoryLimitMb} MiB`;
      what = `ran out of memory (JavaScript heap${limit}; see memoryLimitMb)`;
    } else if (exit.signal !== null) {
      what = `was killed by ${exit.signal}`;
    } else if (exit.code === 0) {
      what = 'exited with code 0 before it registered; does the entry call connectRole()?';
    } else {
      what = `exited with code ${exit.code}`;
    }
    const label = `${roleLabel(slot)} (attempt ${proc.identity.attempt}, pid ${proc.pid})`;
    // What the role said about it: the error it reported (its details, such as a code frame, are
    // in the log already), else what it wrote to stderr.
    const said =
      slot.lastError !== undefined
        ? `; the last error it reported: ${slot.lastError}`
        : tail.length === 0
          ? '; it wrote nothing to stderr'
          : `; last stderr lines:\n${tail.map((line) => `  ${line}`).join('\n')}`;
    return new TfstreamError('ROLE_FAILED', `${label} ${what}${said}`);
  }

  #watch(): void {
    if (this.#stopping !== undefined || this.#result !== undefined) {
      return;
    }
    const now = Date.now();
    for (const slot of this.#slots) {
      const proc = slot.process;
      if (proc === undefined || proc.hasExited || slot.killReason !== undefined) {
        continue;
      }
      if (!slot.registered) {
        if (now - proc.spawnedAt > this.#startTimeoutMs) {
          this.#kill(
            slot,
            `it did not register within ${this.#startTimeoutMs} ms (startTimeoutMs); ` +
              'does the entry call connectRole()?',
          );
        }
      } else if (now - slot.lastSeen > this.#heartbeatTimeoutMs) {
        this.#kill(
          slot,
          slot.connection === undefined
            ? `it closed its connection but did not exit within ${this.#heartbeatTimeoutMs} ms`
            : `it sent no heartbeat for ${now - slot.lastSeen} ms (heartbeatTimeoutMs ` +
                `${this.#heartbeatTimeoutMs}); its event loop is blocked or it hangs`,
        );
      }
    }
  }

  #kill(slot: Slot, reason: string): void {
    slot.killReason = reason;
    slot.process?.kill();
  }

  /** Cancels pending restarts and returns the role processes still running. */
  #stopRestarts(): RoleProcess[] {
    for (const slot of this.#slots) {
      if (slot.restartTimer !== undefined) {
        clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        slot.status = 'stopped';
      }
    }
    return this.#slots.flatMap((slot) => (slot.process === undefined ? [] : [slot.process]));
  }

  async #killAll(): Promise<void> {
    const running = this.#stopRestarts();
    for (const proc of running) {
      proc.kill();
    }
    await Promise.all(running.map((proc) => proc.exited));
  }

  async #fail(error: TfstreamError): Promise<void> {
    if (this.#result !== undefined || this.#stopping === 'cancel' || this.#stopping === 'fail') {
      return;
    }
    this.#stopping = 'fail';
    await this.#killAll();
    this.#end('failed', error.detail, error);
  }

  #end(state: TerminalRunState, reason: string, error?: TfstreamError): void {
    if (this.#result !== undefined) {
      return;
    }
    clearInterval(this.#watchdog);
    this.#setState(state, reason);
    this.#result = { state, reason, ...(error === undefined ? {} : { error }), at: Date.now() };
    if (this.#formed !== undefined) {
      this.#formed.reject(
        error ??
          new TfstreamError(
            state === 'cancelled' ? 'CLUSTER_CANCELLED' : 'CLUSTER_FAILED',
            `the run ended (${state}) before the cluster formed: ${reason}`,
          ),
      );
      this.#formed = undefined;
    }
    this.#resolveResult(this.#result);
    void this.#listener?.close();
  }

  #setState(state: RunState, reason: string): void {
    const previous = this.#history.length === 0 ? undefined : this.#state;
    if (previous !== undefined && isTerminalState(previous)) {
      return;
    }
    this.#state = state;
    const event: StateEvent = { type: 'state', state, previous, at: Date.now(), reason };
    this.#history.push(event);
    this.#emit(event);
  }

  #emitLog(
    identity: RoleIdentity,
    level: LogLevel,
    source: 'stdout' | 'stderr' | 'role',
    message: string,
  ): void {
    this.#emit({
      type: 'log',
      ...identity,
      source,
      level,
      message,
      line: `[${roleLabel(identity)}] ${message}`,
      at: Date.now(),
    });
  }

  #emit(event: CoordinatorEvent): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        process.emitWarning(`a Coordinator event listener threw: ${String(error)}`);
      }
    }
  }
}
