import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../coordinator/coordinator.js';
import type { CoordinatorEvent, MetricEvent } from '../coordinator/events.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV } from '../coordinator/test-support/cluster.js';
import { readSavedModel } from '../worker/saved-model.js';
import { checkpointDir, checkpointPath, readCommittedCheckpoint } from './checkpoint-file.js';
import { RUN_ENV } from './ps-protocol.js';

const TRAINING_ROLE = join(
  dirname(fileURLToPath(import.meta.url)),
  'test-support/training-role.ts',
);

const running: Coordinator[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((coordinator) => coordinator.dispose()));
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Run {
  readonly coordinator: Coordinator;
  readonly metrics: MetricEvent[];
  readonly logs: string[];
  readonly runDir: string;
}

async function trainingRun(
  workers: number,
  parameterServers: number,
  env: Record<string, string>,
): Promise<Run> {
  const runDir = await mkdtemp(join(tmpdir(), 'tfstream-ps-'));
  folders.push(runDir);
  const coordinator = new Coordinator({
    workers,
    parameterServers,
    entry: TRAINING_ROLE,
    execArgv: SOURCE_EXEC_ARGV,
    cwd: REPO_ROOT,
    env: { [RUN_ENV.runDir]: runDir, ...env },
  });
  running.push(coordinator);
  const metrics: MetricEvent[] = [];
  const logs: string[] = [];
  coordinator.on((event: CoordinatorEvent) => {
    if (event.type === 'metric') {
      metrics.push(event);
    } else if (event.type === 'log') {
      logs.push(event.line);
    }
  });
  await coordinator.start();
  return { coordinator, metrics, logs, runDir };
}

async function finished(run: Run): Promise<void> {
  const result = await run.coordinator.result;
  const log = run.logs.filter((line) => !line.includes('wasm-out')).slice(-30);
  expect(result.state, `${result.reason}\n${log.join('\n')}`).toBe('finished');
  // No worker failed and was restarted on the way.
  const restarted = run.coordinator.roles.filter((r) => r.role === 'worker' && r.attempt > 1);
  expect(restarted, log.join('\n')).toEqual([]);
}

/** The values of one worker's metric, by step. */
function series(run: Run, name: string, worker: number): Map<number, number> {
  return new Map(
    run.metrics
      .filter((m) => m.role === 'worker' && m.index === worker && m.name === name)
      .map((m) => [m.step, m.value]),
  );
}

function values(run: Run, name: string, worker: number): number[] {
  return run.metrics
    .filter((m) => m.role === 'worker' && m.index === worker && m.name === name)
    .map((m) => m.value);
}

describe('parameter servers', () => {
  it.each([1, 2])(
    'keep the weights of every sync worker identical after each step (%i shard(s))',
    async (shards) => {
      // Worker 1 runs out of data first: the servers then stop waiting for it.
      const run = await trainingRun(2, shards, { TEST_STEPS: '16', TEST_STEPS_1: '10' });
      await finished(run);
      const chief = series(run, 'hash', 0);
      const other = series(run, 'hash', 1);
      expect([...chief.keys()]).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect([...other.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      for (const [step, hash] of other) {
        expect(hash, `step ${step}`).toBe(chief.get(step));
      }
      // The chief's final checkpoint: committed at one step, every shard's file, the model.
      const dir = checkpointDir(run.runDir);
      expect(await readCommittedCheckpoint(dir, 'model')).toEqual({
        model: 'model',
        steps: Array.from({ length: shards }, () => 16),
      });
      for (let shard = 0; shard < shards; shard++) {
        expect(existsSync(checkpointPath(dir, shard, 'model', 16))).toBe(true);
      }
      const saved = await readSavedModel(join(run.runDir, 'model'));
      expect(saved?.weightSpecs?.length).toBe(4);
    },
    40_000,
  );

  it('applies each push at once in async training, and converges', async () => {
    const run = await trainingRun(2, 1, { TEST_TRAINING: 'async', TEST_STEPS: '60' });
    await finished(run);
    const steps = [...values(run, 'step', 0), ...values(run, 'step', 1)];
    // Every push of both workers made one step of its own.
    expect(Math.max(...steps)).toBe(120);
    expect(new Set(steps).size).toBe(120);
    const losses = values(run, 'loss', 0);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 10);
  }, 40_000);

  it.each([
    [1, 0],
    [2, 1],
  ])(
    'restores a killed parameter server from the committed checkpoint and trains on (%i shard(s), ps %i killed)',
    async (shards, killed) => {
      const run = await trainingRun(2, shards, {
        TEST_STEPS: '70',
        TEST_CHECKPOINT_EVERY: '5',
        TEST_DELAY_MS: '20',
      });
      // Kill the server once the chief is past step 17 (the last checkpoint was at step 15).
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the chief never reached step 17')),
          30_000,
        );
        const stop = run.coordinator.on((event) => {
          if (event.type === 'metric' && event.name === 'step' && event.value >= 17) {
            stop();
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const ps = run.coordinator.roles.find((r) => r.role === 'ps' && r.index === killed)!;
      process.kill(ps.pid, 'SIGKILL');
      await finished(run);
      expect(run.coordinator.roles.filter((r) => r.role === 'ps').map((r) => r.attempt)).toEqual(
        Array.from({ length: shards }, (_, i) => (i === killed ? 2 : 1)),
      );
      const restored = Number(
        /ps \d+: restored model "model" at step (\d+)/.exec(run.logs.join('\n'))?.[1],
      );
      expect(restored % 5).toBe(0);
      expect(restored).toBeGreaterThanOrEqual(15);
      for (const worker of [0, 1]) {
        const steps = values(run, 'step', worker);
        // One drop, to the committed checkpoint's step; +1 every step before and after it.
        const drops = steps.flatMap((s, i) => (i > 0 && s !== steps[i - 1]! + 1 ? [i] : []));
        expect(drops, `worker ${worker}: ${steps.join(' ')}`).toHaveLength(1);
        expect(steps[drops[0]!], `worker ${worker}: ${steps.join(' ')}`).toBe(restored);
        expect(steps.at(-1)).toBe(restored + (steps.length - 1 - drops[0]!));
      }
      // Every shard of the same step: both workers hold the same weights after every step
      // (the one that lost fewer steps to the restart may take one more, alone, at the end).
      const chief = series(run, 'hash', 0);
      const other = series(run, 'hash', 1);
      const common = [...other.keys()].filter((step) => chief.has(step));
      expect(common.length).toBeGreaterThanOrEqual(Math.max(chief.size, other.size) - 1);
      for (const step of common) {
        expect(other.get(step), `step ${step}`).toBe(chief.get(step));
      }
      if (shards > 1) {
        const rolledBack = run.logs.filter((line) => line.includes('rolled model "model" back'));
        expect(rolledBack).toHaveLength(shards - 1);
        expect(rolledBack[0]).toContain(`to the committed checkpoint at step ${restored}`);
      }
      // The chief's final checkpoint: every shard at one step, at least the chief's last (the
      // other worker may take a step alone after the chief finished).
      const committed = await readCommittedCheckpoint(checkpointDir(run.runDir), 'model');
      expect(committed?.steps).toHaveLength(shards);
      expect(new Set(committed?.steps).size).toBe(1);
      expect(committed!.steps[0]).toBeGreaterThanOrEqual(values(run, 'done', 0)[0]!);
      const losses = values(run, 'loss', 0);
      expect(losses.at(-1)!).toBeLessThan(0.05);
    },
    60_000,
  );
});
