// The feed through whole runs (startRun, real worker and parameter-server processes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobJson } from '../../job/index.js';
import { parseJob } from '../../job/index.js';
import type { Run, RunEvent } from '../run.js';
import { startRun } from '../run.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from '../test-support/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-feed-'));
const runs: Run[] = [];

afterAll(async () => {
  await Promise.all(runs.map((run) => run.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

/** Logistic regression of the sensors' label on two of their readings. */
const SENSOR_CLASSIFIER = `import * as tf from '@tensorflow/tfjs';
import { defineModel } from '@tfstream/sdk';
export default defineModel({
  hyperparameters: {},
  build: () =>
    tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })] }),
  compile: () => ({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' }),
  features: (batch) => ({
    xs: tf.stack([batch.tensor('temperature'), batch.tensor('vibration')], 1),
    ys: batch.tensor('label').toFloat().reshape([-1, 1]),
  }),
});
`;

let counter = 0;

async function syncTraining(
  transfer: JobJson['transfer'],
  count: number,
  epochs: number,
): Promise<{ run: Run; steps: Map<number, number[]> }> {
  const job = parseJob(
    {
      version: 1,
      name: `lockstep-${++counter}`,
      mode: 'train',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', count, seed: 3 },
        schema: 'infer',
      },
      transfer,
      cluster: { workers: 2, parameterServers: 1, training: 'sync' },
      training: { epochs },
      model: { source: SENSOR_CLASSIFIER },
    },
    join(dir, 'job.json'),
  );
  const run = await startRun(job, {
    runDir: join(dir, `runs/${counter}`),
    execArgv: SOURCE_EXEC_ARGV,
    cwd: REPO_ROOT,
  });
  runs.push(run);
  const steps = new Map<number, number[]>();
  run.on((event: RunEvent) => {
    if (event.type === 'metric' && event.name === 'loss') {
      steps.set(event.index, [...(steps.get(event.index) ?? []), event.step]);
    }
  });
  return { run, steps };
}

describe('sync training in lockstep', () => {
  it('ends every pass of a micro-batch feed with as many batches for each worker (2 workers, 1 parameter server)', async () => {
    // 101 records in micro-batches of 8: 13 batches a pass, the last of 5, unless cut again.
    const { run, steps } = await syncTraining(
      { mode: 'micro-batch', batchSize: 8, lingerMs: 50 },
      101,
      3,
    );
    const outcome = await run.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome.recordsOut).toBe(101 * 3);
    // Both workers took part in every step, and the steps went on across the passes.
    expect(steps.get(0)).toEqual(steps.get(1));
    expect(steps.get(0)).toEqual(Array.from({ length: 3 * 7 }, (_, i) => i + 1));
  });

  it('ends every pass of a stream feed with as many batches for each worker', async () => {
    const { run, steps } = await syncTraining({ mode: 'stream' }, 21, 2);
    const outcome = await run.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    expect(outcome.recordsOut).toBe(21 * 2);
    expect(steps.get(0)).toEqual(steps.get(1));
    // 21 records a pass: the last round carries a batch of two records.
    expect(steps.get(0)).toHaveLength(2 * 10);
  });
});
