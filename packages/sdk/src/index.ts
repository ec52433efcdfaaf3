import * as tf from '@tensorflow/tfjs';

/** The version of the SDK. */
export const SDK_VERSION = '0.1.0';

/**
 * The TensorFlow.js namespace the SDK uses (`@tensorflow/tfjs`), for model code that imports
 * everything from `@tfstream/sdk`. Its backend is the one {@link initEngine} started.
 *
 * @example
 * ```ts
 * import { tf } from '@tfstream/sdk';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * ```
 */
export { tf };

export type {
  BackendAttempt,
  BackendKind,
  BackendPreference,
  Engine,
  EngineOptions,
  NodeEngineSupport,
  Tf,
} from './engine/engine.js';
export { currentEngine, initEngine } from './engine/engine.js';

export type {
  ColumnToTensorOptions,
  PadOptions,
  TensorDtype,
  TensorFactory,
} from './tensors/column-to-tensor.js';
export { columnToTensor, tensorDtype } from './tensors/column-to-tensor.js';
export type { RecordKey } from './tensors/batch.js';
export { Batch } from './tensors/batch.js';
export type {
  OutputBatch,
  OutputColumn,
  OutputColumns,
  OutputData,
  OutputRows,
  WriteOptions,
} from './tensors/batch-writer.js';
export { BatchWriter, tensorsToBatch } from './tensors/batch-writer.js';

export type {
  CheckpointPolicy,
  CheckpointRequest,
  CheckpointResult,
  ClusterSpec,
  CreateVariablesRequest,
  CreateVariablesResult,
  EvalPolicy,
  HistogramSummary,
  HyperparameterValue,
  Hyperparameters,
  InputBatch,
  JobInfo,
  JobMode,
  LogEntry,
  LogLevel,
  MetricPoint,
  OptimizerSpec,
  PushGradientsRequest,
  PushGradientsResult,
  ReadRequest,
  RoleKind,
  RuntimeBinding,
  TrainingMode,
  VariableSpec,
  WeightsSnapshot,
} from './context/runtime-binding.js';
export type {
  HistogramOptions,
  JobLogger,
  JobSummaries,
  MetricOptions,
  ReaderOptions,
} from './context/job-context.js';
export {
  JobContext,
  installRuntime,
  resolveHyperparameters,
  uninstallRuntime,
} from './context/job-context.js';
export type { ModelTensors, SessionOptions, StepResult } from './context/session.js';
export { ParameterSession, modelArtifacts, placeVariables } from './context/session.js';
export type { Histogram } from './context/histogram.js';
export { DEFAULT_BUCKETS, histogram } from './context/histogram.js';

export type { LocalCheckpoint, LocalParameterStoreOptions } from './local/local-parameter-store.js';
export { LocalParameterStore } from './local/local-parameter-store.js';
export type {
  KeyedRow,
  LocalInput,
  LocalRuntimeEvent,
  LocalRuntimeOptions,
} from './local/local-runtime.js';
export { LocalRuntime } from './local/local-runtime.js';

export type { Features, ModelDefinition, ModelSpec } from './template/define-model.js';
export { defineModel, isModelDefinition } from './template/define-model.js';
export type { RunResult } from './template/run-model.js';
export { runModel } from './template/run-model.js';
