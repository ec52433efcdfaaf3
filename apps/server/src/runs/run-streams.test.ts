import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame, StudioEvent } from '@tfstream/studio-api';
import { resolveConfig } from '../config.js';
import { Store } from '../store/store.js';
import { syntheticEchoJob } from '../test-support/jobs.js';
import { memoryLogger, tempHome } from '../test-support/studio.js';
import { RunManager } from './run-manager.js';
import { RunStreams } from './run-streams.js';
import { failedOutcome } from './studio-events.js';

const EVENTS = 5000;
const { home, remove } = tempHome();
let store: Store;
let manager: RunManager;
let streams: RunStreams;
let http: Server;
let runId: string;

beforeAll(async () => {
  store = Store.open(join(home, 'studio.db'));
  const job = store.createJob(syntheticEchoJob('big', { count: 1 }));
  runId = store.createRun(job.id, 1, job.job).id;
  // ~20 MB of output: more than the kernel's socket buffers hold for a client that stops reading.
  const filler = 'x'.repeat(4000);
  const events: StudioEvent[] = Array.from({ length: EVENTS - 1 }, (_, i) => ({
    type: 'output',
    seq: i + 1,
    at: 0,
    rows: [{ key: String(i), row: { filler } }],
  }));
  events.push({ type: 'end', seq: EVENTS, at: 0, outcome: failedOutcome('finished', 'ok', 0) });
  store.appendEvents(runId, events);
  manager = new RunManager({
    store,
    config: resolveConfig({ home, logger: memoryLogger(), warmRoles: 0 }),
    onEvents: () => {},
  });
  streams = new RunStreams({
    store,
    runs: () => manager,
    tickMs: 20,
    lowWaterBytes: 64 * 1024,
    stallMs: 300,
  });
  http = createServer();
  http.on('upgrade', (request, socket, head) => {
    const after = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('after'));
    streams.accept(request, socket, head, runId, after);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  streams.close();
  await manager.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  store.close();
  remove();
});

interface Received {
  readonly seqs: number[];
  readonly ended: boolean;
  readonly closeCode: number;
}

/** Reads a run's stream; `stallMs` > 0 stops reading for that long right after it opens. */
function read(after: number, stallMs: number): Promise<Received> {
  const port = (http.address() as AddressInfo).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?after=${after}`);
  const seqs: number[] = [];
  let ended = false;
  ws.on('open', () => {
    if (stallMs > 0) {
      ws.pause();
      setTimeout(() => ws.resume(), stallMs);
    }
  });
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    if (frame.type === 'events') {
      seqs.push(...frame.events.map((event) => event.seq));
    } else if (frame.type === 'end') {
      ended = true;
    }
  });
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (closeCode) => resolve({ seqs, ended, closeCode }));
  });
}

describe('RunStreams', () => {
  it('drops a client that stops reading instead of buffering for it; it resumes with after and misses nothing', async () => {
    const slow = await read(0, 3000);
    expect(slow.ended).toBe(false);
    expect([1006, 1013]).toContain(slow.closeCode);
    expect(slow.seqs.length).toBeGreaterThan(0);
    expect(slow.seqs.length).toBeLessThan(EVENTS);
    expect(slow.seqs).toEqual(slow.seqs.map((_, i) => i + 1));

    const rest = await read(slow.seqs[slow.seqs.length - 1]!, 0);
    expect(rest.ended).toBe(true);
    expect(rest.closeCode).toBe(1000);
    expect([...slow.seqs, ...rest.seqs]).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
  });
});
