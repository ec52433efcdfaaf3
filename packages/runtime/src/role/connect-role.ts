import { TfstreamError } from '@tfstream/schema';
import type {
  ClusterMessage,
  ClusterSpec,
  Connection,
  CreditMessage,
  DataMessage,
  Frame,
  Listener,
  LogLevel,
  RoleEnv,
  RoleIdentity,
  RoleKind,
} from '../protocol/index.js';
import { ROLE_ENV, connect, listen, parseRoleEnv, roleLabel } from '../protocol/index.js';

/** Options of {@link connectRole}. */
export interface ConnectRoleOptions {
  /** Where to read the `TFSTREAM_*` variables; default `process.env` (then the token is removed). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Exit the process (code 0) once a `shutdown` from the coordinator has run the handlers and
   * closed the handle. Default: true when `env` is `process.env`, i.e. in a real role process.
   */
  readonly exitOnShutdown?: boolean;
  /**
   * Kill this process (and its process group, if it leads one) when the connection to the
   * coordinator is lost, so that no role outlives its coordinator. Default as `exitOnShutdown`.
   */
  readonly exitOnCoordinatorLoss?: boolean;
  /** Milliseconds to connect and to wait for the cluster spec (the barrier); default 60000. */
  readonly timeoutMs?: number;
}

/** Options of {@link RoleHandle.connectPeer}. */
export interface ConnectPeerOptions {
  /**
   * Milliseconds to keep trying; a peer that is down is retried at each new cluster spec (its
   * restarted process has a new address). Default 10000.
   */
  readonly timeoutMs?: number;
}

type Listeners<T extends unknown[]> = Set<(...args: T) => void>;

function notify<T extends unknown[]>(listeners: Listeners<T>, ...args: T): void {
  for (const listener of listeners) {
    try {
      listener(...args);
    } catch (error) {
      process.emitWarning(`a role listener threw: ${String(error)}`);
    }
  }
}

/**
 * The role-process side of a run, returned by {@link connectRole} once the cluster has formed:
 * who this role is, the current cluster spec, and the ways to talk to the coordinator and to
 * peers. Heartbeats are sent in the background.
 */
export class RoleHandle implements RoleIdentity {
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  /** `host:port` of this role's own listener, as peers find it in the cluster spec. */
  readonly address: string;

  readonly #env: RoleEnv;
  readonly #coordinator: Connection;
  readonly #listener: Listener;
  readonly #options: ConnectRoleOptions;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #peers = new Set<Connection>();
  readonly #pendingPeers: Connection[] = [];
  readonly #peerListeners: Listeners<[Connection]> = new Set();
  readonly #clusterListeners: Listeners<[ClusterSpec, number]> = new Set();
  readonly #dataListeners: Listeners<[Frame]> = new Set();
  readonly #shutdownHandlers = new Set<(reason: string) => void | Promise<void>>();
  #cluster: ClusterMessage;
  #clusterChanged: (() => void)[] = [];
  #closing: Promise<void> | undefined;

