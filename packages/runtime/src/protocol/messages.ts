import { TfstreamError } from '@tfstream/schema';

/**
 * The version of the wire protocol. A connection's first frame is a `hello` carrying it; the
 * accepting side refuses other versions with `PROTOCOL_ERROR`. Bump it on any change that an
 * older peer would misread (a new required field, a changed meaning); new optional fields and new
 * message kinds that only newer peers send do not need a bump.
 */
export const PROTOCOL_VERSION = 1;

/** The kinds of role a cluster has, named as in a TensorFlow cluster spec. */
export type RoleKind = 'worker' | 'ps';

/** Every role kind, in cluster-spec order. */
export const ROLE_KINDS: readonly RoleKind[] = ['worker', 'ps'];

/** Who a role is: its kind, its index among roles of that kind, and which start of it this is. */
export interface RoleIdentity {
  readonly role: RoleKind;
  /** 0-based index among the roles of the same kind. */
  readonly index: number;
  /** 1 for the first process of a role, +1 on every restart. */
  readonly attempt: number;
}

/**
 * Where every role listens for its peers, `host:port` per index, as in a TensorFlow
 * `ClusterSpec` (`{ worker: ['127.0.0.1:2222', ...], ps: [...] }`).
 */
export interface ClusterSpec {
  readonly worker: readonly string[];
  readonly ps: readonly string[];
}

/** Log levels of `log` messages. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** First frame of every connection: protocol version and the run's auth token. */
export interface HelloMessage {
  readonly kind: 'hello';
  readonly version: number;
  readonly token: string;
  /** Set when a role opens a connection to a peer, so that the peer knows who called. */
  readonly from?: RoleIdentity;
}

/** The accepting side's answer to a valid `hello`; `as` names the accepting role, if it is one. */
export interface WelcomeMessage {
  readonly kind: 'welcome';
  readonly version: number;
  readonly as?: RoleIdentity;
}

/** Role → coordinator, once after `welcome`: who the role is and where its peers reach it. */
export interface RegisterMessage {
  readonly kind: 'register';
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  /** `host:port` of the role's own listener for peer connections. */
  readonly address: string;
  readonly pid: number;
}

/**
 * Coordinator → every role: the cluster spec. Sent when all roles have registered (the barrier)
 * and again whenever a restarted role registers with a new address.
 */
export interface ClusterMessage {
  readonly kind: 'cluster';
  readonly spec: ClusterSpec;
  /** The current attempt of every role, index by index, so peers can tell a restarted role. */
  readonly attempts: { readonly worker: readonly number[]; readonly ps: readonly number[] };
  /** 1 when the cluster first forms, +1 for every later spec. */
  readonly generation: number;
}

/** Role → coordinator, every `heartbeatMs`: the role's event loop is alive. */
export interface HeartbeatMessage {
  readonly kind: 'heartbeat';
  /** The role's clock, `Date.now()`. */
  readonly at: number;
}

/** Role → coordinator: a log line of the role's own. */
export interface LogMessage {
  readonly kind: 'log';
  readonly level: LogLevel;
  readonly message: string;
}

/** Role → coordinator: one value of a named series (a loss, a throughput) at a step. */
export interface MetricMessage {
  readonly kind: 'metric';
  readonly name: string;
  readonly value: number;
  readonly step: number;
}

/** Coordinator → role: stop cleanly (run handlers, close, exit 0). */
export interface ShutdownMessage {
  readonly kind: 'shutdown';
  readonly reason: string;
}

/** Either direction: a typed error; the sender usually closes the connection after it. */
export interface ErrorMessage {
  readonly kind: 'error';
  readonly code: string;
  readonly message: string;
}

/** A JSON value, for the free-form `meta` of `data` messages. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Either direction: application data on a named channel, its payload in the frame body (an
 * Arrow IPC batch, tensor bytes). `seq` numbers the messages of a channel; `credit` lets the
 * receiver grant the sender more messages for flow control.
 */
export interface DataMessage {
  readonly kind: 'data';
  readonly channel: string;
  readonly seq: number;
  /** Messages the sender of this frame may now receive on `channel` (flow-control grant). */
  readonly credit?: number;
  /** Small JSON facts about the payload (a schema id, a row count). */
  readonly meta?: JsonValue;
}

/** Either direction: a flow-control grant without data. */
export interface CreditMessage {
  readonly kind: 'credit';
  readonly channel: string;
  readonly credit: number;
}

/** Every message of protocol version {@link PROTOCOL_VERSION}, told apart by `kind`. */
export type Message =
  | HelloMessage
  | WelcomeMessage
  | RegisterMessage
  | ClusterMessage
  | HeartbeatMessage
  | LogMessage
  | MetricMessage
  | ShutdownMessage
  | ErrorMessage
  | DataMessage
  | CreditMessage;

