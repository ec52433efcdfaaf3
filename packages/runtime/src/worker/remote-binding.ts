import { join } from 'node:path';
import type { FormatName } from '@tfstream/codecs';
import { readRecordFile } from '@tfstream/codecs/node';
import { TfstreamError, schemaToJson } from '@tfstream/schema';
import type {
  CheckpointRequest,
  CheckpointResult,
  CreateVariablesRequest,
  CreateVariablesResult,
  HistogramSummary,
  InputBatch,
  JobInfo,
  LogEntry,
  MetricPoint,
  OutputBatch,
  PushGradientsRequest,
  PushGradientsResult,
  ReadRequest,
  RuntimeBinding,
  WeightsSnapshot,
  tf,
} from '@tfstream/sdk';
import { LocalParameterStore } from '@tfstream/sdk';
import type { CreditMessage, DataMessage, Frame, JsonValue } from '../protocol/index.js';
import { sliceBatch } from '../protocol/batch-slices.js';
import { decodeRecordBody, encodeRecordBody } from '../protocol/record-body.js';
import type {
  AckMeta,
  InputBatchMeta,
  InputEndMeta,
  InputOpenMeta,
  OutputMeta,
  RecordKey,
} from '../protocol/record-channels.js';
import {
  RECORD_CHANNEL,
  fromWireKeys,
  keyList,
  recordMeta,
  toWireKey,
} from '../protocol/record-channels.js';
import type { RoleHandle } from '../role/index.js';
import { readSavedModel, writeSavedModel } from './saved-model.js';

/** The variable methods of a `RuntimeBinding`, as a parameter-server client implements them. */
export interface ParameterBackend {
  createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult>;
  pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot>;
  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult>;
  finishTraining(request: { readonly model: string }): Promise<void>;
  checkpoint(request: CheckpointRequest): Promise<CheckpointResult>;
  loadModel(): Promise<tf.io.ModelArtifacts | undefined>;
  close(): Promise<void>;
}

/** Options of {@link RemoteBinding}. */
export interface RemoteBindingOptions {
  /** Input batches this worker may hold unread: its credit window. Default 4. */
  readonly window?: number;
  /**
   * The variable methods: a `ParameterClient` when the cluster has parameter servers. Default:
   * {@link InProcessParameters} (one worker, no parameter servers).
   */
  readonly parameters?: ParameterBackend;
  /** The run folder, where the in-process parameters export the final model. */
  readonly runDir?: string;
  /** The saved model an inference job loads. */
  readonly modelPath?: string;
  /** The eval split's record file (`job.eval` has its schema), read by `readEvalBatches`. */
  readonly evalFile?: { readonly path: string; readonly format: FormatName };
}

type Queued =
  | {
      readonly kind: 'batch';
      readonly seq: number;
      readonly epoch: number;
      readonly input: InputBatch;
    }
  | { readonly kind: 'end'; readonly epoch: number }
  | { readonly kind: 'error'; readonly error: Error };

/**
 * Variables kept in the worker itself, for a cluster without parameter servers: right for one
 * worker (every step is its own); the final checkpoint exports the model to `<runDir>/model/`.
 */
export class InProcessParameters implements ParameterBackend {
  readonly #store: LocalParameterStore;
  readonly #runDir: string | undefined;
  readonly #modelPath: string | undefined;
  #closed = false;

  constructor(job: JobInfo, options: { readonly runDir?: string; readonly modelPath?: string }) {
    this.#store = new LocalParameterStore({ workers: job.cluster.worker.length });
    this.#runDir = options.runDir;
    this.#modelPath = options.modelPath;
  }

  createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult> {
    return this.#store.createVariables(request);
  }

  pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot> {
    return this.#store.pullWeights(request);
  }

  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult> {
    return this.#store.pushGradients(request);
  }

  finishTraining(request: { readonly model: string }): Promise<void> {
    return this.#store.finishTraining(request);
  }

