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

/** The folder where shard `shard` keeps its checkpoints within a run folder. */
export function shardCheckpointDir(runDir: string, shard: number): string {
  return join(runDir, 'checkpoints', `ps-${shard}`);
}

/** The file of one model's checkpoint in a shard's folder. */
export function checkpointPath(dir: string, model: string): string {
  return join(dir, `${encodeURIComponent(model)}${EXTENSION}`);
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

/** Every checkpoint file in a shard's folder (none when the folder does not exist). */
export async function listShardCheckpoints(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((name) => name.endsWith(EXTENSION)).map((name) => join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw new TfstreamError(
      'IO_ERROR',
      `could not list the parameter-server checkpoints in ${dir}: ${(error as Error).message}`,
      { file: dir },
      { cause: error },
    );
  }
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