/** The `kind` of every message. */
export type MessageKind = Message['kind'];

/** A message and its optional raw body, as one frame carries them. */
export interface Frame {
  readonly message: Message;
  readonly body?: Uint8Array;
}

type Fields = Record<string, unknown>;

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

function fail(kind: string, detail: string): never {
  throw new TfstreamError('PROTOCOL_ERROR', `bad "${kind}" message: ${detail}`);
}

function str(value: Fields, key: string, kind: string): void {
  if (typeof value[key] !== 'string') {
    fail(kind, `"${key}" must be a string`);
  }
}

function num(value: Fields, key: string, kind: string, integer = false): void {
  const v = value[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
    fail(kind, `"${key}" must be a finite ${integer ? 'integer' : 'number'}`);
  }
}

function role(value: unknown, kind: string, key = 'role'): void {
  if (value !== 'worker' && value !== 'ps') {
    fail(kind, `"${key}" must be "worker" or "ps"`);
  }
}

function identity(value: unknown, kind: string, key: string): void {
  if (typeof value !== 'object' || value === null) {
    fail(kind, `"${key}" must be an object`);
  }
  const fields = value as Fields;
  role(fields.role, kind, `${key}.role`);
  num(fields, 'index', kind, true);
  num(fields, 'attempt', kind, true);
}

function stringList(value: unknown, kind: string, key: string): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    fail(kind, `"${key}" must be a list of strings`);
  }
}

function numberList(value: unknown, kind: string, key: string): void {
  if (!Array.isArray(value) || value.some((item) => !Number.isSafeInteger(item))) {
    fail(kind, `"${key}" must be a list of integers`);
  }
}

function object(value: unknown, kind: string, key: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(kind, `"${key}" must be an object`);
  }
  return value as Fields;
}

/**
 * Checks that a parsed frame header is a message of this protocol version and returns it typed.
 * Extra fields are kept (newer peers may add optional ones); missing or mistyped required fields
 * and unknown kinds throw `PROTOCOL_ERROR`.
 */
export function parseMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TfstreamError('PROTOCOL_ERROR', 'a frame header must be a JSON object');
  }
  const fields = value as Fields;
  const kind = fields.kind;
  if (typeof kind !== 'string') {
    throw new TfstreamError('PROTOCOL_ERROR', 'a frame header must have a string "kind"');
  }
  switch (kind as MessageKind) {
    case 'hello':
      num(fields, 'version', kind, true);
      str(fields, 'token', kind);
      if (fields.from !== undefined) {
        identity(fields.from, kind, 'from');
      }
      break;
    case 'welcome':
      num(fields, 'version', kind, true);
      if (fields.as !== undefined) {
        identity(fields.as, kind, 'as');
      }
      break;
    case 'register':
      role(fields.role, kind);
      num(fields, 'index', kind, true);
      num(fields, 'attempt', kind, true);
      str(fields, 'address', kind);
      num(fields, 'pid', kind, true);
      break;
    case 'cluster': {
      const spec = object(fields.spec, kind, 'spec');
      stringList(spec.worker, kind, 'spec.worker');
      stringList(spec.ps, kind, 'spec.ps');
      const attempts = object(fields.attempts, kind, 'attempts');
      numberList(attempts.worker, kind, 'attempts.worker');
      numberList(attempts.ps, kind, 'attempts.ps');
      num(fields, 'generation', kind, true);
      break;
    }
    case 'heartbeat':
      num(fields, 'at', kind);
      break;
    case 'log':
      if (typeof fields.level !== 'string' || !LOG_LEVELS.includes(fields.level)) {
        fail(kind, `"level" must be one of ${LOG_LEVELS.join(', ')}`);
      }
      str(fields, 'message', kind);
      break;
    case 'metric':
      str(fields, 'name', kind);
      num(fields, 'value', kind);
      num(fields, 'step', kind);
      break;
    case 'shutdown':
      str(fields, 'reason', kind);
      break;
    case 'error':
      str(fields, 'code', kind);
      str(fields, 'message', kind);
      break;
    case 'data':
      str(fields, 'channel', kind);
      num(fields, 'seq', kind, true);
      if (fields.credit !== undefined) {
        num(fields, 'credit', kind, true);
      }
      break;
    case 'credit':
      str(fields, 'channel', kind);
      num(fields, 'credit', kind, true);
      break;
    default:
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `unknown message kind ${JSON.stringify(kind)} (protocol version ${PROTOCOL_VERSION})`,
      );
  }
  return value as Message;
}

/** `worker 1`, `ps 0`: how messages and events name a role. */
export function roleLabel(identity: { readonly role: RoleKind; readonly index: number }): string {
  return `${identity.role} ${identity.index}`;
}