  async checkpoint(request: CheckpointRequest): Promise<CheckpointResult> {
    const result = await this.#store.checkpoint(request);
    if (request.artifacts !== undefined && this.#runDir !== undefined) {
      const location = await writeSavedModel(join(this.#runDir, 'model'), request.artifacts);
      return { step: result.step, location };
    }
    return result;
  }

  loadModel(): Promise<tf.io.ModelArtifacts | undefined> {
    const path =
      this.#modelPath ?? (this.#runDir === undefined ? undefined : join(this.#runDir, 'model'));
    return path === undefined ? Promise.resolve(undefined) : readSavedModel(path);
  }

  /** Frees the variables. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#store.dispose();
    }
    return Promise.resolve();
  }
}

/**
 * The SDK's `RuntimeBinding` in a worker process, over the role's connection to the coordinator:
 * input batches arrive as `data` messages on the `input` channel (Arrow IPC bodies, keys in
 * `meta`) under credit-based flow control (the worker grants `window` batches when it opens a
 * pass and one more for each batch model code takes, so the coordinator never sends more than
 * the worker can hold); `write()` sends each output batch with its input keys at once; a train
 * job acknowledges each batch when model code asks for the next one; metrics, logs and summaries
 * become protocol messages; the variable methods go to a {@link ParameterBackend}.
 *
 * @example
 * ```ts
 * const role = await connectRole();
 * const binding = new RemoteBinding(role, job, { parameters: new ParameterClient(role, job) });
 * installRuntime(binding);
 * await runModel(definition, JobContext.getOrCreate());
 * await binding.close();
 * ```
 */
export class RemoteBinding implements RuntimeBinding {
  readonly job: JobInfo;
  readonly #role: RoleHandle;
  readonly #window: number;
  readonly #parameters: ParameterBackend;
  readonly #queue: Queued[] = [];
  #wake: (() => void) | undefined;
  /** Input batches taken whose credit has not been granted back yet. */
  #creditOwed = 0;
  /** The input batch (and first row) each key list handed to model code came from. */
  readonly #origins = new WeakMap<readonly RecordKey[], { seq: number; offset: number }>();
  #seq = 0;
  #outputs = 0;
  #closing: Promise<void> | undefined;
  readonly #unsubscribe: () => void;
  readonly #evalFile: RemoteBindingOptions['evalFile'];

  constructor(role: RoleHandle, job: JobInfo, options: RemoteBindingOptions = {}) {
    this.#role = role;
    this.job = job;
    this.#window = options.window ?? 4;
    if (!Number.isSafeInteger(this.#window) || this.#window < 1) {
      throw new TfstreamError(
        'USAGE',
        `window must be a whole number of at least 1, got ${this.#window}`,
      );
    }
    this.#parameters =
      options.parameters ??
      new InProcessParameters(job, {
        ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
        ...(options.modelPath === undefined ? {} : { modelPath: options.modelPath }),
      });
    this.#unsubscribe = role.onData((frame) => this.#onFrame(frame));
    this.#evalFile = options.evalFile;
  }

  /** Output batches written so far. */
  get outputs(): number {
    return this.#outputs;
  }

  async *readBatches(request: ReadRequest): AsyncIterable<InputBatch> {
    this.#checkOpen();
    const open: InputOpenMeta = { op: 'open', epoch: request.epoch };
    await this.#role.send({
      kind: 'data',
      channel: RECORD_CHANNEL.input,
      seq: ++this.#seq,
      credit: this.#window,
      meta: { ...open },
    });
    const trains = this.job.mode === 'train';
    for (;;) {
      const next = await this.#next();
      this.#checkOpen();
      if (next.kind === 'error') {
        throw next.error;
      }
      if (next.kind === 'end') {
        if (next.epoch === request.epoch) {
          return;
        }
        continue;
      }
      if (next.epoch !== request.epoch) {
        continue; // A batch of an earlier pass, sent before this worker moved on.
      }
      // The credit for this batch goes back with its output (or acknowledgement) in one write,
      // unless nothing else is queued: then the coordinator should send more at once.
      this.#creditOwed++;
      if (this.#queue.length === 0) {
        this.#grantCredit();
      }
      for (const part of rebatch(next.input, request.batchSize, next.seq, this.#origins)) {
        yield part;
      }
      if (trains) {
        const ack: AckMeta = { batches: [next.seq] };
        await this.#sendWithCredit({
          kind: 'data',
          channel: RECORD_CHANNEL.ack,
          seq: ++this.#seq,
          meta: { ...ack },
        });
      }
    }
  }

  /** One pass over the eval split, read from its file by this process (not fed). */
  async *readEvalBatches(request: {
    readonly batchSize: number | undefined;
  }): AsyncIterable<InputBatch> {
    this.#checkOpen();
    const split = this.#evalFile;
    const schema = this.job.eval?.schema;
    if (split === undefined || schema === undefined) {
      throw new TfstreamError('CONTEXT_ERROR', 'this job has no eval split');
    }
    const file = await readRecordFile(split.path, { format: split.format, schema });
    for await (const records of file.batches) {
      this.#checkOpen();
      yield* rebatch({ records }, request.batchSize, undefined, undefined);
    }
  }

  async write(output: OutputBatch): Promise<void> {
    this.#checkOpen();
    if (output.records.numRows === 0) {
      return;
    }
    if (output.keys === undefined || output.keys.length !== output.records.numRows) {
      throw new TfstreamError(
        'CONTEXT_ERROR',
        `an output batch of ${output.records.numRows} rows needs one input key per row ` +
          `(got ${output.keys?.length ?? 'none'}): write with { keys: batch.keys }`,
      );
    }
    // Rows that answer an input batch in order name the batch, not a key per row.
    const origin = this.#origins.get(output.keys);
    const meta: OutputMeta = {
      ...(origin === undefined
        ? { keys: output.keys.map(toWireKey) }
        : { answers: { batch: origin.seq, offset: origin.offset } }),
      ...(this.job.outputSchema === undefined
        ? { schema: schemaToJson(output.records.schema) }
        : {}),
    };
    await this.#sendWithCredit(
      {
        kind: 'data',
        channel: RECORD_CHANNEL.output,
        seq: ++this.#seq,
        meta: meta as unknown as JsonValue,
      },
      encodeRecordBody(output.records),
    );
    this.#outputs++;
  }

