import { describe, expect, it } from 'vitest';
import type { RoleEnv } from './role-env.js';
import { ROLE_ENV, parseRoleEnv, roleEnvVariables } from './role-env.js';

const env: RoleEnv = {
  coordinator: '127.0.0.1:4000',
  token: 'secret',
  role: 'ps',
  index: 2,
  attempt: 3,
  heartbeatMs: 250,
  host: '127.0.0.1',
  processGroup: true,
};

describe('role environment', () => {
  it('reads back what the coordinator writes', () => {
    expect(parseRoleEnv(roleEnvVariables(env))).toEqual(env);
  });

  it('names the variable that is missing or malformed', () => {
    const variables = roleEnvVariables(env);
    expect(() => parseRoleEnv({})).toThrow(
      /^ROLE_ENV_INVALID: TFSTREAM_COORDINATOR is not set: connectRole\(\) runs in a role process started by a Coordinator$/,
    );
    expect(() => parseRoleEnv({ ...variables, [ROLE_ENV.role]: 'chief' })).toThrow(
      /TFSTREAM_ROLE="chief" is not "worker" or "ps"/,
    );
    expect(() => parseRoleEnv({ ...variables, [ROLE_ENV.attempt]: '0' })).toThrow(
      /TFSTREAM_ATTEMPT="0" is not an integer of at least 1/,
    );
    expect(() => parseRoleEnv({ ...variables, [ROLE_ENV.index]: '1.5' })).toThrow(
      /TFSTREAM_INDEX="1.5" is not an integer of at least 0/,
    );
    expect(() => parseRoleEnv({ ...variables, [ROLE_ENV.coordinator]: 'nowhere' })).toThrow(
      /^ROLE_ENV_INVALID: TFSTREAM_COORDINATOR: "nowhere" is not a "host:port" address/,
    );
  });
});
