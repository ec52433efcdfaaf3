// A server with `warmRoles` keeps a spare run host whose role processes are started ahead; a run
// takes it, and once the server is idle again a new spare is made for the next run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, StudioEvent } from '@tfstream/studio-api';
import { waitUntilGone } from '../../../../packages/runtime/src/coordinator/test-support/cluster.js';
import type { StudioServer } from '../server.js';
import { syntheticEchoJob } from '../test-support/jobs.js';
import { ok, startRun, startTestServer, stream, tempHome } from '../test-support/studio.js';

const { home, remove } = tempHome();
let server: StudioServer;

beforeAll(async () => {
  server = await startTestServer({ home, warmRoles: 2 });
});

afterAll(async () => {
  await server?.close();
  remove();
});

const STARTED_AHEAD = /role process\(es\) were started ahead/;

async function runEcho(name: string): Promise<readonly StudioEvent[]> {
  const job = await ok<JobRecord>(
    server,
    'POST',
    '/api/jobs',
    { job: syntheticEchoJob(name, { count: 50 }) },
    201,
  );
  const run = await startRun(server, job.id);
  return (await stream(server, run.id)).events;
}

function rolePids(events: readonly StudioEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'role' && e.phase === 'spawned' ? [e.pid] : []));
}

describe('spare run host', () => {
  it('runs on processes started ahead, and makes a new spare for the next run', async () => {
    const first = await runEcho('spare-1');
    expect(first.at(-1)).toMatchObject({ type: 'end', outcome: { state: 'finished' } });
    expect(first.some((e) => e.type === 'log' && STARTED_AHEAD.test(e.message))).toBe(true);
    expect(first.filter((e) => e.type === 'output').length).toBeGreaterThan(0);

    // The next spare is started after a second without runs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await runEcho('spare-2');
    expect(second.at(-1)).toMatchObject({ type: 'end', outcome: { state: 'finished' } });
    expect(second.some((e) => e.type === 'log' && STARTED_AHEAD.test(e.message))).toBe(true);

    await server.close();
    expect(await waitUntilGone([...rolePids(first), ...rolePids(second)])).toEqual([]);
  });
});
