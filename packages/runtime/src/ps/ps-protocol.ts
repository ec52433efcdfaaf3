// The request/response protocol between a worker's ParameterClient and a parameter-server role.
// It rides on `data` frames of one peer connection: the header in `meta`, tensor values in the
// frame body as concatenated little-endian float32 data, in the order `ids` (or the header) gives.
import { TfstreamError } from '@tfstream/schema';
import type { ErrorCode } from '@tfstream/schema';
import type { OptimizerSpec, TrainingMode, VariableSpec } from '@tfstream/sdk';
import type { DataMessage, JsonValue } from '../protocol/index.js';

/** The `data` channel that parameter-server requests and responses travel on. */
export const PS_CHANNEL = 'ps';

/**
 * Environment variables the run sets on every role (through `CoordinatorOptions.env`): where the
 * run folder is (checkpoints, the exported model) and, for inference, the model to load.
 */
export const RUN_ENV = {
  runDir: 'TFSTREAM_RUN_DIR',
  modelPath: 'TFSTREAM_MODEL_PATH',
} as const;

/**
 * Creates a model's variables on one shard, or waits until the chief has (`values: false`).
 * Body: this shard's initial values, in `variables` order filtered to `shard`, when `values`.
 */
export interface PsCreateRequest {
  readonly op: 'create';
  readonly model: string;
  /** Every variable of the model; the server keeps those whose `shard` is its index. */
  readonly variables: readonly VariableSpec[];
  readonly values: boolean;
  readonly optimizer: OptimizerSpec | null;
  readonly training: TrainingMode;
  /** The global step of the values; 0 for fresh ones, more when a worker re-seeds a server. */
  readonly step: number;
}

/** Asks one shard for the current values of its variables of a model. */
export interface PsPullRequest {
  readonly op: 'pull';
  readonly model: string;
}

/** One worker's gradients for one shard (body, in the order of `ids`). */
export interface PsPushRequest {
  readonly op: 'push';
  readonly model: string;
  /** The shard's step the gradients were computed at (sync: stale ones are dropped). */
  readonly step: number;
  readonly ids: readonly number[];
}

/** The calling worker pushes no more gradients for the model. */
export interface PsFinishRequest {
  readonly op: 'finish';
  readonly model: string;
}

/** Saves the shard's variables, optimizer state and step of a model to the run folder. */
export interface PsCheckpointRequest {
  readonly op: 'checkpoint';
  readonly model: string;
}

/**
 * Rolls the shard's model back to its committed checkpoint, because shard `cause` names restarted
 * from it; once per cause, however many workers ask (see {@link restartCause}).
 */
export interface PsRestoreRequest {
  readonly op: 'restore';
  readonly model: string;
  readonly cause: string;
}

/** Every request a parameter server answers, told apart by `op`. */
export type PsRequest =
  | PsCreateRequest
  | PsPullRequest
  | PsPushRequest
  | PsFinishRequest
  | PsCheckpointRequest
  | PsRestoreRequest;

/** The answer to `create`. */
export interface PsCreateResponse {
  readonly op: 'create';
  readonly step: number;
  readonly restored: boolean;
}

/** The answer to `pull` (body: values in the order of `ids`). */
export interface PsWeightsResponse {
  readonly op: 'pull';
  readonly step: number;
  readonly ids: readonly number[];
}

/** The answer to `push` (body: the shard's new values in the order of `ids`). */
export interface PsPushResponse {
  readonly op: 'push';
  readonly step: number;
  readonly applied: boolean;
  readonly ids: readonly number[];
}

/** The answer to `finish`. */
export interface PsFinishResponse {
  readonly op: 'finish';
}

/** The answer to `checkpoint`. */
export interface PsCheckpointResponse {
  readonly op: 'checkpoint';
  readonly step: number;
  readonly location: string;
}

/** The answer to `restore`: the shard's step after it. */
export interface PsRestoreResponse {
  readonly op: 'restore';
  readonly step: number;
}

