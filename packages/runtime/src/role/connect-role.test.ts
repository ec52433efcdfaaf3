import { afterEach, describe, expect, it } from 'vitest';
// Tests are where the two sides meet: the role side is checked against a real coordinator.
import type { Coordinator } from '../coordinator/coordinator.js';
import { recordedCoordinator, testClusterOptions } from '../coordinator/test-support/cluster.js';
import { listen, roleEnvVariables } from '../protocol/index.js';
import { connectRole } from './connect-role.js';

const running: Coordinator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((coordinator) => coordinator.dispose()));
});

function envFor(coordinator: string, token: string): Record<string, string> {
  return roleEnvVariables({
    coordinator,
    token,
    role: 'worker',
    index: 0,
    attempt: 1,
    heartbeatMs: 100,
    host: '127.0.0.1',
    processGroup: false,
  });
}

describe('connectRole', () => {
  it('refuses to run outside a role process', async () => {
    await expect(connectRole({ env: {} })).rejects.toThrow(
      /^ROLE_ENV_INVALID: TFSTREAM_COORDINATOR is not set/,
    );
  });

  it('is refused by a coordinator when its token is wrong', async () => {
    const { coordinator } = recordedCoordinator(testClusterOptions({ workers: 1 }));
    running.push(coordinator);
    await coordinator.start();
    await expect(
      connectRole({ env: envFor(coordinator.address!, 'a-guessed-token'), timeoutMs: 5000 }),
    ).rejects.toThrow(/^AUTH_FAILED: 127\.0\.0\.1:\d+ refused the connection/);
  });

  it('reports an unreachable coordinator', async () => {
    const gone = await listen({ token: 't', onConnection: () => {} });
    const address = gone.address;
    await gone.close();
    await expect(connectRole({ env: envFor(address, 't') })).rejects.toThrow(
      /^CONNECTION_CLOSED: could not connect to 127\.0\.0\.1:\d+/,
    );
  });
});