  /** @internal Use {@link connectRole}. */
  constructor(
    env: RoleEnv,
    coordinator: Connection,
    listener: Listener,
    cluster: ClusterMessage,
    options: ConnectRoleOptions,
  ) {
    this.role = env.role;
    this.index = env.index;
    this.attempt = env.attempt;
    this.address = listener.address;
    this.#env = env;
    this.#coordinator = coordinator;
    this.#listener = listener;
    this.#cluster = cluster;
    this.#options = options;
    this.#heartbeat = setInterval(() => {
      this.#coordinator.send({ kind: 'heartbeat', at: Date.now() }).catch(() => {});
    }, env.heartbeatMs);
    // The sockets keep the process alive; the heartbeat alone must not.
    this.#heartbeat.unref();
    void this.#readCoordinator();
  }

  /** The current cluster spec: where every role listens. Updated when a role restarts. */
  get cluster(): ClusterSpec {
    return this.#cluster.spec;
  }

  /** 1 for the first cluster spec, +1 for each update. */
  get generation(): number {
    return this.#cluster.generation;
  }

  /** The current attempt of every role, index by index. */
  get attempts(): ClusterMessage['attempts'] {
    return this.#cluster.attempts;
  }

  /** Whether `close()` was called (or the coordinator went away). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Sends a log line to the coordinator; after close, it goes to stderr instead. */
  log(level: LogLevel, message: string): Promise<void> {
    return this.#coordinator.send({ kind: 'log', level, message }).catch(() => {
      process.stderr.write(`[${level}] ${message}\n`);
    });
  }

  /** Sends one value of a metric series to the coordinator; dropped after close. */
  metric(name: string, value: number, step: number): Promise<void> {
    return this.#coordinator.send({ kind: 'metric', name, value, step }).catch(() => {});
  }

  /**
   * Sends a `data` or `credit` message (and body) to the coordinator.
   *
   * @throws `CONNECTION_CLOSED` when the coordinator connection is closed.
   */
  send(message: DataMessage | CreditMessage, body?: Uint8Array): Promise<void> {
    return this.#coordinator.send(message, body);
  }

  /**
   * Sends several `data` or `credit` messages (with their bodies) to the coordinator in one socket
   * write.
   *
   * @throws `CONNECTION_CLOSED` when the coordinator connection is closed.
   */
  sendFrames(
    frames: readonly {
      readonly message: DataMessage | CreditMessage;
      readonly body?: Uint8Array;
    }[],
  ): Promise<void> {
    return this.#coordinator.sendFrames(frames);
  }

  /** Calls `listener` with every `data` or `credit` frame from the coordinator. */
  onData(listener: (frame: Frame) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  /** Calls `listener` with every updated cluster spec (after a role restarted). */
  onCluster(listener: (spec: ClusterSpec, generation: number) => void): () => void {
    this.#clusterListeners.add(listener);
    return () => this.#clusterListeners.delete(listener);
  }

  /**
   * Registers work to do when the coordinator asks the run to stop: flush, save a checkpoint.
   * All handlers are awaited, then the handle closes (and, by default, the process exits 0).
   */
  onShutdown(handler: (reason: string) => void | Promise<void>): () => void {
    this.#shutdownHandlers.add(handler);
    return () => this.#shutdownHandlers.delete(handler);
  }

  /**
   * Calls `listener` with every connection a peer opens to this role (its `peer` says who).
   * Connections that arrived before the first listener are handed to it first.
   */
  onPeer(listener: (connection: Connection) => void): () => void {
    this.#peerListeners.add(listener);
    for (const connection of this.#pendingPeers.splice(0)) {
      listener(connection);
    }
    return () => this.#peerListeners.delete(listener);
  }

  /**
   * Opens a connection to another role, found in the current cluster spec. If the peer is down,
   * waits for the next cluster spec (its restarted process) and tries its new address.
   *
   * @throws `USAGE` for a role that is not in the cluster; `CONNECTION_CLOSED` when the peer
   * cannot be reached within `timeoutMs`; `AUTH_FAILED` when it refuses the token.
   */
  async connectPeer(
    role: RoleKind,
    index: number,
    options: ConnectPeerOptions = {},
  ): Promise<Connection> {
    const target = { role, index };
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let lastError: Error | undefined;
    for (;;) {
      this.#assertOpen(`connect to ${roleLabel(target)}`);
      const address = this.cluster[role][index];
      if (address === undefined) {
        throw new TfstreamError(
          'USAGE',
          `there is no ${roleLabel(target)}: the cluster has ${this.cluster[role].length} ${role} role(s)`,
        );
      }
      const generation = this.generation;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TfstreamError(
          'CONNECTION_CLOSED',
          `could not reach ${roleLabel(target)} within ${options.timeoutMs ?? 10_000} ms` +
            (lastError === undefined ? '' : `: ${lastError.message}`),
        );
      }
      try {
        const connection = await connect(address, {
          token: this.#env.token,
          from: { role: this.role, index: this.index, attempt: this.attempt },
          expect: target,
          timeoutMs: remaining,
        });
        if (this.closed) {
          await connection.close();
          this.#assertOpen(`connect to ${roleLabel(target)}`);
        }
        this.#track(connection);
        return connection;
      } catch (error) {
        if (error instanceof TfstreamError && error.code === 'AUTH_FAILED') {
          throw error;
        }
        lastError = error as Error;
      }
      // Down or replaced: wait for a newer spec, but retry now and then in case the peer was
      // only slow to listen.
      await this.#clusterAfter(generation, Math.min(200, Math.max(0, deadline - Date.now())));
    }
  }

  /** Stops heartbeats and closes peer connections, the listener and the coordinator connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#heartbeat);
      for (const wake of this.#clusterChanged.splice(0)) {
        wake();
      }
      await Promise.all([...this.#peers].map((connection) => connection.close()));
      await this.#listener.close();
      await this.#coordinator.close();
    })();
    return this.#closing;
  }

  /** @internal Called by the listener for every authenticated peer connection. */
  acceptPeer(connection: Connection): void {
    if (this.closed) {
      void connection.close();
      return;
    }
    this.#track(connection);
    if (this.#peerListeners.size === 0) {
      this.#pendingPeers.push(connection);
    } else {
      notify(this.#peerListeners, connection);
    }
  }

  #track(connection: Connection): void {
    this.#peers.add(connection);
    void connection.whenClosed.then(() => this.#peers.delete(connection));
  }

  #assertOpen(action: string): void {
    if (this.closed) {
      throw new TfstreamError(
        'CONNECTION_CLOSED',
        `cannot ${action}: ${roleLabel(this)} is closed`,
      );
    }
  }

  #clusterAfter(generation: number, timeoutMs: number): Promise<void> {
    if (this.generation > generation || this.closed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const changed = this.#clusterChanged;
      function done(): void {
        clearTimeout(timer);
        const at = changed.indexOf(done);
        if (at >= 0) {
          changed.splice(at, 1);
        }
        resolve();
      }
      changed.push(done);
    });
  }

  async #readCoordinator(): Promise<void> {
    try {
      for await (const frame of this.#coordinator) {
        const message = frame.message;
        switch (message.kind) {
          case 'cluster':
            this.#cluster = message;
            for (const wake of this.#clusterChanged.splice(0)) {
              wake();
            }
            notify(this.#clusterListeners, message.spec, message.generation);
            break;
          case 'shutdown':
            await this.#shutdown(message.reason);
            return;
          case 'data':
          case 'credit':
            notify(this.#dataListeners, frame);
            break;
          case 'error':
            process.stderr.write(`coordinator error: ${message.code}: ${message.message}\n`);
            break;
          case 'hello':
          case 'welcome':
          case 'register':
          case 'heartbeat':
          case 'log':
          case 'metric':
            process.stderr.write(`ignored an unexpected "${message.kind}" from the coordinator\n`);
            break;
        }
      }
    } catch (error) {
      process.stderr.write(`lost the coordinator: ${(error as Error).message}\n`);
    }
    if (!this.closed) {
      this.#coordinatorLost();
    }
  }

  async #shutdown(reason: string): Promise<void> {
    const handlers = [...this.#shutdownHandlers];
    const outcomes = await Promise.allSettled(handlers.map(async (handler) => handler(reason)));
    let failed = false;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        failed = true;
        process.stderr.write(`a shutdown handler failed: ${String(outcome.reason)}\n`);
      }
    }
    await this.close();
    if (this.#options.exitOnShutdown === true) {
      process.exit(failed ? 1 : 0);
    }
  }

  #coordinatorLost(): void {
    void this.close();
    if (this.#options.exitOnCoordinatorLoss !== true) {
      return;
    }
    process.stderr.write(`${roleLabel(this)}: the coordinator is gone; exiting\n`);
    if (this.#env.processGroup && process.platform !== 'win32') {
      // Take down whatever this role started, too: it leads its own process group.
      process.kill(-process.pid, 'SIGKILL');
    }
    process.exit(1);
  }
}

