import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EndStudioEvent,
  JobRecord,
  OutputStudioEvent,
  RunEventsResponse,
  RunRecord,
  RunSummary,
  StudioEvent,
} from '@tfstream/studio-api';
import type { StudioServer } from '../server.js';
import { Store } from '../store/store.js';
import { syntheticEchoJob } from '../test-support/jobs.js';
import {
  call,
  jobFromTemplate,
  ok,
  startRun,
  startTestServer,
  stream,
  tempHome,
} from '../test-support/studio.js';

const { home, remove } = tempHome();
let server: StudioServer;

beforeAll(async () => {
  server = await startTestServer({ home });
});

afterAll(async () => {
  await server?.close();
  remove();
});

function seqs(events: readonly StudioEvent[]): number[] {
  return events.map((event) => event.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function outputRows(events: readonly StudioEvent[]): OutputStudioEvent['rows'][number][] {
  return events.flatMap((event) => (event.type === 'output' ? event.rows : []));
}

function endOf(events: readonly StudioEvent[]): EndStudioEvent {
  const end = events[events.length - 1];
  if (end?.type !== 'end') {
    throw new Error(`the last event is ${end?.type}, not end`);
  }
  return end;
}

let trained: { run: RunRecord; events: readonly StudioEvent[] };

describe('runs', () => {
  it('trains the penguin-train template in run processes and streams every event, numbered, until the end', async () => {
    const job = await jobFromTemplate(server, 'penguin-train');
    const run = await startRun(server, job.id, { overrides: { epochs: 1 } });
    expect(run).toMatchObject({ jobId: job.id, jobVersion: 1, state: 'initialising' });
    expect(run.job.training?.epochs).toBe(1);

    const result = await stream(server, run.id);
    expect(result.frames[0]).toMatchObject({ type: 'hello', runId: run.id });
    expect(result.frames[result.frames.length - 1]).toMatchObject({ type: 'end' });
    expect(result.closeCode).toBe(1000);
    expect(seqs(result.events)).toEqual(range(1, result.events.length));
    expect(endOf(result.events).outcome).toMatchObject({ state: 'finished', recordsIn: 234 });
    expect(result.events.some((e) => e.type === 'state' && e.state === 'running')).toBe(true);
    expect(result.events.some((e) => e.type === 'metric' && e.name === 'loss')).toBe(true);
    expect(
      result.events.some((e) => e.type === 'role' && e.role === 'ps' && e.phase === 'registered'),
    ).toBe(true);
    expect(
      result.events.some((e) => e.type === 'log' && e.message.includes('models/penguin-train')),
    ).toBe(true);
    expect(existsSync(join(home, 'models/penguin-train/model.json'))).toBe(true);

    const summary = await ok<RunSummary>(server, 'GET', `/api/runs/${run.id}`);
    expect(summary).toMatchObject({ state: 'finished', lastSeq: result.events.length });
    trained = { run, events: result.events };
  });

  it('runs the penguin-infer template on the model that training published; a client that reconnects with after misses nothing', async () => {
    const job = await jobFromTemplate(server, 'penguin-infer');
    const run = await startRun(server, job.id);
    // Drop the socket after the first events, as a network failure would, and resume.
    const first = await stream(server, run.id, { stopAfterEvents: 1 });
    const last = first.events[first.events.length - 1]!.seq;
    const rest = await stream(server, run.id, { after: last });
    expect(seqs(rest.events)[0]).toBe(last + 1);
    const all = [...first.events, ...rest.events];
    expect(seqs(all)).toEqual(range(1, all.length));
    expect(endOf(all).outcome).toMatchObject({ state: 'finished', recordsOut: 10 });

    const rows = outputRows(all);
    expect(rows.map((r) => r.key).sort((a, b) => Number(a) - Number(b))).toEqual(
      range(0, 9).map(String),
    );
    for (const { row } of rows) {
      expect([0, 1, 2]).toContain(row.species);
      expect(row.probability).toBeGreaterThan(0.3);
      expect(row.probability).toBeLessThanOrEqual(1);
    }
    // Progress reports the feed-to-output latency once outputs came back.
    const progress = all.filter((e) => e.type === 'progress');
    const timed = progress.filter((e) => e.latencyP50Ms !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    for (const event of timed) {
      expect(event.latencyP50Ms).toBeGreaterThan(0);
      expect(event.latencyP99Ms).toBeGreaterThanOrEqual(event.latencyP50Ms!);
    }

    // A replay from the middle of a finished run: exactly the events after it.
    const middle = Math.floor(all.length / 2);
    const replay = await stream(server, run.id, { after: middle });
    expect(replay.events).toEqual(all.slice(middle));
  });

  it('keeps a finished run with its events, logs and outputs across a server restart', async () => {
    await server.close();
    server = await startTestServer({ home });
    const run = await ok<RunRecord>(server, 'GET', `/api/runs/${trained.run.id}`);
    expect(run).toMatchObject({ state: 'finished', lastSeq: trained.events.length });
    const replay = await stream(server, trained.run.id);
    expect(replay.events).toEqual(trained.events);
    const logs = await call(server, 'GET', `/api/runs/${trained.run.id}/logs.txt`);
    expect(logs.headers['content-type']).toMatch(/^text\/plain/);
    expect(logs.text).toMatch(/^\[worker 0\] .*epoch 1\/1/m);
    const page = await ok<RunEventsResponse>(
      server,
      'GET',
      `/api/runs/${trained.run.id}/events?after=3&limit=5`,
    );
    expect(seqs(page.events)).toEqual([4, 5, 6, 7, 8]);
    expect(page.more).toBe(true);
  });

  it('marks a run that was going when its server died as failed, "server restarted"', async () => {
    await server.close();
    const store = Store.open(join(home, 'studio.db'));
    const job = store.createJob(syntheticEchoJob('orphan', { count: 5 }));
    const orphan = store.createRun(job.id, 1, job.job);
    store.appendEvents(orphan.id, [
      {
        type: 'state',
        seq: 1,
        at: Date.now(),
        state: 'running',
        previous: 'initialising',
        reason: 'formed',
      },
    ]);
    store.close();
    server = await startTestServer({ home });
    const run = await ok<RunRecord>(server, 'GET', `/api/runs/${orphan.id}`);
    expect(run).toMatchObject({
      state: 'failed',
      lastSeq: 3,
      outcome: { reason: 'server restarted' },
    });
    const replay = await stream(server, orphan.id);
    expect(replay.events.map((e) => e.type)).toEqual(['state', 'state', 'end']);
  });

  it('runs model code without the server token or environment: its logs show neither', async () => {
    process.env.TFSTREAM_TEST_CANARY = 'canary-8c1f0e-server-secret';
    try {
      const job = await ok<JobRecord>(
        server,
        'POST',
        '/api/jobs',
        {
          job: syntheticEchoJob('env-probe', {
            count: 12,
            preamble: `console.log('ENV ' + JSON.stringify(process.env));
  console.log('ARGV ' + JSON.stringify(process.argv) + ' ' + JSON.stringify(process.execArgv));`,
          }),
        },
        201,
      );
      const run = await startRun(server, job.id);
      const result = await stream(server, run.id);
      expect(endOf(result.events).outcome).toMatchObject({ state: 'finished', rowsWritten: 12 });
      expect(outputRows(result.events)).toHaveLength(12);
      const logs = result.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
      expect(logs.some((line) => line.startsWith('ENV {'))).toBe(true);
      const text = logs.join('\n');
      expect(text).not.toContain(server.token);
      expect(text).not.toContain('canary-8c1f0e');
      expect(text).not.toContain('TFSTREAM_TOKEN');
    } finally {
      delete process.env.TFSTREAM_TEST_CANARY;
    }
  });

  it('cancels a run on request: it ends cancelled; records are pushed only to going push runs', async () => {
    const job = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: syntheticEchoJob('endless', { rate: 200 }) },
      201,
    );
    const run = await startRun(server, job.id);
    const flowing = await stream(server, run.id, {
      until: (events) => events.some((e) => e.type === 'output'),
    });
    expect(outputRows(flowing.events).length).toBeGreaterThan(0);
    const notPush = await call(server, 'POST', `/api/runs/${run.id}/records`, {
      body: '{"id":1}\n',
      headers: { 'Content-Type': 'application/x-ndjson' },
    });
    expect(notPush.status).toBe(400);
    expect(notPush.text).toContain('input.source is not');
    const cancelled = await ok<RunSummary>(server, 'POST', `/api/runs/${run.id}/cancel`);
    expect(cancelled).toMatchObject({ state: 'cancelled', outcome: { state: 'cancelled' } });
    const replay = await stream(server, run.id);
    expect(endOf(replay.events).outcome.state).toBe('cancelled');
    const again = await ok<RunSummary>(server, 'POST', `/api/runs/${run.id}/cancel`);
    expect(again.state).toBe('cancelled');
    const push = await call(server, 'POST', `/api/runs/${run.id}/records`, {
      body: '{"id":1}\n',
      headers: { 'Content-Type': 'application/x-ndjson' },
    });
    expect(push.status).toBe(409);
  });
});
