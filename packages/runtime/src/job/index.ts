// Jobs: the job document (parse, write, JSON Schema) and the model code (compile, load, map errors).
export type {
  CheckpointJson,
  ClusterJson,
  EvalJson,
  FileSinkJson,
  FileSourceJson,
  HyperparameterValue,
  InferenceJob,
  InferenceJson,
  InputJson,
  Job,
  JobBase,
  JobCluster,
  JobEval,
  JobInput,
  JobJson,
  JobMode,
  JobModel,
  JobOutput,
  JobPath,
  JobSchema,
  JobSink,
  JobSource,
  JobTraining,
  JobTransfer,
  MemorySinkJson,
  ModelJson,
  OnlineJob,
  OutputJson,
  ParseJobOptions,
  PushSourceJson,
  SchemaRefJson,
  SinkJson,
  SourceJson,
  StdoutSinkJson,
  SyntheticSourceJson,
  TrainJob,
  TrainingJson,
  TrainingMode,
  TransferJson,
  TransferMode,
} from './job-document.js';
export {
  JOB_MODES,
  JOB_VERSION,
  TRANSFER_MODES,
  jobToJson,
  loadJob,
  parseJob,
} from './job-document.js';
export type { JsonSchema } from './job-json-schema.js';
export { JOB_JSON_SCHEMA } from './job-json-schema.js';
export type { SourcePosition } from './code-frame.js';
export type {
  CompileDiagnostic,
  CompileModelOptions,
  CompiledModel,
  ModelImport,
  SourceMapJson,
} from './compile.js';
export { EXTERNAL_PACKAGES, ModelCompileError, compileModel } from './compile.js';
export type { LoadModelOptions, LoadedModel } from './load-model.js';
export { loadModelModule } from './load-model.js';
export type { StackFrame } from './map-error.js';
export { UserCodeError, mapErrorToSource } from './map-error.js';