/**
 * Joins the run from inside a role process: reads the `TFSTREAM_*` environment the coordinator
 * set, opens this role's listener for peers, connects and registers with the coordinator, and
 * resolves once every role has registered and the cluster spec has arrived (the barrier).
 *
 * @example
 * ```ts
 * import { connectRole } from '@tfstream/runtime/role';
 *
 * const handle = await connectRole();
 * if (handle.role === 'ps') {
 *   handle.onPeer(async (connection) => {
 *     for await (const { message, body } of connection) await connection.send(message, body);
 *   });
 * } else {
 *   const ps = await handle.connectPeer('ps', 0);
 *   await ps.send({ kind: 'data', channel: 'gradients', seq: 1 }, gradientBytes);
 *   await handle.metric('loss', 0.42, 1);
 *   await handle.close(); // exit 0: this worker is done
 * }
 * ```
 *
 * @throws `ROLE_ENV_INVALID` outside a role process; `AUTH_FAILED`, `PROTOCOL_ERROR` or
 * `CONNECTION_CLOSED` when the coordinator refuses or drops this role; `CLUSTER_CANCELLED`
 * when the run is shut down before the cluster forms.
 */
export async function connectRole(options: ConnectRoleOptions = {}): Promise<RoleHandle> {
  const fromProcess = options.env === undefined;
  const env = parseRoleEnv(options.env ?? process.env);
  if (fromProcess) {
    // Child processes of user code must not inherit the run's token.
    delete process.env[ROLE_ENV.token];
  }
  const resolved: ConnectRoleOptions = {
    ...options,
    exitOnShutdown: options.exitOnShutdown ?? fromProcess,
    exitOnCoordinatorLoss: options.exitOnCoordinatorLoss ?? fromProcess,
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const identity: RoleIdentity = { role: env.role, index: env.index, attempt: env.attempt };
  let handle: RoleHandle | undefined;
  const early: Connection[] = [];
  const listener = await listen({
    host: env.host,
    token: env.token,
    as: identity,
    onConnection: (connection) => {
      if (handle === undefined) {
        early.push(connection);
      } else {
        handle.acceptPeer(connection);
      }
    },
  });
  let coordinator: Connection | undefined;
  try {
    coordinator = await connect(env.coordinator, { token: env.token, timeoutMs });
    await coordinator.send({
      kind: 'register',
      ...identity,
      address: listener.address,
      pid: process.pid,
    });
    const cluster = await waitForCluster(coordinator, identity, timeoutMs);
    handle = new RoleHandle(env, coordinator, listener, cluster, resolved);
  } catch (error) {
    await coordinator?.close();
    await listener.close();
    throw error;
  }
  for (const connection of early) {
    handle.acceptPeer(connection);
  }
  return handle;
}

async function waitForCluster(
  coordinator: Connection,
  identity: RoleIdentity,
  timeoutMs: number,
): Promise<ClusterMessage> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void coordinator.close();
  }, timeoutMs);
  try {
    for (;;) {
      const frame = await coordinator.read();
      if (frame === undefined) {
        throw timedOut
          ? new TfstreamError(
              'CLUSTER_FAILED',
              `${roleLabel(identity)} got no cluster spec within ${timeoutMs} ms; ` +
                'not every role registered with the coordinator',
            )
          : new TfstreamError(
              'CONNECTION_CLOSED',
              `the coordinator closed the connection of ${roleLabel(identity)} before the cluster formed`,
            );
      }
      const message = frame.message;
      switch (message.kind) {
        case 'cluster':
          return message;
        case 'error':
          throw new TfstreamError(
            message.code === 'AUTH_FAILED' ? 'AUTH_FAILED' : 'PROTOCOL_ERROR',
            `the coordinator refused ${roleLabel(identity)}: ${message.message}`,
          );
        case 'shutdown':
          throw new TfstreamError(
            'CLUSTER_CANCELLED',
            `the run was shut down before the cluster formed: ${message.reason}`,
          );
        default:
          // Nothing else is expected before the spec; later protocol versions may add messages.
          break;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
