// The one contract between the coordinator (main process) and the roles (their own processes):
// message types, framing, connections, listeners and the start-up environment. Both sides import
// it; neither imports the other.
export type { HostPort } from './address.js';
export { formatAddress, parseAddress } from './address.js';
export type { ConnectOptions, ConnectionOptions, ReadOptions, SendOptions } from './connection.js';
export { Connection, connect } from './connection.js';
export type { FrameLimits } from './frame.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  FRAME_PREFIX_BYTES,
  FrameDecoder,
  encodeFrame,
} from './frame.js';
export type { ListenOptions } from './listener.js';
export { Listener, listen } from './listener.js';
export type {
  ClusterMessage,
  ClusterSpec,
  CreditMessage,
  DataMessage,
  ErrorMessage,
  Frame,
  HeartbeatMessage,
  HelloMessage,
  JsonValue,
  LogLevel,
  LogMessage,
  Message,
  MessageKind,
  MetricMessage,
  RegisterMessage,
  RoleIdentity,
  RoleKind,
  ShutdownMessage,
  WelcomeMessage,
} from './messages.js';
export { PROTOCOL_VERSION, ROLE_KINDS, parseMessage, roleLabel } from './messages.js';
export type { RoleEnv } from './role-env.js';
export { ROLE_ENV, parseRoleEnv, roleEnvVariables } from './role-env.js';
