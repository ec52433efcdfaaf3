// The one typed contract between the server and a run host (its child process), over Node's IPC
// channel: the server starts, feeds and cancels the run; the host reports its events.
import type { JobJson, PushFormat, PushResult } from '@tfstream/runtime';
import type { UnnumberedStudioEvent } from '@tfstream/studio-api';

/**
 * Server → host, to a host started ahead of its run (a spare): start `roles` role processes now,
 * with TensorFlow.js loaded, for the run it will be given. Sent at most once, before `start`.
 */
export interface PrepareHostMessage {
  readonly type: 'prepare';
  readonly roles: number;
  /** Node options of the role processes: those of the `start` message to come. */
  readonly roleExecArgv: readonly string[];
}

/** Server → host: run this job (sent once). */
export interface StartHostMessage {
  readonly type: 'start';
  readonly runId: string;
  /** The job document as the run was started with (overrides applied). */
  readonly job: JobJson;
  /** The data folder: the job's relative paths resolve against it, models are published there. */
  readonly home: string;
  readonly runDir: string;
  /** Node options and working directory of the run's worker and parameter-server processes. */
  readonly roleExecArgv: readonly string[];
  readonly roleCwd?: string;
}

/** Server → host: records pushed over HTTP, answered by a {@link PushedHostMessage} of the same id. */
export interface PushHostMessage {
  readonly type: 'push';
  readonly id: number;
  readonly format: PushFormat;
  readonly body: string;
  /** How long to wait for room in the run's input queue. */
  readonly timeoutMs: number;
}

/** Server → host: no more pushed records. */
export interface EndInputHostMessage {
  readonly type: 'end-input';
}

/** Server → host: stop the run (it ends `cancelled`). */
export interface CancelHostMessage {
  readonly type: 'cancel';
  readonly reason: string;
}

export type ServerToHostMessage =
  PrepareHostMessage | StartHostMessage | PushHostMessage | EndInputHostMessage | CancelHostMessage;

/** Host → server: events in the order they happened; the server numbers them. */
export interface EventsHostMessage {
  readonly type: 'events';
  readonly events: readonly UnnumberedStudioEvent[];
}

/** Host → server: the answer to a {@link PushHostMessage}. */
export interface PushedHostMessage {
  readonly type: 'pushed';
  readonly id: number;
  readonly result?: PushResult;
  /** Set when the records could not be taken at all (not a push run, not started). */
  readonly error?: { readonly code: string; readonly message: string };
}

export type HostToServerMessage = EventsHostMessage | PushedHostMessage;
