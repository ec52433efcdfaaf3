import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '@tfstream/sdk';
import type { VariableSpec } from '@tfstream/sdk';
import {
  checkpointPath,
  readShardCheckpoint,
  writeCommittedCheckpoint,
} from './checkpoint-file.js';
import { ParameterServer } from './parameter-server.js';
import type { PsRequest } from './ps-protocol.js';
import { decodeTensors, encodeTensors, restartCause } from './ps-protocol.js';

const variables: VariableSpec[] = [{ id: 0, name: 'w', shape: [2], dtype: 'float32', shard: 0 }];
const servers: ParameterServer[] = [];
const folders: string[] = [];

beforeAll(async () => {
  await initEngine();
});

afterEach(async () => {
  servers.splice(0).forEach((server) => server.dispose());
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function server(options: { checkpointDir?: string; syncTimeoutMs?: number } = {}) {
  const ps = new ParameterServer({ shard: 0, workers: 2, ...options });
  servers.push(ps);
  const create: PsRequest = {
    op: 'create',
    model: 'm',
    variables,
    values: true,
    optimizer: { className: 'SGD', config: { learningRate: 1 } },
    training: 'sync',
    step: 0,
  };
  await ps.handle(create, encodeTensors([Float32Array.of(0, 0)]), 0);
  return ps;
}

function push(ps: ParameterServer, worker: number, step: number, gradient: number[]) {
  return ps.handle(
    { op: 'push', model: 'm', step, ids: [0] },
    encodeTensors([Float32Array.from(gradient)]),
    worker,
  );
}

function values(body: Uint8Array | undefined): number[] {
  return [...decodeTensors(body, [2])[0]!];
}

describe('ParameterServer', () => {
  it('applies a sync step with the gradients it has once the others are late, and drops theirs as stale', async () => {
    const ps = await server({ syncTimeoutMs: 200 });
    const started = Date.now();
    const alone = await push(ps, 0, 0, [1, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(alone.response).toMatchObject({ op: 'push', step: 1, applied: true });
    // SGD with learning rate 1: w = 0 - gradient of the one worker.
    expect(values(alone.body)).toEqual([-1, -2]);
    const late = await push(ps, 1, 0, [5, 5]);
    expect(late.response).toMatchObject({ step: 1, applied: false });
    expect(values(late.body)).toEqual([-1, -2]);
    // Both on time: averaged at once.
    const [a, b] = await Promise.all([push(ps, 0, 1, [2, 0]), push(ps, 1, 1, [0, 2])]);
    expect(a.response).toMatchObject({ step: 2, applied: true });
    expect(values(b.body)).toEqual([-2, -3]);
  });

  it('rolls back to the committed checkpoint once per restart, answering a waiting push', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tfstream-ps-unit-'));
    folders.push(dir);
    const ps = await server({ checkpointDir: dir });
    await Promise.all([push(ps, 0, 0, [1, 1]), push(ps, 1, 0, [1, 1])]);
    const saved = await ps.handle({ op: 'checkpoint', model: 'm' }, undefined, 0);
    expect(saved.response).toMatchObject({ step: 1, location: checkpointPath(dir, 0, 'm', 1) });
    await writeCommittedCheckpoint(dir, { model: 'm', steps: [1] });
    expect((await readShardCheckpoint(checkpointPath(dir, 0, 'm', 1))).step).toBe(1);
    await Promise.all([push(ps, 0, 1, [1, 1]), push(ps, 1, 1, [1, 1])]);
    expect(ps.stepOf('m')).toBe(2);

    const waiting = push(ps, 0, 2, [7, 7]);
    const cause = restartCause(1, 2);
    const restored = await ps.handle({ op: 'restore', model: 'm', cause }, undefined, 1);
    expect(restored.response).toEqual({ op: 'restore', step: 1 });
    const answered = await waiting;
    expect(answered.response).toMatchObject({ step: 1, applied: false });
    expect(values(answered.body)).toEqual([-1, -1]);
    // Training goes on from there; the same cause asked again changes nothing.
    await Promise.all([push(ps, 0, 1, [1, 1]), push(ps, 1, 1, [1, 1])]);
    const again = await ps.handle({ op: 'restore', model: 'm', cause }, undefined, 0);
    expect(again.response).toEqual({ op: 'restore', step: 2 });
    const pulled = await ps.handle({ op: 'pull', model: 'm' }, undefined, 0);
    expect(values(pulled.body)).toEqual([-2, -2]);
  });
});
