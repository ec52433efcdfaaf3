// The worker role process: joins the cluster, starts TensorFlow.js, loads the compiled model from
// the run folder, installs a RemoteBinding and runs the model code. A user exception is reported
// positioned in the user's source (USER_CODE_ERROR) and the process exits non-zero.
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TfstreamError, isTfstreamError, parseSchema } from '@tfstream/schema';
import type { JobInfo } from '@tfstream/sdk';
import {
  JobContext,
  initEngine,
  installRuntime,
  isModelDefinition,
  runModel,
  uninstallRuntime,
} from '@tfstream/sdk';
import type { CompiledModel } from '../job/compile.js';
import { loadModelModule } from '../job/load-model.js';
import { mapErrorToSource } from '../job/map-error.js';
import { RUN_ENV } from '../ps/ps-protocol.js';
import type { WorkerSpec } from '../protocol/worker-spec.js';
import { WORKER_SPEC_ENV } from '../protocol/worker-spec.js';
import type { RoleHandle } from '../role/index.js';
import { connectRole } from '../role/index.js';
import { ParameterClient } from './parameter-client.js';
import { RemoteBinding } from './remote-binding.js';

/** Reads the worker spec the run wrote (see `WORKER_SPEC_ENV`). */
export async function readWorkerSpec(path: string | undefined): Promise<WorkerSpec> {
  if (path === undefined || path === '') {
    throw new TfstreamError(
      'ROLE_ENV_INVALID',
      `${WORKER_SPEC_ENV} is not set: worker-main runs in a worker started by startRun()`,
    );
  }
  try {
    return JSON.parse(await readFile(path, 'utf8')) as WorkerSpec;
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `cannot read the worker spec: ${(error as Error).message}`,
      {
        file: path,
      },
    );
  }
}

/** The SDK's view of this worker, from the role and the worker spec. */
export function jobInfoOf(role: RoleHandle, spec: WorkerSpec): JobInfo {
  return {
    runId: spec.runId,
    role: role.role,
    index: role.index,
    attempt: role.attempt,
    cluster: role.cluster,
    mode: spec.mode,
    training: spec.training,
    hyperparameters: spec.hyperparameters,
    inputSchema: parseSchema(spec.inputSchema, 'worker spec inputSchema'),
    outputSchema:
      spec.outputSchema === undefined
        ? undefined
        : parseSchema(spec.outputSchema, 'worker spec outputSchema'),
    ...(spec.epochs === undefined ? {} : { epochs: spec.epochs }),
    ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
    ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint }),
    ...(spec.eval === undefined
      ? {}
      : {
          eval: {
            schema: parseSchema(spec.eval.schema, 'worker spec eval.schema'),
            ...(spec.eval.everyEpochs === undefined ? {} : { everyEpochs: spec.eval.everyEpochs }),
          },
        }),
  };
}

/**
 * Runs this process as a worker of a run: `connectRole()`, `initEngine()`, loads the model,
 * installs a {@link RemoteBinding} (variables through a `ParameterClient` when the cluster has
 * parameter servers) and runs the model's default export: a `defineModel` definition through
 * `runModel`, or a function called with the job context. Resolves when the model code is done;
 * rejects with a `USER_CODE_ERROR` (mapped to the user's source) when it throws.
 *
 * @example
 * ```ts
 * // worker entry of a Coordinator:
 * await runWorker(await connectRole());
 * ```
 */
export async function runWorker(role: RoleHandle): Promise<void> {
  const spec = await readWorkerSpec(process.env[WORKER_SPEC_ENV]);
  const job = jobInfoOf(role, spec);
  const engine = await initEngine();
  void role.log('info', `worker ${role.index} (attempt ${role.attempt}) runs on ${engine.detail}`);
  const compiled = JSON.parse(await readFile(spec.compiledModel, 'utf8')) as CompiledModel;
  const modelPath = process.env[RUN_ENV.modelPath];
  const parameters =
    job.cluster.ps.length > 0
      ? new ParameterClient(role, job, {
          runDir: spec.runDir,
          ...(modelPath === undefined ? {} : { modelPath }),
        })
      : undefined;
  const binding = new RemoteBinding(role, job, {
    window: spec.window,
    runDir: spec.runDir,
    ...(modelPath === undefined ? {} : { modelPath }),
    ...(parameters === undefined ? {} : { parameters }),
    ...(spec.eval === undefined ? {} : { evalFile: spec.eval }),
  });
  installRuntime(binding);
  try {
    const loaded = await loadModelModule(compiled, { dir: spec.runDir });
    const entry = loaded.exports.default;
    try {
      if (isModelDefinition(entry)) {
        await runModel(entry, JobContext.getOrCreate());
      } else if (typeof entry === 'function') {
        await (entry as (ctx: JobContext) => unknown)(JobContext.getOrCreate());
      } else {
        throw new TfstreamError(
          'MODEL_INVALID',
          `${compiled.fileName}: the default export must be defineModel({...}) or a function of the job context`,
        );
      }
    } catch (error) {
      // The runtime's own typed errors stay as they are; anything else came from model code.
      throw isTfstreamError(error) ? error : mapErrorToSource(error, compiled);
    }
  } finally {
    await uninstallRuntime(binding);
    await binding.close();
  }
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) {
    return false;
  }
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const role = await connectRole();
  if (role.role === 'ps') {
    // One entry serves every role of a run: the coordinator starts them all with it.
    const { serveParameterServer } = await import('../ps/ps-main.js');
    const runDir = process.env[RUN_ENV.runDir];
    await serveParameterServer(role, runDir === undefined ? {} : { runDir });
  } else {
    await runWorkerProcess(role);
  }
}

async function runWorkerProcess(role: RoleHandle): Promise<void> {
  try {
    await runWorker(role);
    await role.close();
    process.exit(0);
  } catch (error) {
    // A TfstreamError's message starts with its code already.
    const text = isTfstreamError(error)
      ? error.message
      : `USER_CODE_ERROR: ${error instanceof Error ? error.message : String(error)}`;
    const frame = (error as { codeFrame?: unknown }).codeFrame;
    const detail = typeof frame === 'string' && frame !== '' ? `\n${frame}` : '';
    // Once: to the coordinator's log (role.log writes to stderr instead when it cannot).
    await role.log('error', `${text}${detail}`);
    await role.close();
    process.exit(1);
  }
}