  metric(point: MetricPoint): void {
    void this.#role.metric(point.name, point.value, point.step);
  }

  log(entry: LogEntry): void {
    const fields = entry.fields === undefined ? '' : ` ${JSON.stringify(entry.fields)}`;
    void this.#role.log(entry.level, `${entry.message}${fields}`);
  }

  summary(summary: HistogramSummary): void {
    void this.#role
      .send({
        kind: 'data',
        channel: RECORD_CHANNEL.summary,
        seq: ++this.#seq,
        meta: summary as unknown as JsonValue,
      })
      .catch(() => {});
  }

  createVariables(request: CreateVariablesRequest): Promise<CreateVariablesResult> {
    return this.#parameters.createVariables(request);
  }

  pullWeights(request: { readonly model: string }): Promise<WeightsSnapshot> {
    return this.#parameters.pullWeights(request);
  }

  pushGradients(request: PushGradientsRequest): Promise<PushGradientsResult> {
    return this.#parameters.pushGradients(request);
  }

  finishTraining(request: { readonly model: string }): Promise<void> {
    return this.#parameters.finishTraining(request);
  }

  checkpoint(request: CheckpointRequest): Promise<CheckpointResult> {
    return this.#parameters.checkpoint(request);
  }

  loadModel(): Promise<tf.io.ModelArtifacts | undefined> {
    return this.#parameters.loadModel();
  }

