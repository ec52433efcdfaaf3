import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TfstreamError } from '@tfstream/schema';
import type { OptimizerSpec, TrainingMode, VariableSpec } from '@tfstream/sdk';

/** One tensor of a shard checkpoint: a variable (`var/<id>`) or a piece of optimizer state. */
export interface CheckpointTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
}

/** What one parameter-server shard saves of one model. */
export interface ShardCheckpoint {
  readonly model: string;
  readonly shard: number;
  readonly step: number;
  readonly training: TrainingMode;
  readonly optimizer: OptimizerSpec;
  /** Every variable of the model (the shard holds those with its index). */
  readonly variables: readonly VariableSpec[];
  /** Values of the shard's variables, by variable id. */
  readonly values: ReadonlyMap<number, Float32Array>;
  /** The optimizer's `getWeights()`, in order. */
  readonly optimizerState: readonly CheckpointTensor[];
  /** Workers that had finished training (sync servers do not wait for them). */
  readonly finished: readonly number[];
}

const FORMAT = 'tfstream-ps-checkpoint';
const VERSION = 1;
const EXTENSION = '.ckpt';
let temporaries = 0;

interface Header {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly model: string;
  readonly shard: number;
  readonly step: number;
  readonly training: TrainingMode;
  readonly optimizer: OptimizerSpec;
  readonly variables: readonly VariableSpec[];
  readonly finished: readonly number[];
  readonly tensors: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly dtype: 'float32' | 'int32';
  }[];
}

/**
 * The checkpoint folder of a run. Its layout:
 * - `<model>.json`: the committed checkpoint of a model ({@link CommittedCheckpoint}), written by
 *   the chief once every shard has saved, so that all shards restore the same one;
 * - `ps-<shard>/<model>/step-<step>.ckpt`: a shard's checkpoints, by global step;
 * - `ps-<shard>/<model>/finished.json`: the workers that finished training.
 */
export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

/** The folder where shard `shard` keeps its checkpoints within a run folder. */
export function shardCheckpointDir(runDir: string, shard: number): string {
  return join(checkpointDir(runDir), `ps-${shard}`);
}

/** The folder of one model's checkpoints of one shard, in a run's checkpoint folder. */
export function modelCheckpointDir(dir: string, shard: number, model: string): string {
  return join(dir, `ps-${shard}`, encodeURIComponent(model));
}

/** The file of one shard's checkpoint of a model at a global step. */
export function checkpointPath(dir: string, shard: number, model: string, step: number): string {
  return join(modelCheckpointDir(dir, shard, model), `step-${step}${EXTENSION}`);
}

/** The file listing the workers that finished training a model, as one shard saw them. */
export function finishedPath(dir: string, shard: number, model: string): string {
  return join(modelCheckpointDir(dir, shard, model), 'finished.json');
}

/**
 * A checkpoint every shard of a model has saved: the one a restarted parameter server restores,
 * and the one the other shards roll back to, so that all hold the values of one moment.
 */
export interface CommittedCheckpoint {
  readonly model: string;
  /** The global step each shard saved, by shard (equal in sync training). */
  readonly steps: readonly number[];
}

const COMMITTED_FORMAT = 'tfstream-committed-checkpoint';

/** The file of a model's committed checkpoint in a run's checkpoint folder. */
export function committedCheckpointPath(dir: string, model: string): string {
  return join(dir, `${encodeURIComponent(model)}.json`);
}

/**
 * Commits a checkpoint that every shard has saved (atomically, over the previous one).
 * @throws `IO_ERROR` naming the file when it cannot be written.
 */
export async function writeCommittedCheckpoint(
  dir: string,
  checkpoint: CommittedCheckpoint,
): Promise<void> {
  const path = committedCheckpointPath(dir, checkpoint.model);
  const temp = `${path}.${process.pid}-${++temporaries}.tmp`;
  const json = { format: COMMITTED_FORMAT, version: VERSION, ...checkpoint };
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(temp, 'w');
    try {
      await file.writeFile(`${JSON.stringify(json)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new TfstreamError(
      'IO_ERROR',
      `could not commit the checkpoint of model "${checkpoint.model}": ${(error as Error).message}; check that the run folder is writable`,
      { file: path },
      { cause: error },
    );
  }
}

/**
 * A model's committed checkpoint, or `undefined` when none was committed yet.
 * @throws `IO_ERROR` naming the file when it exists but is not one.
 */
export async function readCommittedCheckpoint(
  dir: string,
  model: string,
): Promise<CommittedCheckpoint | undefined> {
  const path = committedCheckpointPath(dir, model);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw new TfstreamError(
      'IO_ERROR',
      `could not read the committed checkpoint: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
  let json: { format?: unknown; version?: unknown; model?: unknown; steps?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = {};
  }
  const steps = json.steps;
  if (
    json.format !== COMMITTED_FORMAT ||
    json.version !== VERSION ||
    json.model !== model ||
    !Array.isArray(steps) ||
    !steps.every((step) => Number.isSafeInteger(step) && (step as number) >= 0)
  ) {
    throw new TfstreamError(
      'IO_ERROR',
      `not a version ${VERSION} committed checkpoint of model "${model}"; delete it to start from scratch`,
      { file: path },
    );
  }
  return { model, steps: steps as number[] };
}

/** The models with a committed checkpoint in a run's checkpoint folder. */
export async function listCommittedModels(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw new TfstreamError(
      'IO_ERROR',
      `could not list the checkpoints in ${dir}: ${(error as Error).message}`,
      { file: dir },
      { cause: error },
    );
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => decodeURIComponent(name.slice(0, -'.json'.length)));
}

/**
 * Deletes a shard's checkpoints of a model older than `keepFrom` (the committed step), which no
 * restore can ask for any more.
 */
export async function pruneShardCheckpoints(
  dir: string,
  shard: number,
  model: string,
  keepFrom: number,
): Promise<void> {
  const folder = modelCheckpointDir(dir, shard, model);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const step = /^step-(\d+)\.ckpt$/.exec(name)?.[1];
      if (step !== undefined && Number(step) < keepFrom) {
        await rm(join(folder, name), { force: true });
      }
    }),
  );
}

