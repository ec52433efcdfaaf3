export const RUNTIME_VERSION = '0.1.0';

// Runtime protocol: the typed contract between the coordinator and the role processes.
export type {
  ClusterMessage,
  ClusterSpec,
  ConnectOptions,
  ConnectionOptions,
  CreditMessage,
  DataMessage,
  ErrorMessage,
  Frame,
  FrameLimits,
  HeartbeatMessage,
  HelloMessage,
  HostPort,
  JsonValue,
  ListenOptions,
  LogLevel,
  LogMessage,
  Message,
  MessageKind,
  MetricMessage,
  ReadOptions,
  RegisterMessage,
  RoleEnv,
  RoleIdentity,
  RoleKind,
  ShutdownMessage,
  WelcomeMessage,
} from './protocol/index.js';
export {
  Connection,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  FRAME_PREFIX_BYTES,
  FrameDecoder,
  Listener,
  PROTOCOL_VERSION,
  ROLE_ENV,
  ROLE_KINDS,
  connect,
  encodeFrame,
  formatAddress,
  listen,
  parseAddress,
  parseMessage,
  parseRoleEnv,
  roleEnvVariables,
  roleLabel,
} from './protocol/index.js';
// Coordinator: the main-process side of a run.
export type { CoordinatorOptions } from './coordinator/coordinator.js';
export { Coordinator } from './coordinator/coordinator.js';
export type {
  ClusterEvent,
  CoordinatorEvent,
  DataEvent,
  LogEvent,
  MetricEvent,
  RefusedEvent,
  RoleEvent,
  RolePhase,
  RoleStatus,
  RunResult,
  RunState,
  StateEvent,
  TerminalRunState,
} from './coordinator/events.js';
export { isTerminalState } from './coordinator/events.js';
export { INHERITED_ENV } from './coordinator/role-process.js';
export type { RolePoolOptions, WarmProcess } from './coordinator/role-pool.js';
export { RolePool } from './coordinator/role-pool.js';
// Role: the role-process side (also alone as `@tfstream/runtime/role`).
export type { ConnectPeerOptions, ConnectRoleOptions } from './role/index.js';
export { RoleHandle, connectRole } from './role/index.js';
// Jobs: the job document and the model code (compile, load, map errors to the user's source).
export type {
  CheckpointJson,
  ClusterJson,
  CompileDiagnostic,
  CompileModelOptions,
  CompiledModel,
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
  JsonSchema,
  LoadModelOptions,
  LoadedModel,
  MemorySinkJson,
  ModelImport,
  ModelJson,
  OnlineJob,
  OutputJson,
  ParseJobOptions,
  PushSourceJson,
  SchemaRefJson,
  SinkJson,
  SourceJson,
  SourceMapJson,
  SourcePosition,
  StackFrame,
  StdoutSinkJson,
  SyntheticSourceJson,
  TrainJob,
  TrainingJson,
  TrainingMode,
  TransferJson,
  TransferMode,
} from './job/index.js';
export {
  EXTERNAL_PACKAGES,
  JOB_JSON_SCHEMA,
  JOB_MODES,
  JOB_VERSION,
  ModelCompileError,
  TRANSFER_MODES,
  UserCodeError,
  compileModel,
  jobToJson,
  loadJob,
  loadModelModule,
  mapErrorToSource,
  parseJob,
} from './job/index.js';
// Parameter servers: the `ps` role process and its request/response protocol.
export type {
  CheckpointTensor,
  CommittedCheckpoint,
  ShardCheckpoint,
} from './ps/checkpoint-file.js';
export {
  checkpointDir,
  checkpointPath,
  readCommittedCheckpoint,
  readShardCheckpoint,
  shardCheckpointDir,
  writeShardCheckpoint,
} from './ps/checkpoint-file.js';
export type { ParameterServerAnswer, ParameterServerOptions } from './ps/parameter-server.js';
export { ParameterServer } from './ps/parameter-server.js';
export type { ParameterServerRoleOptions } from './ps/ps-main.js';
export { serveParameterServer } from './ps/ps-main.js';
export type {
  PsCheckpointRequest,
  PsCheckpointResponse,
  PsCreateRequest,
  PsCreateResponse,
  PsErrorResponse,
  PsFinishRequest,
  PsFinishResponse,
  PsPullRequest,
  PsPushRequest,
  PsPushResponse,
  PsRequest,
  PsResponse,
  PsRestoreRequest,
  PsRestoreResponse,
  PsWeightsResponse,
} from './ps/ps-protocol.js';
export {
  PS_CHANNEL,
  RUN_ENV,
  decodeTensors,
  encodeTensors,
  parsePsRequest,
  parsePsResponse,
  psMessage,
} from './ps/ps-protocol.js';
// Worker side of the parameter servers.
export type { ParameterClientOptions } from './worker/parameter-client.js';
export { ParameterClient } from './worker/parameter-client.js';
export { MODEL_JSON, readSavedModel, writeSavedModel } from './worker/saved-model.js';
// Runs: a job on a cluster, fed from its input into its sink (coordinator side).
export type {
  OutputEvent,
  RunEvent,
  RunOutcome,
  RunProgress,
  StartRunOptions,
  SummaryEvent,
} from './coordinator/run.js';
export { Run, startRun } from './coordinator/run.js';
export type { FeedOptions, FeedProgress, FeedTransfer } from './coordinator/feed/feed.js';
export { Feed } from './coordinator/feed/feed.js';
export type { LatencySummary } from './coordinator/feed/latency.js';
export type { InFlightBatch } from './coordinator/feed/in-flight-ledger.js';
export { InFlightLedger } from './coordinator/feed/in-flight-ledger.js';
export type {
  PushFormat,
  PushRejection,
  PushResult,
  PushSourceOptions,
  PushWriteOptions,
} from './coordinator/feed/push-source.js';
export { PushSource } from './coordinator/feed/push-source.js';
export type { RecordSource } from './coordinator/feed/record-source.js';
export { RecordCursor, openRecordSource } from './coordinator/feed/record-source.js';
export type { SyntheticOptions } from './coordinator/feed/synthetic-source.js';
export {
  SENSORS_SCHEMA,
  SYNTHETIC_GENERATORS,
  syntheticRecords,
  syntheticSchema,
  syntheticSchemaProblem,
} from './coordinator/feed/synthetic-source.js';
export type {
  DedupeSinkOptions,
  KeyedOutputRow,
  KeyedSinkOptions,
  RecordSink,
} from './coordinator/sink/record-sink.js';
export {
  DedupeSink,
  FileSink,
  MemorySink,
  StdoutSink,
  keyField,
  keyedRows,
} from './coordinator/sink/record-sink.js';
export { KeySet, RangeSet } from './coordinator/sink/key-set.js';
// The record channels between the feed and the workers, and the worker spec file.
export type {
  AckMeta,
  BatchKeys,
  InputBatchMeta,
  InputEndMeta,
  InputOpenMeta,
  OutputMeta,
  WireKey,
  WireKeys,
} from './protocol/record-channels.js';
export {
  RECORD_CHANNEL,
  fromWireKey,
  fromWireKeys,
  keyAt,
  keyCount,
  keyId,
  keyList,
  sliceKeys,
  toWireKey,
  toWireKeys,
} from './protocol/record-channels.js';
export { decodeRecordBody, encodeRecordBody } from './protocol/record-body.js';
export { concatBatches, sliceBatch } from './protocol/batch-slices.js';
export type { WorkerSpec } from './protocol/worker-spec.js';
export { WORKER_SPEC_ENV } from './protocol/worker-spec.js';
// Worker: the worker role process's runtime binding.
export type { ParameterBackend, RemoteBindingOptions } from './worker/remote-binding.js';
export { InProcessParameters, RemoteBinding } from './worker/remote-binding.js';
