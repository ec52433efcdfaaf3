// Runs the example as `tfstream run` would, through startRun with real worker and parameter-server
// processes, and checks that the model learns while it predicts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { JobJson, Run } from '@tfstream/runtime';
import { loadJob, jobToJson, parseJob, startRun } from '@tfstream/runtime';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const runDir = mkdtempSync(join(tmpdir(), 'tfstream-online-sensors-'));
let run: Run | undefined;

afterAll(async () => {
  await run?.dispose();
  rmSync(runDir, { recursive: true, force: true });
});

it('predicts each reading before it trains on it, and its prequential accuracy rises past 0.85', async () => {
  const jobFile = join(here, 'job.json');
  // The example as it is, with its output kept in memory instead of a file.
  const example = jobToJson(loadJob(jobFile));
  const json: JobJson = {
    ...example,
    output: { ...example.output!, sink: { kind: 'memory', tail: 5000 } },
  };
  run = await startRun(parseJob(json, jobFile), {
    runDir,
    // Role processes run the TypeScript sources, as in the runtime's own tests.
    execArgv: ['--conditions=source', '--import', 'tsx'],
    cwd: root,
  });
  const prequential = new Map<number, number[]>();
  run.on((event) => {
    if (event.type === 'metric' && event.name === 'prequential_accuracy') {
      prequential.set(event.index, [...(prequential.get(event.index) ?? []), event.value]);
    }
  });
  const outcome = await run.result;
  expect(outcome.state, outcome.reason).toBe('finished');
  expect(outcome).toMatchObject({ recordsIn: 2400, recordsOut: 2400, rowsWritten: 2400 });
  const rows = run.tail();
  expect(rows).toHaveLength(2400);
  for (const { row } of rows) {
    expect(row.predicted === 0 || row.predicted === 1).toBe(true);
    expect(row.predicted).toBe((row.probability as number) > 0.5 ? 1 : 0);
  }
  // Both workers trained (async, one parameter server), and each got better as data came in.
  expect([...prequential.keys()].sort()).toEqual([0, 1]);
  for (const [worker, series] of prequential) {
    expect(series.at(-1)!, `worker ${worker}: ${series.join(' ')}`).toBeGreaterThan(0.85);
    expect(series.at(-1)!).toBeGreaterThan(series[0]!);
  }
  // The predictions written are as good: accuracy over the last 1000 readings.
  const last = rows.slice(-1000);
  const correct = last.filter(({ row }) => row.predicted === row.label).length;
  expect(correct / last.length).toBeGreaterThan(0.85);
}, 60_000);
