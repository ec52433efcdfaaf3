import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../protocol/index.js';
import type { Coordinator, CoordinatorOptions } from './coordinator.js';
import type {
  ClusterEvent,
  CoordinatorEvent,
  DataEvent,
  LogEvent,
  RefusedEvent,
  RoleEvent,
  StateEvent,
} from './events.js';
import {
  isAlive,
  nextEvent,
  recordedCoordinator,
  testClusterOptions,
  waitUntilGone,
} from './test-support/cluster.js';

const running: Coordinator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((coordinator) => coordinator.dispose()));
});

function cluster(overrides: Partial<CoordinatorOptions> = {}): {
  coordinator: Coordinator;
  events: CoordinatorEvent[];
} {
  const recorded = recordedCoordinator(testClusterOptions(overrides));
  running.push(recorded.coordinator);
  return recorded;
}

const isState =
  (state: StateEvent['state']) =>
  (event: CoordinatorEvent): event is StateEvent =>
    event.type === 'state' && event.state === state;

const isRole =
  (phase: RoleEvent['phase'], role: RoleEvent['role'], index: number) =>
  (event: CoordinatorEvent): event is RoleEvent =>
    event.type === 'role' && event.phase === phase && event.role === role && event.index === index;

const isPong =
  (seq: number) =>
  (event: CoordinatorEvent): event is DataEvent =>
    event.type === 'data' &&
    event.message.kind === 'data' &&
    event.message.channel === 'pong' &&
    event.message.seq === seq;

function states(events: readonly CoordinatorEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'state' ? [event.state] : []));
}

/** The cluster specs that roles reported in their `cluster N {...}` log lines. */
function reportedSpecs(events: readonly CoordinatorEvent[], generation: number): string[] {
  return events.flatMap((event) =>
    event.type === 'log' && event.message.startsWith(`cluster ${generation} `)
      ? [`${event.role} ${event.index}: ${event.message.slice(`cluster ${generation} `.length)}`]
      : [],
  );
}

/** Asks `from` to reach `to` peer-to-peer and resolves with what it reports back. */
async function ping(
  coordinator: Coordinator,
  seq: number,
  from: { role: 'worker' | 'ps'; index: number },
  to: { role: 'worker' | 'ps'; index: number },
): Promise<unknown> {
  const pong = nextEvent(coordinator, isPong(seq));
  await coordinator.send(from, { kind: 'data', channel: 'ping', seq, meta: to });
  const { message } = await pong;
  return message.kind === 'data' ? message.meta : undefined;
}

