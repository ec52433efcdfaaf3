// Faults during whole runs (startRun, real processes): a parameter server killed mid-training,
// and model code that throws, hangs or runs out of memory.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobJson } from '../job/index.js';
import { parseJob } from '../job/index.js';
import { checkpointDir, readCommittedCheckpoint } from '../ps/checkpoint-file.js';
import type { Run, RunEvent, StartRunOptions } from './run.js';
import { startRun } from './run.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from './test-support/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-faults-'));
const runs: Run[] = [];

afterAll(async () => {
  await Promise.all(runs.map((run) => run.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;

async function start(
  json: JobJson,
  jobFile: string,
  options: Partial<StartRunOptions> = {},
): Promise<{ run: Run; events: RunEvent[]; runDir: string }> {
  const runDir = join(dir, `runs/${++counter}`);
  const run = await startRun(parseJob(json, jobFile), {
    runDir,
    execArgv: SOURCE_EXEC_ARGV,
    cwd: REPO_ROOT,
    ...options,
  });
  runs.push(run);
  const events: RunEvent[] = [];
  run.on((event) => events.push(event));
  return { run, events, runDir };
}

function logLines(events: readonly RunEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'log' ? [event.line] : []));
}

describe('a training run whose parameter server is killed with SIGKILL', () => {
  const example = join(REPO_ROOT, 'examples/penguin-train');
  const penguin = JSON.parse(readFileSync(join(example, 'job.json'), 'utf8')) as JobJson;

  it.each([
    [1, 0],
    [2, 1],
  ])(
    'resumes from the committed checkpoint, finishes and exports the model (%i parameter server(s), ps %i killed)',
    async (parameterServers, killed) => {
      const json: JobJson = {
        ...penguin,
        cluster: { ...penguin.cluster, parameterServers },
        training: { ...penguin.training, epochs: 12, checkpoint: { everySteps: 10 } },
      };
      const { run, events, runDir } = await start(json, join(example, 'job.json'), {
        coordinator: { restartDelayMs: 0 },
      });
      // Kill the server once the chief is past step 25; the committed checkpoint is then at 20.
      let committedAtKill = -1;
      let stepAtKill = -1;
      const killedAt = new Promise<number>((resolve) => {
        const stop = run.on((event) => {
          if (event.type === 'metric' && event.name === 'loss' && event.step >= 25) {
            stop();
            resolve(events.length);
            stepAtKill = event.step;
            void readCommittedCheckpoint(checkpointDir(runDir), 'model').then((committed) => {
              committedAtKill = committed?.steps[0] ?? -1;
            });
            const ps = run.coordinator.roles.find((r) => r.role === 'ps' && r.index === killed)!;
            process.kill(ps.pid, 'SIGKILL');
          }
        });
      });
      const outcome = await run.result;
      const killIndex = await killedAt;
      expect(outcome.state, outcome.reason).toBe('finished');
      expect(outcome.recordsOut).toBe(234 * 12);
      expect(run.coordinator.roles.filter((r) => r.role === 'ps').map((r) => r.attempt)).toEqual(
        Array.from({ length: parameterServers }, (_, i) => (i === killed ? 2 : 1)),
      );
      const lines = logLines(events);
      const restored = Number(/restored model "model" at step (\d+)/.exec(lines.join('\n'))?.[1]);
      expect(restored % 10).toBe(0);
      expect(restored).toBeGreaterThanOrEqual(committedAtKill);
      expect(restored).toBeLessThanOrEqual(stepAtKill);
      // Every other shard rolled back to that same checkpoint, once.
      const rolledBack = lines.filter((line) => line.includes('rolled model "model" back'));
      expect(rolledBack).toHaveLength(parameterServers - 1);
      for (const line of rolledBack) {
        expect(line).toContain(`to the committed checkpoint at step ${restored}`);
      }
      // After the kill, no step goes back beyond the checkpoint.
      const after = events
        .slice(killIndex)
        .flatMap((e) => (e.type === 'metric' && e.name === 'loss' ? [e.step] : []));
      expect(Math.min(...after)).toBeGreaterThanOrEqual(restored);
      // The final model: exported, and committed by every shard at one step, at least the
      // chief's last.
      expect(existsSync(join(runDir, 'model', 'model.json'))).toBe(true);
      const committed = await readCommittedCheckpoint(checkpointDir(runDir), 'model');
      expect(committed?.steps).toHaveLength(parameterServers);
      expect(new Set(committed?.steps).size).toBe(1);
      const chief = events.flatMap((e) =>
        e.type === 'metric' && e.name === 'loss' && e.index === 0 ? [e.step] : [],
      );
      expect(committed!.steps[0]).toBeGreaterThanOrEqual(chief.at(-1)!);
      expect(committed!.steps[0]).toBeLessThanOrEqual(Math.max(...after));
      // The chief evaluated what it exported: better than a guess among 3 species.
      expect(outcome.metrics.eval_accuracy).toBeGreaterThan(0.5);
    },
    60_000,
  );
});

describe('model code that fails, through startRun', () => {
  const sensors = (model: string): JobJson => ({
    version: 1,
    name: 'faulty',
    mode: 'train',
    input: { source: { kind: 'synthetic', generator: 'sensors', count: 400 }, schema: 'infer' },
    transfer: { mode: 'micro-batch', batchSize: 20, lingerMs: 50 },
    model: { source: model },
  });
  const jobFile = join(dir, 'job.json');
  const fast = { restartDelayMs: 0, maxRestarts: 1, heartbeatMs: 200 };

  it('fails after maxRestarts with USER_CODE_ERROR at the line of a throw', async () => {
    const { run, events } = await start(
      sensors(`import * as tf from '@tensorflow/tfjs';
import { defineModel } from '@tfstream/sdk';

let batches = 0;
export default defineModel({
  hyperparameters: {},
  build: () => tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] }),
  compile: () => ({ optimizer: 'sgd', loss: 'meanSquaredError' }),
  features: (batch) => {
    if (++batches === 3) {
      throw new Error('the third batch is bad');
    }
    return { xs: batch.tensor('temperature').reshape([-1, 1]), ys: batch.tensor('vibration') };
  },
});
`),
      jobFile,
      { coordinator: fast },
    );
    const outcome = await run.result;
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(/^worker 0 failed 2 time\(s\), more than maxRestarts \(1\)/);
    expect(outcome.reason).toContain(
      'USER_CODE_ERROR: model.ts:11:13: Error: the third batch is bad',
    );
    const restarts = events.filter((e) => e.type === 'role' && e.phase === 'restarting');
    expect(restarts).toHaveLength(1);
  }, 20_000);

  it('stops model code that blocks its event loop, by heartbeat timeout', async () => {
    const { run, events } = await start(
      sensors(`import type { JobContext } from '@tfstream/sdk';
export default async function spin(ctx: JobContext): Promise<void> {
  for await (const batch of ctx.reader()) {
    const until = batch.keys.length > 0 ? Infinity : 0;
    while (Date.now() < until) {
      // busy
    }
  }
}
`),
      jobFile,
      { coordinator: { ...fast, heartbeatTimeoutMs: 1500 } },
    );
    const outcome = await run.result;
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(
      /worker 0 failed 2 time\(s\).*was killed by the coordinator: it sent no heartbeat for \d+ ms \(heartbeatTimeoutMs 1500\); its event loop is blocked or it hangs/,
    );
    expect(events.filter((e) => e.type === 'role' && e.phase === 'restarting')).toHaveLength(1);
  }, 20_000);

  it('stops model code that awaits forever while it holds records, by the job’s progress timeout', async () => {
    const { run, events } = await start(
      {
        ...sensors(`import type { JobContext } from '@tfstream/sdk';
export default async function stuck(ctx: JobContext): Promise<void> {
  for await (const _batch of ctx.reader()) {
    await new Promise(() => {});
  }
}
`),
        cluster: { progressTimeoutMs: 1500 },
      },
      jobFile,
      { coordinator: fast },
    );
    const outcome = await run.result;
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(
      /worker 0 failed 2 time\(s\).*was killed by the coordinator: it made no progress for \d+ ms while it held \d+ record\(s\) \(progressTimeoutMs 1500\)/,
    );
    // Its heartbeats went on all along: only the progress timeout tells.
    expect(outcome.reason).not.toContain('heartbeat');
    expect(events.filter((e) => e.type === 'role' && e.phase === 'restarting')).toHaveLength(1);
  }, 20_000);

  it('stops model code that exhausts its memory limit', async () => {
    const { run } = await start(
      sensors(`import type { JobContext } from '@tfstream/sdk';
const hoard: number[][] = [];
export default async function greedy(ctx: JobContext): Promise<void> {
  for await (const _batch of ctx.reader()) {
    for (;;) {
      hoard.push(new Array<number>(1 << 20).fill(0.5));
    }
  }
}
`),
      jobFile,
      // Near the limit V8 collects garbage hard: a generous heartbeat timeout lets it run out.
      { coordinator: { ...fast, memoryLimitMb: 160, heartbeatTimeoutMs: 15_000 } },
    );
    const outcome = await run.result;
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(
      /worker 0 failed 2 time\(s\).*ran out of memory \(JavaScript heap of 160 MiB; see memoryLimitMb\)/,
    );
  }, 20_000);
});
