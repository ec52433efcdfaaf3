import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJob } from '../job/index.js';
import { RolePool } from './role-pool.js';
import type { RunEvent } from './run.js';
import { startRun } from './run.js';
import { REPO_ROOT, SOURCE_EXEC_ARGV, waitUntilGone } from './test-support/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-pool-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Writes, per record, whether the role sees the run's environment and none of the pool owner's.
const ENV_MODEL = `import type { JobContext } from '@tfstream/sdk';
export default async function check(ctx: JobContext): Promise<void> {
  const writer = ctx.writer();
  const ok =
    (process.env.TFSTREAM_RUN_DIR !== undefined ? 1 : 0) +
    (process.env.TFSTREAM_POOL_TEST_SECRET === undefined ? 2 : 0) +
    (process.cwd() === ${JSON.stringify(REPO_ROOT)} ? 4 : 0);
  for await (const batch of ctx.reader()) {
    await writer.write(batch.keys.map((key) => ({ key: Number(key), ok })), { keys: batch.keys });
  }
}
`;

describe('RolePool', () => {
  it('gives a run its first roles, which see only the run’s environment; dispose kills the rest', async () => {
    process.env.TFSTREAM_POOL_TEST_SECRET = 'not for roles';
    const pool = new RolePool({ size: 3, execArgv: SOURCE_EXEC_ARGV });
    delete process.env.TFSTREAM_POOL_TEST_SECRET;
    const warm = pool.pids;
    expect(warm).toHaveLength(3);
    const job = parseJob(
      {
        version: 1,
        name: 'pooled',
        mode: 'inference',
        input: {
          source: { kind: 'synthetic', generator: 'sensors', count: 40, seed: 3 },
          schema: 'infer',
        },
        output: {
          schema: {
            version: 1,
            fields: [
              { name: 'key', type: 'int32' },
              { name: 'ok', type: 'int32' },
            ],
          },
          sink: { kind: 'memory', tail: 100 },
        },
        transfer: { mode: 'micro-batch', batchSize: 8, lingerMs: 10 },
        cluster: { workers: 2 },
        model: { source: ENV_MODEL },
        inference: { modelPath: 'none' },
      },
      join(dir, 'job.json'),
    );
    const run = await startRun(job, {
      runDir: join(dir, 'run'),
      execArgv: SOURCE_EXEC_ARGV,
      cwd: REPO_ROOT,
      rolePool: pool,
    });
    const events: RunEvent[] = [];
    run.on((event) => events.push(event));
    const outcome = await run.result;
    expect(outcome.state, outcome.reason).toBe('finished');
    const rows = events.flatMap((e) => (e.type === 'output' ? e.rows : []));
    expect(rows).toHaveLength(40);
    expect(rows.map((r) => r.row.ok)).toEqual(rows.map(() => 7));
    const left = pool.pids;
    expect(left).toHaveLength(1);
    expect(warm).toContain(left[0]);
    pool.dispose();
    expect(await waitUntilGone(left)).toEqual([]);
    await run.dispose();
  });

  it('starts nothing of its own for roles with other Node options or startup variables', () => {
    const pool = new RolePool({ size: 1, execArgv: SOURCE_EXEC_ARGV });
    try {
      expect(pool.take([], {})).toBeUndefined();
      expect(pool.take(SOURCE_EXEC_ARGV, { NODE_OPTIONS: '--inspect' })).toBeUndefined();
      expect(pool.size).toBe(1);
      const taken = pool.take(SOURCE_EXEC_ARGV, { PATH: '/usr/bin' });
      expect(taken?.child.pid).toBeGreaterThan(0);
      expect(pool.size).toBe(0);
      taken?.child.kill('SIGKILL');
    } finally {
      pool.dispose();
    }
    expect(pool.take(SOURCE_EXEC_ARGV, {})).toBeUndefined();
  });
});
