// `npm run bench -- pipeline`: the runtime end to end, against baselines measured in the same run.
// - inference throughput, micro-batch 64, 2 worker processes, vs a bare `model.predict` loop in 2
//   processes on the same model and backend (target: at least 0.9x);
// - launch to first output (target: under 1.5 s);
// - sync training records/s with 2 workers vs 1 (penguin example, 1 parameter server).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobJson, RunOutcome } from '@tfstream/runtime';
import { parseJob, startRun } from '@tfstream/runtime';
import { BENCH_MODEL_SOURCE } from './support/bench-model.js';
import { machine, median, printTable, rate, writeResults } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const work = mkdtempSync(join(tmpdir(), 'tfstream-bench-'));
const WORKERS = 2;
const BATCH = 64;
const RECORDS = 200_000;
const ROUNDS = 3;

function baselineProcess(records: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'support/predict-loop.ts'), String(records), String(BATCH)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve((JSON.parse(out) as { recordsPerSecond: number }).recordsPerSecond)
        : reject(new Error(`baseline exited ${code}`)),
    );
  });
}

async function baseline(): Promise<number> {
  const rates = await Promise.all(
    Array.from({ length: WORKERS }, () => baselineProcess(RECORDS / WORKERS)),
  );
  return rates.reduce((sum, value) => sum + value, 0);
}

interface InferenceRound {
  readonly recordsPerSecond: number;
  readonly firstOutputMs: number;
}

async function inference(round: number): Promise<InferenceRound> {
  const job = parseJob(
    {
      version: 1,
      name: `bench-inference-${round}`,
      mode: 'inference',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', count: RECORDS, seed: round },
        schema: 'infer',
      },
      output: {
        schema: { version: 1, fields: [{ name: 'label', type: 'int32' }] },
        sink: { kind: 'memory', tail: 10 },
      },
      transfer: { mode: 'micro-batch', batchSize: BATCH, lingerMs: 20 },
      cluster: { workers: WORKERS },
      model: { language: 'typescript', source: BENCH_MODEL_SOURCE },
      inference: { modelPath: join(work, 'no-model') },
    } as JobJson,
    join(work, 'job.json'),
  );
  const launched = performance.now();
  const run = await startRun(job, { runDir: join(work, `run-${round}`), window: 8 });
  let firstOutput: number | undefined;
  run.on((event) => {
    if (event.type === 'output' && firstOutput === undefined) {
      firstOutput = performance.now();
    }
  });
  const result: RunOutcome = await run.result;
  const ended = performance.now();
  if (result.state !== 'finished' || result.rowsWritten !== RECORDS || firstOutput === undefined) {
    throw new Error(
      `inference run ${result.state}: ${result.reason ?? ''}, ${result.rowsWritten} rows`,
    );
  }
  return {
    recordsPerSecond: RECORDS / ((ended - firstOutput) / 1000),
    firstOutputMs: firstOutput - launched,
  };
}

async function training(workers: number): Promise<number> {
  const file = join(root, 'examples/penguin-train/job.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as JobJson;
  const job = parseJob(
    {
      ...json,
      cluster: { workers, parameterServers: 1, training: 'sync' },
      training: { epochs: 30 },
    },
    file,
  );
  const run = await startRun(job, { runDir: join(work, `train-${workers}`) });
  const result = await run.result;
  if (result.state !== 'finished') {
    throw new Error(`training run ${result.state}: ${result.reason ?? ''}`);
  }
  return result.recordsOut / (result.durationMs / 1000);
}

const ours: InferenceRound[] = [];
const base: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  base.push(await baseline());
  ours.push(await inference(round));
  console.log(
    `round ${round + 1}: pipeline ${rate(ours[round]!.recordsPerSecond)} rec/s (first output ${ours[round]!.firstOutputMs.toFixed(0)} ms); bare predict ${rate(base[round]!)} rec/s`,
  );
}
const pipelineRate = median(ours.map((round) => round.recordsPerSecond));
const baselineRate = median(base);
const firstOutputMs = median(ours.map((round) => round.firstOutputMs));
const train1 = median([await training(1), await training(1)]);
const train2 = median([await training(2), await training(2)]);

const results = {
  machine: machine(),
  inference: {
    workers: WORKERS,
    batchSize: BATCH,
    records: RECORDS,
    recordsPerSecond: pipelineRate,
    baseline: {
      name: `bare model.predict loop, ${WORKERS} processes, batch ${BATCH}`,
      recordsPerSecond: baselineRate,
    },
    ratio: pipelineRate / baselineRate,
    target: { atLeast: 0.9, met: pipelineRate / baselineRate >= 0.9 },
  },
  launchToFirstOutputMs: {
    median: firstOutputMs,
    target: { below: 1500, met: firstOutputMs < 1500 },
  },
  syncTraining: {
    oneWorkerRecordsPerSecond: train1,
    twoWorkersRecordsPerSecond: train2,
    ratio: train2 / train1,
  },
};
console.log('');
printTable(
  ['measure', 'ours', 'baseline', 'ratio', 'target'],
  [
    [
      'inference, micro-batch 64, 2 workers (rec/s)',
      rate(pipelineRate),
      rate(baselineRate),
      `x${(pipelineRate / baselineRate).toFixed(2)}`,
      `${results.inference.target.met ? 'met' : 'MISSED'} (>= x0.9)`,
    ],
    [
      'launch to first output (ms)',
      firstOutputMs.toFixed(0),
      '',
      '',
      `${results.launchToFirstOutputMs.target.met ? 'met' : 'MISSED'} (< 1500 ms)`,
    ],
    [
      'sync training, 2 workers vs 1 (rec/s)',
      rate(train2),
      rate(train1),
      `x${(train2 / train1).toFixed(2)}`,
      '',
    ],
  ],
);
console.log(`\nwrote ${writeResults('pipeline', results)}`);
rmSync(work, { recursive: true, force: true });
