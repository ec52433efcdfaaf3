// `npm run bench -- pipeline`: the runtime end to end, against baselines measured in the same run.
// - inference throughput, micro-batch 64, 2 worker processes, vs a bare `model.predict` loop in 2
//   processes on the same model and backend (target: at least 0.9x); with the CPU time one record
//   costs in each (coordinator and workers, every thread), and what one output message costs on
//   this machine, the two bounds that explain the ratio on a machine with as many cores as workers;
// - launch to first output (target: under 1.5 s), and the same with the role processes started
//   ahead (`RolePool`, as the studio's spare run host has them) against a cold start;
// - stream transfer latency per record, from the feed sending it to its output arriving at the
//   coordinator (p50, p99), next to the model's own per-record predict time in the same run;
// - sync training records/s with 2 workers vs 1 (penguin example, 1 parameter server).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobJson, RunOutcome } from '@tfstream/runtime';
import { RolePool, parseJob, startRun } from '@tfstream/runtime';
import { BENCH_MODEL_SOURCE, BENCH_TIMED_MODEL_SOURCE } from './support/bench-model.js';
import { machine, median, printTable, rate, writeResults } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const work = mkdtempSync(join(tmpdir(), 'tfstream-bench-'));
const WORKERS = 2;
const BATCH = 64;
const RECORDS = 200_000;
const ROUNDS = 3;
/** Stream latency: records at a rate the workers keep up with, so that no record queues. */
const STREAM_RECORDS = 3000;
const STREAM_RATE = 500;

interface BaselineProcess {
  readonly recordsPerSecond: number;
  readonly cpuMicrosPerRecord: number;
}

function baselineProcess(records: number): Promise<BaselineProcess> {
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
        ? resolve(JSON.parse(out) as BaselineProcess)
        : reject(new Error(`baseline exited ${code}`)),
    );
  });
}

interface BaselineRound {
  readonly recordsPerSecond: number;
  readonly cpuMicrosPerRecord: number;
}

async function baseline(): Promise<BaselineRound> {
  const processes = await Promise.all(
    Array.from({ length: WORKERS }, () => baselineProcess(RECORDS / WORKERS)),
  );
  return {
    recordsPerSecond: processes.reduce((sum, p) => sum + p.recordsPerSecond, 0),
    cpuMicrosPerRecord: median(processes.map((p) => p.cpuMicrosPerRecord)),
  };
}

/** CPU time (user + system, every thread) a process has used, in µs; Linux only. */
function processCpuMicros(pid: number): number | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) {
    return undefined;
  }
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

interface MessageCost {
  /** µs a busy sender spends in socket.write() for one message to a sleeping process. */
  readonly senderMicros: number;
  /** µs of CPU the sleeping process spends per message it is woken for (and answers). */
  readonly receiverMicros: number;
}

/** What one output message costs, the floor of the pipeline (see support/message-cost.ts). */
function messageCost(): Promise<MessageCost> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'support/message-cost.ts')],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as MessageCost)
        : reject(new Error(`message-cost exited ${code}`)),
    );
  });
}

interface InferenceRound {
  readonly recordsPerSecond: number;
  readonly firstOutputMs: number;
  /** Cores the coordinator process used from the first output to the end. */
  readonly coordinatorCores: number;
  /** CPU time per record (all threads), of the coordinator and of the workers, in µs. */
  readonly coordinatorCpuMicrosPerRecord: number;
  readonly workerCpuMicrosPerRecord: number | undefined;
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
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  // Worker CPU from the first output to the last (the workers are gone once the run ended).
  const workerCpu: { pid: number; first: number | undefined; last: number | undefined }[] = [];
  let rows = 0;
  run.on((event) => {
    if (event.type !== 'output') {
      return;
    }
    rows += event.count;
    if (firstOutput === undefined) {
      firstOutput = performance.now();
      cpuAtFirst = process.cpuUsage();
      for (const role of run.coordinator.roles.filter((r) => r.role === 'worker')) {
        workerCpu.push({ pid: role.pid, first: processCpuMicros(role.pid), last: undefined });
      }
    }
    if (rows === RECORDS) {
      for (const worker of workerCpu) {
        worker.last = processCpuMicros(worker.pid);
      }
    }
  });
  const result: RunOutcome = await run.result;
  const ended = performance.now();
  const cpu = process.cpuUsage(cpuAtFirst);
  const workerMicros = workerCpu.every((w) => w.first !== undefined && w.last !== undefined)
    ? workerCpu.reduce((sum, w) => sum + w.last! - w.first!, 0)
    : undefined;
  if (result.state !== 'finished' || result.rowsWritten !== RECORDS || firstOutput === undefined) {
    throw new Error(
      `inference run ${result.state}: ${result.reason ?? ''}, ${result.rowsWritten} rows`,
    );
  }
  return {
    recordsPerSecond: RECORDS / ((ended - firstOutput) / 1000),
    firstOutputMs: firstOutput - launched,
    coordinatorCores: (cpu.user + cpu.system) / 1000 / (ended - firstOutput),
    coordinatorCpuMicrosPerRecord: (cpu.user + cpu.system) / RECORDS,
    workerCpuMicrosPerRecord: workerMicros === undefined ? undefined : workerMicros / RECORDS,
  };
}