/** A request that failed on the server, with the `TfstreamError` code and message to rethrow. */
export interface PsErrorResponse {
  readonly op: 'error';
  readonly code: ErrorCode;
  readonly message: string;
}

/** Every response of a parameter server; `seq` of the frame is that of the request. */
export type PsResponse =
  | PsCreateResponse
  | PsWeightsResponse
  | PsPushResponse
  | PsFinishResponse
  | PsCheckpointResponse
  | PsRestoreResponse
  | PsErrorResponse;

const REQUEST_OPS: readonly string[] = [
  'create',
  'pull',
  'push',
  'finish',
  'checkpoint',
  'restore',
];

/**
 * The `cause` of the rollback that parameter server `shard`'s process of attempt `attempt` (a
 * restart) asks of every shard: the same for every worker, so each shard rolls back once.
 */
export function restartCause(shard: number, attempt: number): string {
  return `ps ${shard} attempt ${attempt}`;
}
const RESPONSE_OPS: readonly string[] = [...REQUEST_OPS, 'error'];

/** The `data` message that carries a request or response. */
export function psMessage(seq: number, payload: PsRequest | PsResponse): DataMessage {
  return { kind: 'data', channel: PS_CHANNEL, seq, meta: payload as unknown as JsonValue };
}

function header(message: DataMessage, ops: readonly string[], what: string): Fields {
  const meta = message.meta;
  const fields = typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta : {};
  const op = (fields as Fields).op;
  const needsModel = what === 'request';
  if (
    typeof op !== 'string' ||
    !ops.includes(op) ||
    (needsModel && typeof (fields as Fields).model !== 'string')
  ) {
    throw new TfstreamError(
      'PROTOCOL_ERROR',
      `bad parameter-server ${what} (seq ${message.seq}): "meta" must be an object with an "op" of ${ops.join(', ')}${needsModel ? ' and a string "model"' : ''}`,
    );
  }
  return fields as Fields;
}

type Fields = Record<string, unknown>;

/**
 * The request a `data` frame on {@link PS_CHANNEL} carries.
 * @throws `PROTOCOL_ERROR` for a header that is not a request.
 */
export function parsePsRequest(message: DataMessage): PsRequest {
  return header(message, REQUEST_OPS, 'request') as unknown as PsRequest;
}

/**
 * The response a `data` frame on {@link PS_CHANNEL} carries.
 * @throws `PROTOCOL_ERROR` for a header that is not a response.
 */
export function parsePsResponse(message: DataMessage): PsResponse {
  return header(message, RESPONSE_OPS, 'response') as unknown as PsResponse;
}

/** Concatenates float32 arrays into one little-endian body (`undefined` for none). */
export function encodeTensors(values: readonly Float32Array[]): Uint8Array | undefined {
  const total = values.reduce((sum, v) => sum + v.length, 0);
  if (total === 0) {
    return undefined;
  }
  const out = new Uint8Array(total * 4);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const value of values) {
    for (let i = 0; i < value.length; i++, offset += 4) {
      view.setFloat32(offset, value[i]!, true);
    }
  }
  return out;
}

/**
 * Splits a body made by {@link encodeTensors} into arrays of the given sizes.
 * @throws `PROTOCOL_ERROR` when the body's length does not match.
 */
export function decodeTensors(
  body: Uint8Array | undefined,
  sizes: readonly number[],
): Float32Array[] {
  const total = sizes.reduce((sum, s) => sum + s, 0);
  const bytes = body?.byteLength ?? 0;
  if (bytes !== total * 4) {
    throw new TfstreamError(
      'PROTOCOL_ERROR',
      `a parameter-server body has ${bytes} bytes; ${sizes.length} tensors of ${total} float32 values need ${total * 4}`,
    );
  }
  const view = body === undefined ? undefined : new DataView(body.buffer, body.byteOffset, bytes);
  let offset = 0;
  return sizes.map((size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++, offset += 4) {
      out[i] = view!.getFloat32(offset, true);
    }
    return out;
  });
}

/** The number of values of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
