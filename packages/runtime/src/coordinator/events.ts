import type { TfstreamError } from '@tfstream/schema';
import type {
  ClusterSpec,
  CreditMessage,
  DataMessage,
  LogLevel,
  RoleKind,
} from '../protocol/index.js';

/**
 * Where a run is. It moves `initialising` → `running` → (`recovering` → `running`)* and ends in
 * one of the terminal states `finished`, `failed` or `cancelled`.
 */
export type RunState =
  'initialising' | 'running' | 'recovering' | 'finished' | 'failed' | 'cancelled';

/** The states a run ends in. */
export type TerminalRunState = Extract<RunState, 'finished' | 'failed' | 'cancelled'>;

/** Whether `state` is one a run ends in. */
export function isTerminalState(state: RunState): state is TerminalRunState {
  return state === 'finished' || state === 'failed' || state === 'cancelled';
}

/** One step of the state machine. */
export interface StateEvent {
  readonly type: 'state';
  readonly state: RunState;
  readonly previous: RunState | undefined;
  /** `Date.now()` of the change. */
  readonly at: number;
  /** Why, in a sentence: `worker 1 (attempt 1, pid 4242) was killed by SIGKILL`. */
  readonly reason: string;
}

/** What happened to a role process. */
export type RolePhase = 'spawned' | 'registered' | 'exited' | 'restarting';

/** A step in the life of one role process. */
export interface RoleEvent {
  readonly type: 'role';
  readonly phase: RolePhase;
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  readonly pid: number;
  readonly at: number;
  /** The role's peer address (`registered`). */
  readonly address?: string;
  /** Exit code and signal (`exited`). */
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  /** Set on `exited` when the exit was a failure (crash, kill, hang), with the reason. */
  readonly error?: TfstreamError;
}

/** The cluster spec the coordinator just sent to every role. */
export interface ClusterEvent {
  readonly type: 'cluster';
  readonly spec: ClusterSpec;
  readonly attempts: { readonly worker: readonly number[]; readonly ps: readonly number[] };
  readonly generation: number;
  readonly at: number;
}

/** A line a role wrote to stdout or stderr, or a `log` message it sent. */
export interface LogEvent {
  readonly type: 'log';
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  readonly source: 'stdout' | 'stderr' | 'role';
  /** `info` for stdout, `error` for stderr, the message's level for `role`. */
  readonly level: LogLevel;
  readonly message: string;
  /** The message prefixed with its role: `[worker 0] loss 0.31`. */
  readonly line: string;
  readonly at: number;
}

/** A `metric` message of a role. */
export interface MetricEvent {
  readonly type: 'metric';
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  readonly name: string;
  readonly value: number;
  readonly step: number;
  readonly at: number;
}

/** A `data` or `credit` message a role sent to the coordinator. */
export interface DataEvent {
  readonly type: 'data';
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  readonly message: DataMessage | CreditMessage;
  readonly body?: Uint8Array;
  readonly at: number;
}

/** A connection to the coordinator that was refused (wrong token, bad hello, bad register). */
export interface RefusedEvent {
  readonly type: 'refused';
  readonly remoteAddress: string;
  readonly error: TfstreamError;
  readonly at: number;
}

/** Everything a {@link Coordinator} reports, told apart by `type`. */
export type CoordinatorEvent =
  StateEvent | RoleEvent | ClusterEvent | LogEvent | MetricEvent | DataEvent | RefusedEvent;

/** How a run ended. */
export interface RunResult {
  readonly state: TerminalRunState;
  readonly reason: string;
  /** `CLUSTER_FAILED` with the reason, for a failed run. */
  readonly error?: TfstreamError;
  readonly at: number;
}

/** A snapshot of one role, as {@link Coordinator.roles} lists them. */
export interface RoleStatus {
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  /** Restarts so far (attempt - 1). */
  readonly restarts: number;
  /** Pid of the current process; 0 while none runs. */
  readonly pid: number;
  /** The address the current process registered; undefined until it has. */
  readonly address: string | undefined;
  readonly status: 'starting' | 'registered' | 'restarting' | 'completed' | 'stopped';
}