/** Launch (startRun) to the first output row of a small inference job, cold or with a pool. */
async function firstOutput(round: number, warm: boolean): Promise<number> {
  const job = parseJob(
    {
      version: 1,
      name: `bench-first-${warm ? 'warm' : 'cold'}-${round}`,
      mode: 'inference',
      input: {
        source: { kind: 'synthetic', generator: 'sensors', count: 256, seed: round },
        schema: 'infer',
      },
      output: {
        schema: { version: 1, fields: [{ name: 'label', type: 'int32' }] },
        sink: { kind: 'memory', tail: 10 },
      },
      transfer: { mode: 'micro-batch', batchSize: 16, lingerMs: 10 },
      cluster: { workers: WORKERS },
      model: { language: 'typescript', source: BENCH_MODEL_SOURCE },
      inference: { modelPath: join(work, 'no-model') },
    } as JobJson,
    join(work, 'job.json'),
  );
  let pool: RolePool | undefined;
  if (warm) {
    pool = new RolePool({ size: WORKERS });
    // As the studio's spare between runs: started a while before the run.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  const launched = performance.now();
  const run = await startRun(job, {
    runDir: join(work, `first-${warm ? 'warm' : 'cold'}-${round}`),
    ...(pool === undefined ? {} : { rolePool: pool }),
  });
  const first = new Promise<number>((resolve) =>
    run.on((event) => event.type === 'output' && resolve(performance.now())),
  );
  const result = await run.result;
  pool?.dispose();
  if (result.state !== 'finished') {
    throw new Error(`first-output run ${result.state}: ${result.reason ?? ''}`);
  }
  return (await first) - launched;
}

interface StreamLatency {
  readonly p50: number;
  readonly p99: number;
  /** The model's own time per record (predict and read back), median and 99th percentile. */
  readonly predictP50: number;
  readonly predictP99: number;
}

async function streamLatency(): Promise<StreamLatency> {
  const job = parseJob(
    {
      version: 1,
      name: 'bench-stream',
      mode: 'inference',
      input: {
        source: {
          kind: 'synthetic',
          generator: 'sensors',
          count: STREAM_RECORDS,
          rate: STREAM_RATE,
          seed: 7,
        },
        schema: 'infer',
      },
      output: {
        schema: { version: 1, fields: [{ name: 'label', type: 'int32' }] },
        sink: { kind: 'memory', tail: 10 },
      },
      transfer: { mode: 'stream' },
      cluster: { workers: WORKERS },
      model: { language: 'typescript', source: BENCH_TIMED_MODEL_SOURCE },
      inference: { modelPath: join(work, 'no-model') },
    } as JobJson,
    join(work, 'job.json'),
  );
  const run = await startRun(job, { runDir: join(work, 'stream') });
  const predict = { p50: [] as number[], p99: [] as number[] };
  run.on((event) => {
    if (event.type === 'metric' && event.name === 'predict_ms_p50') {
      predict.p50.push(event.value);
    }
    if (event.type === 'metric' && event.name === 'predict_ms_p99') {
      predict.p99.push(event.value);
    }
  });
  const result = await run.result;
  if (result.state !== 'finished' || result.latencyMs === undefined) {
    throw new Error(`stream run ${result.state}: ${result.reason ?? ''}`);
  }
  return {
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    predictP50: median(predict.p50),
    predictP99: median(predict.p99),
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
const base: BaselineRound[] = [];
for (let round = 0; round < ROUNDS; round++) {
  base.push(await baseline());
  ours.push(await inference(round));
  console.log(
    `round ${round + 1}: pipeline ${rate(ours[round]!.recordsPerSecond)} rec/s (first output ${ours[round]!.firstOutputMs.toFixed(0)} ms, coordinator ${ours[round]!.coordinatorCores.toFixed(2)} cores); bare predict ${rate(base[round]!.recordsPerSecond)} rec/s`,
  );
}
const pipelineRate = median(ours.map((round) => round.recordsPerSecond));
const baselineRate = median(base.map((round) => round.recordsPerSecond));
// The CPU budget: what one record costs in all, in the pipeline and in the bare loop. On a machine
// with as many cores as workers, the coordinator's share comes out of the workers' cores.
const cpu = {
  baselineMicrosPerRecord: median(base.map((round) => round.cpuMicrosPerRecord)),
  coordinatorMicrosPerRecord: median(ours.map((round) => round.coordinatorCpuMicrosPerRecord)),
  workerMicrosPerRecord: median(
    ours.flatMap((round) =>
      round.workerCpuMicrosPerRecord === undefined ? [] : [round.workerCpuMicrosPerRecord],
    ),
  ),
};
const cpuBound =
  cpu.baselineMicrosPerRecord / (cpu.coordinatorMicrosPerRecord + cpu.workerMicrosPerRecord);
// Every micro-batch's output is one message from a busy worker to the sleeping coordinator.
const costs: MessageCost[] = [];
for (let round = 0; round < ROUNDS; round++) {
  costs.push(await messageCost());
}
const messages = {
  senderMicros: median(costs.map((cost) => cost.senderMicros)),
  receiverMicros: median(costs.map((cost) => cost.receiverMicros)),
};
const messageMicrosPerRecord = (messages.senderMicros + messages.receiverMicros) / BATCH;
const messageBound =
  cpu.baselineMicrosPerRecord / (cpu.baselineMicrosPerRecord + messageMicrosPerRecord);
const firstOutputMs = median(ours.map((round) => round.firstOutputMs));
const coordinatorCores = median(ours.map((round) => round.coordinatorCores));
const cold: number[] = [];
const warm: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  cold.push(await firstOutput(round, false));
  warm.push(await firstOutput(round, true));
}
const coldFirstMs = median(cold);
const warmFirstMs = median(warm);
const stream = await streamLatency();
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
    rounds: ours.map((round, i) => ({
      recordsPerSecond: round.recordsPerSecond,
      baselineRecordsPerSecond: base[i]!.recordsPerSecond,
      coordinatorCores: round.coordinatorCores,
    })),
    coordinatorCores,
    cpuMicrosPerRecord: {
      ...cpu,
      note: 'user + system CPU of every thread; the ratio the CPU allows on cores = workers is baseline / (coordinator + worker)',
      ratioTheCpuAllows: cpuBound,
    },
    outputMessage: {
      ...messages,
      microsPerRecord: messageMicrosPerRecord,
      note: 'one output message per micro-batch, sender and receiver; the ratio it alone allows is baseline / (baseline + message per record)',
      ratioItAllows: messageBound,
    },
  },
  launchToFirstOutputMs: {
    median: firstOutputMs,
    target: { below: 1500, met: firstOutputMs < 1500 },
  },
  warmStartFirstOutputMs: {
    note: 'small inference job (2 workers, 256 records): startRun to the first output row, role processes started 3 s ahead by a RolePool vs started by the run',
    warm: warmFirstMs,
    cold: coldFirstMs,
    ratio: warmFirstMs / coldFirstMs,
    rounds: { warm, cold },
  },
  streamLatencyMs: {
    workers: WORKERS,
    records: STREAM_RECORDS,
    recordsPerSecond: STREAM_RATE,
    p50: stream.p50,
    p99: stream.p99,
    modelPredictPerRecord: { p50: stream.predictP50, p99: stream.predictP99 },
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
      'CPU per record, coordinator + worker (µs)',
      `${cpu.coordinatorMicrosPerRecord.toFixed(1)} + ${cpu.workerMicrosPerRecord.toFixed(1)}`,
      cpu.baselineMicrosPerRecord.toFixed(1),
      `x${cpuBound.toFixed(2)}`,
      'bound on cores = workers',
    ],
    [
      'one output message per batch, both ends (µs)',
      `${messages.senderMicros.toFixed(0)} + ${messages.receiverMicros.toFixed(0)}`,
      '',
      `x${messageBound.toFixed(2)}`,
      'bound from messages alone',
    ],
    [
      'launch to first output (ms)',
      firstOutputMs.toFixed(0),
      '',
      '',
      `${results.launchToFirstOutputMs.target.met ? 'met' : 'MISSED'} (< 1500 ms)`,
    ],
    [
      'first output, roles started ahead (ms)',
      warmFirstMs.toFixed(0),
      `${coldFirstMs.toFixed(0)} cold`,
      `x${(warmFirstMs / coldFirstMs).toFixed(2)}`,
      'baseline: roles started by the run',
    ],
    [
      'stream latency per record, p50 / p99 (ms)',
      `${stream.p50.toFixed(2)} / ${stream.p99.toFixed(2)}`,
      `${stream.predictP50.toFixed(2)} / ${stream.predictP99.toFixed(2)}`,
      `x${(stream.p50 / stream.predictP50).toFixed(2)}`,
      'baseline: model predict',
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