  /** Stops reading input and closes the parameter backend; a pending read ends. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#unsubscribe();
      this.#push({ kind: 'error', error: closedError() });
      await this.#parameters.close();
    })();
    return this.#closing;
  }

  #onFrame(frame: Frame): void {
    const message = frame.message;
    if (message.kind !== 'data' || message.channel !== RECORD_CHANNEL.input) {
      return;
    }
    const schema = this.job.inputSchema;
    try {
      const meta = recordMeta<InputBatchMeta | InputEndMeta>(message.meta, message.channel);
      if (meta.op === 'end') {
        this.#push({ kind: 'end', epoch: meta.epoch });
        return;
      }
      if (schema === undefined) {
        throw new TfstreamError('CONTEXT_ERROR', 'this job has no input schema');
      }
      const source = `input batch ${message.seq}`;
      const records = decodeRecordBody(frame.body, schema, source);
      const keys = keyList(fromWireKeys(meta.keys, records.numRows, source));
      if (meta.parts === undefined) {
        this.#push({
          kind: 'batch',
          seq: message.seq,
          epoch: meta.epoch,
          input: { records, keys },
        });
        return;
      }
      // Several batches in one body: each is cut out (a view) and queued on its own.
      if (meta.parts.reduce((n, [, rows]) => n + rows, 0) !== records.numRows) {
        throw new TfstreamError('PROTOCOL_ERROR', `${source}: its parts do not add up to its rows`);
      }
      let start = 0;
      for (const [seq, rows] of meta.parts) {
        this.#push({
          kind: 'batch',
          seq,
          epoch: meta.epoch,
          input: {
            records: sliceBatch(records, start, start + rows),
            keys: keys.slice(start, start + rows),
          },
        });
        start += rows;
      }
    } catch (error) {
      this.#push({ kind: 'error', error: error as Error });
    }
  }

  /** Sends the credit owed for input batches taken, on its own. */
  #grantCredit(): void {
    const credit = this.#takeCredit();
    if (credit !== undefined) {
      this.#role.send(credit).catch(() => {});
    }
  }

  #takeCredit(): CreditMessage | undefined {
    const credit = this.#creditOwed;
    this.#creditOwed = 0;
    return credit === 0 ? undefined : { kind: 'credit', channel: RECORD_CHANNEL.input, credit };
  }

  /** Sends a message, with the credit owed ahead of it in the same write. */
  #sendWithCredit(message: DataMessage, body?: Uint8Array): Promise<void> {
    const credit = this.#takeCredit();
    const frame = body === undefined ? { message } : { message, body };
    return credit === undefined
      ? this.#role.send(message, body)
      : this.#role.sendFrames([{ message: credit }, frame]);
  }

  #push(item: Queued): void {
    this.#queue.push(item);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #next(): Promise<Queued> {
    if (this.#queue.length === 0) {
      // About to wait: whatever credit is owed must not wait with it.
      this.#grantCredit();
    }
    while (this.#queue.length === 0) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return this.#queue.shift()!;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) {
      throw closedError();
    }
  }
}

function closedError(): TfstreamError {
  return new TfstreamError('CONTEXT_ERROR', 'the worker runtime is closed');
}

/**
 * Cuts an input batch into parts of at most `batchSize` rows (views; smaller ones pass), noting
 * in `origins` which input batch (`seq`) and row each part's keys start at.
 */
function* rebatch(
  input: InputBatch,
  batchSize: number | undefined,
  seq: number | undefined,
  origins: WeakMap<readonly RecordKey[], { seq: number; offset: number }> | undefined,
): Generator<InputBatch> {
  const { records, keys } = input;
  if (batchSize === undefined || records.numRows <= batchSize) {
    if (keys !== undefined && seq !== undefined) {
      origins?.set(keys, { seq, offset: 0 });
    }
    yield input;
    return;
  }
  for (let start = 0; start < records.numRows; start += batchSize) {
    const end = Math.min(records.numRows, start + batchSize);
    const part = keys?.slice(start, end);
    if (part !== undefined && seq !== undefined) {
      origins?.set(part, { seq, offset: start });
    }
    yield {
      records: sliceBatch(records, start, end),
      ...(part === undefined ? {} : { keys: part }),
    };
  }
}
