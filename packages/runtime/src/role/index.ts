// `@tfstream/runtime/role`: what a role process imports. It loads the role side and the
// protocol only, never the coordinator.
export type { ConnectPeerOptions, ConnectRoleOptions } from './connect-role.js';
export { RoleHandle, connectRole } from './connect-role.js';
export type {
  ClusterSpec,
  Connection,
  CreditMessage,
  DataMessage,
  Frame,
  JsonValue,
  LogLevel,
  Message,
  RoleIdentity,
  RoleKind,
} from '../protocol/index.js';
