// A role program for the parameter-server tests. `ps` roles serve their shard (ps-main); workers
// train a tiny regression model through @tfstream/sdk's ParameterSession, with their variable
// methods on a ParameterClient, on deterministic in-memory data. What they do is set by
// environment variables:
//   TEST_TRAINING   'sync' (default) or 'async'
//   TEST_STEPS      steps per worker (default 20); TEST_STEPS_<index> for one worker
//   TEST_DELAY_MS   pause after each step (default 0), so that a test can act mid-training
//   TEST_CHECKPOINT_EVERY  the chief checkpoints every that many steps (default none)
// Each worker reports the metrics `loss`, `step` and `hash` (of its weights after the step) at
// the step's number, and `done` when it finished.
import type {
  CheckpointRequest,
  CreateVariablesRequest,
  HistogramSummary,
  InputBatch,
  JobInfo,
  LogEntry,
  MetricPoint,
  PushGradientsRequest,
  RuntimeBinding,
} from '@tfstream/sdk';
import { ParameterSession, initEngine, tf } from '@tfstream/sdk';
import { connectRole } from '../../role/index.js';
import type { RoleHandle } from '../../role/index.js';
import { ParameterClient } from '../../worker/parameter-client.js';
import { serveParameterServer } from '../ps-main.js';
import { RUN_ENV } from '../ps-protocol.js';

const runDir = process.env[RUN_ENV.runDir];

/** The smallest binding: variables on the parameter servers, metrics and logs to the coordinator. */
class TestBinding implements RuntimeBinding {
  readonly job: JobInfo;
  readonly parameters: ParameterClient;
  readonly #role: RoleHandle;

  constructor(handle: RoleHandle, job: JobInfo) {
    this.#role = handle;
    this.job = job;
    this.parameters = new ParameterClient(handle, job, runDir === undefined ? {} : { runDir });
  }

  // eslint-disable-next-line require-yield
  async *readBatches(): AsyncIterable<InputBatch> {
    return;
  }
  async write(): Promise<void> {}
  metric(point: MetricPoint): void {
    void this.#role.metric(point.name, point.value, point.step);
  }
  log(entry: LogEntry): void {
    void this.#role.log(entry.level, entry.message);
  }
  summary(_summary: HistogramSummary): void {}
  createVariables(request: CreateVariablesRequest) {
    return this.parameters.createVariables(request);
  }
  pullWeights(request: { readonly model: string }) {
    return this.parameters.pullWeights(request);
  }
  pushGradients(request: PushGradientsRequest) {
    return this.parameters.pushGradients(request);
  }
  finishTraining(request: { readonly model: string }) {
    return this.parameters.finishTraining(request);
  }
  checkpoint(request: CheckpointRequest) {
    return this.parameters.checkpoint(request);
  }
  loadModel() {
    return this.parameters.loadModel();
  }
}

/** A seeded PRNG (mulberry32), so that every run sees the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the bytes of every trainable weight: equal hashes, equal weights. */
function weightsHash(model: tf.LayersModel): number {
  let hash = 0x811c9dc5;
  for (const weight of model.trainableWeights) {
    const bytes = new Uint8Array((weight.read().dataSync() as Float32Array).slice().buffer);
    for (const byte of bytes) {
      hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    }
  }
  return hash;
}

async function train(handle: RoleHandle): Promise<void> {
  await initEngine();
  const everySteps = Number(process.env.TEST_CHECKPOINT_EVERY ?? 0);
  const job: JobInfo = {
    runId: 'ps-test',
    role: 'worker',
    index: handle.index,
    attempt: handle.attempt,
    cluster: handle.cluster,
    mode: 'train',
    training: process.env.TEST_TRAINING === 'async' ? 'async' : 'sync',
    hyperparameters: {},
    inputSchema: undefined,
    outputSchema: undefined,
    ...(everySteps > 0 ? { checkpoint: { everySteps } } : {}),
  };
  const binding = new TestBinding(handle, job);
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 4, inputShape: [2] }), tf.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  const session = await ParameterSession.create(binding, model);
  const steps = Number(process.env[`TEST_STEPS_${handle.index}`] ?? process.env.TEST_STEPS ?? 20);
  const delay = Number(process.env.TEST_DELAY_MS ?? 0);
  const next = random(1000 + handle.index);
  for (let i = 0; i < steps; i++) {
    const rows = 16;
    const x = Array.from({ length: rows * 2 }, () => next() * 2 - 1);
    const y = Array.from({ length: rows }, (_, r) => 2 * x[r * 2]! - 3 * x[r * 2 + 1]! + 1);
    const xs = tf.tensor2d(x, [rows, 2]);
    const ys = tf.tensor2d(y, [rows, 1]);
    const result = await session.trainStep(xs, ys);
    tf.dispose([xs, ys]);
    binding.metric({ name: 'loss', value: result.loss, step: result.step, time: Date.now() });
    binding.metric({ name: 'step', value: result.step, step: i, time: Date.now() });
    binding.metric({
      name: 'hash',
      value: weightsHash(model),
      step: result.step,
      time: Date.now(),
    });
    if (!result.applied) {
      void handle.log('info', `step ${i}: not applied; went on from step ${result.step}`);
    }
    if (delay > 0) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  const saved = await session.close();
  if (saved !== undefined) {
    void handle.log('info', `saved step ${saved.step} to ${saved.location}`);
  }
  await handle.metric('done', session.step, steps);
  await binding.parameters.close();
  await handle.close();
}

const role = await connectRole();
if (role.role === 'ps') {
  await serveParameterServer(role, runDir === undefined ? {} : { runDir });
} else {
  await train(role);
}
