// What a run tells its worker processes besides the role environment: the job as the SDK sees
// it and where the compiled model is. The coordinator writes it as JSON into the run folder and
// names the file in an environment variable.
import type { SchemaJson } from '@tfstream/schema';

/** Environment variable naming the worker spec file (absolute path). */
export const WORKER_SPEC_ENV = 'TFSTREAM_WORKER_SPEC';

/** The JSON file a worker reads at start: the SDK's `JobInfo` facts and the model to load. */
export interface WorkerSpec {
  readonly runId: string;
  readonly mode: 'train' | 'inference' | 'online';
  readonly training: 'sync' | 'async';
  readonly hyperparameters: Readonly<Record<string, number | string | boolean>>;
  readonly inputSchema: SchemaJson;
  readonly outputSchema?: SchemaJson;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly checkpoint?: { readonly everySeconds?: number; readonly everySteps?: number };
  /** A train job's eval split, which the chief reads itself. */
  readonly eval?: {
    /** Absolute path of the record file. */
    readonly path: string;
    readonly format: 'csv' | 'jsonl' | 'tfrecord' | 'arrow';
    readonly schema: SchemaJson;
    readonly everyEpochs?: number;
  };
  /** Absolute path of the compiled model (`CompiledModel` as JSON). */
  readonly compiledModel: string;
  /** The run folder the model module is loaded from. */
  readonly runDir: string;
  /** Input batches a worker may hold unread (its credit window). */
  readonly window: number;
}
