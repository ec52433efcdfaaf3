import { TfstreamError } from '@tfstream/schema';
import { parseAddress } from './address.js';
import type { RoleKind } from './messages.js';

/**
 * The environment variables through which a coordinator tells a role process who it is. They
 * are the whole start-up contract: the coordinator writes them (`roleEnvVariables`), the role
 * side reads them (`parseRoleEnv`).
 */
export const ROLE_ENV = {
  /** `host:port` of the coordinator. */
  coordinator: 'TFSTREAM_COORDINATOR',
  /** The run's auth token; the role side removes it from `process.env` once read. */
  token: 'TFSTREAM_TOKEN',
  /** `worker` or `ps`. */
  role: 'TFSTREAM_ROLE',
  /** 0-based index among roles of the same kind. */
  index: 'TFSTREAM_INDEX',
  /** 1 for the first start of the role, +1 per restart. */
  attempt: 'TFSTREAM_ATTEMPT',
  /** How often the role sends a heartbeat, in milliseconds. */
  heartbeatMs: 'TFSTREAM_HEARTBEAT_MS',
  /** Interface the role binds its peer listener to. */
  host: 'TFSTREAM_HOST',
  /** `1` when the role leads its own process group, which it kills if the coordinator is lost. */
  processGroup: 'TFSTREAM_PROCESS_GROUP',
} as const;

/** What a role process learns from its environment. */
export interface RoleEnv {
  readonly coordinator: string;
  readonly token: string;
  readonly role: RoleKind;
  readonly index: number;
  readonly attempt: number;
  readonly heartbeatMs: number;
  readonly host: string;
  readonly processGroup: boolean;
}

/** The `TFSTREAM_*` variables that describe `env` to a role process. */
export function roleEnvVariables(env: RoleEnv): Record<string, string> {
  return {
    [ROLE_ENV.coordinator]: env.coordinator,
    [ROLE_ENV.token]: env.token,
    [ROLE_ENV.role]: env.role,
    [ROLE_ENV.index]: String(env.index),
    [ROLE_ENV.attempt]: String(env.attempt),
    [ROLE_ENV.heartbeatMs]: String(env.heartbeatMs),
    [ROLE_ENV.host]: env.host,
    [ROLE_ENV.processGroup]: env.processGroup ? '1' : '0',
  };
}

/**
 * Reads the role environment.
 *
 * @throws `ROLE_ENV_INVALID` naming the missing or malformed variable.
 */
export function parseRoleEnv(env: Readonly<Record<string, string | undefined>>): RoleEnv {
  const read = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new TfstreamError(
        'ROLE_ENV_INVALID',
        `${name} is not set: connectRole() runs in a role process started by a Coordinator`,
      );
    }
    return value;
  };
  const integer = (name: string, min: number): number => {
    const text = read(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
      throw new TfstreamError(
        'ROLE_ENV_INVALID',
        `${name}=${JSON.stringify(text)} is not an integer of at least ${min}`,
      );
    }
    return value;
  };
  const coordinator = read(ROLE_ENV.coordinator);
  try {
    parseAddress(coordinator);
  } catch (error) {
    throw new TfstreamError(
      'ROLE_ENV_INVALID',
      `${ROLE_ENV.coordinator}: ${(error as TfstreamError).detail}`,
    );
  }
  const role = read(ROLE_ENV.role);
  if (role !== 'worker' && role !== 'ps') {
    throw new TfstreamError(
      'ROLE_ENV_INVALID',
      `${ROLE_ENV.role}=${JSON.stringify(role)} is not "worker" or "ps"`,
    );
  }
  return {
    coordinator,
    token: read(ROLE_ENV.token),
    role,
    index: integer(ROLE_ENV.index, 0),
    attempt: integer(ROLE_ENV.attempt, 1),
    heartbeatMs: integer(ROLE_ENV.heartbeatMs, 1),
    host: env[ROLE_ENV.host] || '127.0.0.1',
    processGroup: env[ROLE_ENV.processGroup] === '1',
  };
}