/**
 * Writes a shard checkpoint atomically: to a temporary file in the same folder, fsynced, then
 * renamed over the previous one, so that a process killed mid-write leaves the old checkpoint.
 * Format: `uint32 LE header length | UTF-8 JSON header | tensor data` (little-endian, 4 bytes per
 * value, in header order).
 * @throws `IO_ERROR` naming the file when it cannot be written.
 */
export async function writeShardCheckpoint(
  path: string,
  checkpoint: ShardCheckpoint,
): Promise<void> {
  const tensors: CheckpointTensor[] = [
    ...[...checkpoint.values].map(([id, values]) => ({
      name: `var/${id}`,
      shape: checkpoint.variables[id]!.shape,
      dtype: 'float32' as const,
      values,
    })),
    ...checkpoint.optimizerState,
  ];
  const header: Header = {
    format: FORMAT,
    version: VERSION,
    model: checkpoint.model,
    shard: checkpoint.shard,
    step: checkpoint.step,
    training: checkpoint.training,
    optimizer: checkpoint.optimizer,
    variables: checkpoint.variables,
    finished: checkpoint.finished,
    tensors: tensors.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(json.byteLength, 0);
  const chunks = [prefix, json, ...tensors.map((t) => littleEndian(t.values))];
  const temp = `${path}.${process.pid}-${++temporaries}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const file = await open(temp, 'w');
    try {
      await file.writev(chunks);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new TfstreamError(
      'IO_ERROR',
      `could not write the parameter-server checkpoint ${path}: ${(error as Error).message}; check that the run folder is writable`,
      { file: path },
      { cause: error },
    );
  }
}

/**
 * Reads a checkpoint written by {@link writeShardCheckpoint}.
 * @throws `IO_ERROR` naming the file when it cannot be read or is not such a checkpoint.
 */
export async function readShardCheckpoint(path: string): Promise<ShardCheckpoint> {
  const bad = (detail: string): TfstreamError =>
    new TfstreamError('IO_ERROR', `${detail}; delete it to start from scratch`, { file: path });
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `could not read the parameter-server checkpoint: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
  if (bytes.byteLength < 4) {
    throw bad('not a tfstream parameter-server checkpoint (too short)');
  }
  const length = bytes.readUInt32LE(0);
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')) as Header;
  } catch {
    throw bad('not a tfstream parameter-server checkpoint (bad header)');
  }
  if (header.format !== FORMAT || header.version !== VERSION) {
    throw bad(`not a version ${VERSION} tfstream parameter-server checkpoint`);
  }
  let offset = 4 + length;
  const values = new Map<number, Float32Array>();
  const optimizerState: CheckpointTensor[] = [];
  for (const tensor of header.tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (offset + count * 4 > bytes.byteLength) {
      throw bad(`truncated at tensor ${tensor.name}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
    const data = tensor.dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
    for (let i = 0; i < count; i++) {
      data[i] =
        tensor.dtype === 'int32' ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
    }
    offset += count * 4;
    if (tensor.name.startsWith('var/')) {
      values.set(Number(tensor.name.slice(4)), data as Float32Array);
    } else {
      optimizerState.push({ ...tensor, values: data });
    }
  }
  return {
    model: header.model,
    shard: header.shard,
    step: header.step,
    training: header.training,
    optimizer: header.optimizer,
    variables: header.variables,
    values,
    optimizerState,
    finished: header.finished,
  };
}

function littleEndian(values: Float32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Int32Array) {
      view.setInt32(i * 4, values[i]!, true);
    } else {
      view.setFloat32(i * 4, values[i]!, true);
    }
  }
  return out;
}
