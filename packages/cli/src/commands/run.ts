import { cp, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TfstreamError } from '@tfstream/schema';
import type { JobJson, RunEvent } from '@tfstream/runtime';
import { parseJob, startRun } from '@tfstream/runtime';
import type { CliIo } from '../cli-io.js';
import { positiveInt, usage, write } from '../cli-io.js';

export const RUN_HELP = `Usage:
  tfstream run JOB.json [--workers N] [--ps M] [--out FILE] [--epochs E] [--quiet]
      Run a job on a local cluster: one process per worker and parameter server.
      Logs are prefixed with role and index; a summary ends the run.
      --out writes the job's output to FILE (format by extension) instead of its sink.`;

const PROGRESS_EVERY_MS = 1000;
/** Metrics of the model on the job's eval split (`training.eval`) start with it. */
const EVAL_PREFIX = 'eval_';

export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      ps: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  if (positionals.length !== 1) {
    throw usage('tfstream run takes one job file');
  }
  const file = resolve(positionals[0]!);
  let json: JobJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as JobJson;
  } catch (error) {
    throw new TfstreamError('JOB_INVALID', `cannot read the job: ${(error as Error).message}`, {
      file: positionals[0]!,
    });
  }
  // Command-line overrides go through the same validation as the document itself.
  const cluster = { ...json.cluster };
  if (values.workers !== undefined) {
    cluster.workers = positiveInt('workers', values.workers, 1);
  }
  if (values.ps !== undefined) {
    cluster.parameterServers = positiveInt('ps', values.ps, 0);
  }
  const overridden: JobJson = { ...json, cluster };
  if (values.epochs !== undefined) {
    overridden.training = { ...json.training, epochs: positiveInt('epochs', values.epochs, 1) };
  }
  if (values.out !== undefined) {
    if (json.output === undefined) {
      throw usage('--out needs a job with an output (inference or online)');
    }
    overridden.output = { ...json.output, sink: { kind: 'file', path: resolve(values.out) } };
  }
  const job = parseJob(overridden, positionals[0]!);
  const runDir = join(
    resolve('.tfstream', 'runs'),
    `${job.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  );
  const run = await startRun(job, { runDir });
  let lastProgress = 0;
  // The reason of the last state printed: the summary does not repeat it.
  let printedReason: string | undefined;
  run.on((event: RunEvent) => {
    if (values.quiet) {
      return;
    }
    switch (event.type) {
      case 'log':
        io.stderr.write(`[${event.role} ${event.index}] ${event.message}\n`);
        break;
      case 'state':
        printedReason = event.reason;
        io.stderr.write(
          `run ${event.state}${event.reason === undefined ? '' : `: ${event.reason}`}\n`,
        );
        break;
      case 'progress':
        if (event.at - lastProgress >= PROGRESS_EVERY_MS && event.total !== undefined) {
          lastProgress = event.at;
          io.stderr.write(`${progressBar(event.recordsOut, event.total)}\n`);
        }
        break;
      default:
        break;
    }
  });
  const result = await run.result;
  let exported: string | undefined;
  if (result.state === 'finished' && job.mode !== 'inference') {
    exported = await publishModel(runDir, job.name);
  }
  const seconds = result.durationMs / 1000;
  const shown = (evaluated: boolean): string =>
    Object.entries(result.metrics)
      .filter(([name]) => name.startsWith(EVAL_PREFIX) === evaluated)
      .map(
        ([name, value]) =>
          `${evaluated ? name.slice(EVAL_PREFIX.length) : name} ${formatMetric(value)}`,
      )
      .join(', ');
  const metrics = shown(false);
  const evalMetrics = shown(true);
  await write(
    io.stderr,
    [
      `${job.name}: ${result.state} in ${seconds.toFixed(1)} s${result.reason === undefined || result.reason === printedReason ? '' : ` (${result.reason})`}`,
      `  records in ${result.recordsIn}, out ${result.recordsOut}, ${Math.round(result.recordsOut / Math.max(seconds, 1e-3))} records/s`,
      ...(result.rowsWritten > 0
        ? [`  output rows ${result.rowsWritten}, duplicates dropped ${result.duplicatesDropped}`]
        : []),
      ...(metrics === '' ? [] : [`  final metrics: ${metrics}`]),
      ...(evalMetrics === '' ? [] : [`  eval metrics (held-out split): ${evalMetrics}`]),
      `  run folder: ${runDir}`,
      ...(exported === undefined ? [] : [`  model: ${exported} (the latest of this job)`]),
      '',
    ].join('\n'),
  );
  return result.state === 'finished' ? 0 : 1;
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0)}% ${done}/${total} records`;
}

function formatMetric(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(4);
}

/**
 * Copies a training run's exported model to `.tfstream/models/<job>/`, the stable place inference
 * jobs load "the latest model of that job" from.
 */
async function publishModel(runDir: string, jobName: string): Promise<string | undefined> {
  const from = join(runDir, 'model');
  try {
    await stat(join(from, 'model.json'));
  } catch {
    return undefined;
  }
  const to = resolve('.tfstream', 'models', jobName);
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
  return to;
}