describe('Coordinator', () => {
  it('forms a cluster of 2 workers and 1 parameter server that all get the same spec', async () => {
    const { coordinator, events } = cluster({ workers: 2, parameterServers: 1 });
    const started = Date.now();
    const spec = await coordinator.start();
    const formedMs = Date.now() - started;

    expect(coordinator.state).toBe('running');
    expect(spec.worker).toHaveLength(2);
    expect(spec.ps).toHaveLength(1);
    for (const address of [...spec.worker, ...spec.ps]) {
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(new Set([...spec.worker, ...spec.ps]).size).toBe(3);
    const clusterEvent = events.find((event): event is ClusterEvent => event.type === 'cluster');
    expect(clusterEvent).toMatchObject({
      generation: 1,
      spec,
      attempts: { worker: [1, 1], ps: [1] },
    });
    // Every role logs the spec it received; wait for all three, then compare.
    await expect.poll(() => reportedSpecs(events, 1).length).toBe(3);
    expect(reportedSpecs(events, 1).sort()).toEqual(
      [`ps 0`, `worker 0`, `worker 1`].map((role) => `${role}: ${JSON.stringify(spec)}`),
    );
    expect(formedMs).toBeLessThan(15_000);

    // Peer to peer over TCP, not through the coordinator.
    await expect(
      ping(coordinator, 1, { role: 'worker', index: 0 }, { role: 'ps', index: 0 }),
    ).resolves.toEqual({
      answeredBy: { role: 'ps', index: 0, attempt: 1 },
      echoed: 'ping from worker 0',
    });
    await expect(
      ping(coordinator, 2, { role: 'ps', index: 0 }, { role: 'worker', index: 1 }),
    ).resolves.toEqual({
      answeredBy: { role: 'worker', index: 1, attempt: 1 },
      echoed: 'ping from ps 0',
    });

    // Role stdout and stderr arrive line by line, prefixed with the role.
    const logs = events.filter((event): event is LogEvent => event.type === 'log');
    expect(logs).toContainEqual(
      expect.objectContaining({
        source: 'stdout',
        level: 'info',
        line: '[worker 1] hello from worker 1 attempt 1',
      }),
    );
    expect(logs).toContainEqual(
      expect.objectContaining({ source: 'stderr', level: 'error', line: '[ps 0] stderr of ps 0' }),
    );

    const pids = coordinator.roles.map((role) => role.pid);
    const result = await coordinator.finish('test done');
    expect(result).toMatchObject({ state: 'finished', reason: 'test done' });
    expect(states(events)).toEqual(['initialising', 'running', 'finished']);
    const exits = events.filter(
      (event): event is RoleEvent => event.type === 'role' && event.phase === 'exited',
    );
    expect(exits.map((exit) => [exit.exitCode, exit.signal, exit.error])).toEqual([
      [0, null, undefined],
      [0, null, undefined],
      [0, null, undefined],
    ]);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('restarts a worker killed with SIGKILL within 3 s as attempt 2 and re-sends the spec', async () => {
    const { coordinator, events } = cluster({ workers: 2 });
    const first = await coordinator.start();
    const victim = coordinator.roles.find((role) => role.role === 'worker' && role.index === 1)!;

    const exited = nextEvent(coordinator, isRole('exited', 'worker', 1));
    const registered = nextEvent(
      coordinator,
      (event): event is RoleEvent =>
        isRole('registered', 'worker', 1)(event) && event.attempt === 2,
    );
    const respec = nextEvent(
      coordinator,
      (event): event is ClusterEvent => event.type === 'cluster' && event.generation === 2,
    );
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');

    const exit = await exited;
    expect(exit.at - killedAt).toBeLessThan(3000);
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.error?.code).toBe('ROLE_FAILED');
    expect(exit.error?.message).toMatch(
      new RegExp(`^ROLE_FAILED: worker 1 \\(attempt 1, pid ${victim.pid}\\) was killed by SIGKILL`),
    );
    await registered;
    const spec = (await respec).spec;
    expect(coordinator.state).toBe('running');
    expect(states(events)).toEqual(['initialising', 'running', 'recovering', 'running']);
    expect(coordinator.roles.find((role) => role.index === 1)).toMatchObject({
      attempt: 2,
      restarts: 1,
    });
    expect(spec.worker[0]).toBe(first.worker[0]);
    expect(spec.worker[1]).not.toBe(first.worker[1]);
    // The survivor got the new spec and reaches the restarted worker at its new address.
    await expect
      .poll(() => reportedSpecs(events, 2))
      .toContain(`worker 0: ${JSON.stringify(spec)}`);
    await expect(
      ping(coordinator, 1, { role: 'worker', index: 0 }, { role: 'worker', index: 1 }),
    ).resolves.toMatchObject({
      answeredBy: { role: 'worker', index: 1, attempt: 2 },
    });
  });

  it('fails the run after maxRestarts when a role keeps crashing, naming the role', async () => {
    const { coordinator, events } = cluster({
      workers: 2,
      maxRestarts: 2,
      restartDelayMs: 0,
      env: { TEST_CRASH: 'worker/1' },
    });
    await coordinator.start().catch(() => {});
    const result = await coordinator.result;

    expect(result.state).toBe('failed');
    expect(result.error?.code).toBe('CLUSTER_FAILED');
    expect(result.error?.message).toMatch(
      /^CLUSTER_FAILED: worker 1 failed 3 time\(s\), more than maxRestarts \(2\) allows; last failure: worker 1 \(attempt 3, pid \d+\) exited with code 1; last stderr lines:\n/,
    );
    expect(result.error?.message).toContain('Error: boom from worker 1 attempt 3');
    const attempts = events.flatMap((event) =>
      isRole('spawned', 'worker', 1)(event) ? [event.attempt] : [],
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(states(events).at(-1)).toBe('failed');
    expect(coordinator.roles.map((role) => role.pid)).toEqual([0, 0]);
  });

  it('kills and restarts a role that stops sending heartbeats', async () => {
    const { coordinator, events } = cluster({
      workers: 1,
      parameterServers: 1,
      heartbeatMs: 100,
      heartbeatTimeoutMs: 1500,
      env: { TEST_HANG: 'worker/0@1' },
    });
    const exited = nextEvent(coordinator, isRole('exited', 'worker', 0));
    const back = nextEvent(
      coordinator,
      (event): event is RoleEvent =>
        isRole('registered', 'worker', 0)(event) && event.attempt === 2,
    );
    const recovered = nextEvent(
      coordinator,
      (event): event is StateEvent => isState('running')(event) && event.previous === 'recovering',
    );
    await coordinator.start();
    const exit = await exited;
    expect(exit.error?.message).toMatch(
      /^ROLE_FAILED: worker 0 \(attempt 1, pid \d+\) was killed by the coordinator: it sent no heartbeat for \d+ ms \(heartbeatTimeoutMs 1500\); its event loop is blocked or it hangs/,
    );
    await back;
    await recovered;
    expect(states(events)).toEqual(['initialising', 'running', 'recovering', 'running']);
  });

  it('stops a role that exhausts its memory and fails the run with the reason', async () => {
    const { coordinator } = cluster({
      workers: 1,
      maxRestarts: 0,
      memoryLimitMb: 32,
      env: { TEST_OOM: 'worker/0' },
    });
    await coordinator.start().catch(() => {});
    const result = await coordinator.result;
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(
      /worker 0 \(attempt 1, pid \d+\) ran out of memory \(JavaScript heap of 32 MiB; see memoryLimitMb\)/,
    );
  });

  it('fails the start of a role that never registers', async () => {
    const { coordinator } = cluster({
      workers: 1,
      maxRestarts: 0,
      startTimeoutMs: 1500,
      env: { TEST_NO_CONNECT: 'worker/0' },
    });
    await expect(coordinator.start()).rejects.toThrow(
      /^CLUSTER_FAILED: worker 0 failed 1 time\(s\).*was killed by the coordinator: it did not register within 1500 ms \(startTimeoutMs\); does the entry call connectRole\(\)\?/s,
    );
    expect(coordinator.state).toBe('failed');
  });

  it('finishes the run when every worker is done, shutting down the parameter server', async () => {
    const { coordinator, events } = cluster({
      workers: 1,
      parameterServers: 1,
      env: { TEST_DONE: 'worker/0' },
    });
    await coordinator.start();
    const result = await coordinator.result;
    expect(result).toMatchObject({ state: 'finished', reason: 'every worker completed' });
    expect(states(events)).toEqual(['initialising', 'running', 'finished']);
    const ps = events.find((event): event is RoleEvent => isRole('exited', 'ps', 0)(event));
    expect(ps).toMatchObject({ exitCode: 0, signal: null });
  });

  it('cancel() leaves no role process and no child of one behind', async () => {
    const { coordinator, events } = cluster({
      workers: 2,
      parameterServers: 1,
      env: { TEST_GRANDCHILD: '1' },
    });
    await coordinator.start();
    await expect.poll(() => events.filter((event) => event.type === 'metric').length).toBe(3);
    const grandchildren = events.flatMap((event) =>
      event.type === 'metric' && event.name === 'grandchild-pid' ? [event.value] : [],
    );
    const roles = coordinator.roles.map((role) => role.pid);
    expect([...roles, ...grandchildren].filter(isAlive)).toHaveLength(6);

    const result = await coordinator.cancel('test cancels');
    expect(result).toMatchObject({ state: 'cancelled', reason: 'test cancels' });
    expect(roles.filter(isAlive)).toEqual([]);
    // Grandchildren were killed with their process group; init reaps them shortly after.
    expect(await waitUntilGone(grandchildren)).toEqual([]);
    await coordinator.dispose();
    await coordinator.dispose();
    expect(states(events)).toEqual(['initialising', 'running', 'cancelled']);
  });

  it('refuses a connection with a wrong token', async () => {
    const { coordinator } = cluster({ workers: 1 });
    await coordinator.start();
    const refused = nextEvent(
      coordinator,
      (event): event is RefusedEvent => event.type === 'refused',
    );
    await expect(connect(coordinator.address!, { token: 'guessed' })).rejects.toThrow(
      /^AUTH_FAILED: 127\.0\.0\.1:\d+ refused the connection: .*sent a wrong auth token/,
    );
    expect((await refused).error.code).toBe('AUTH_FAILED');
    expect(coordinator.state).toBe('running');
  });
});
