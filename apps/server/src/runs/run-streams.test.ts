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
/** A run of many output events of 500 rows each, streamed with the default frame limits. */
let rowsRunId: string;
let defaults: RunStreams;
const ROW_EVENTS = 120;
const ROWS_PER_EVENT = 500;

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

  const rowsJob = store.createJob(syntheticEchoJob('rows', { count: 1 }));
  rowsRunId = store.createRun(rowsJob.id, 1, rowsJob.job).id;
  const rowEvents: StudioEvent[] = Array.from({ length: ROW_EVENTS }, (_, e) => ({
    type: 'output',
    seq: e + 1,
    at: 0,
    rows: Array.from({ length: ROWS_PER_EVENT }, (_, i) => {
      const n = e * ROWS_PER_EVENT + i;
      return { key: String(n), row: { label: n % 3, predicted: n % 3, probability: 0.5 } };
    }),
  }));
  rowEvents.push({
    type: 'end',
    seq: ROW_EVENTS + 1,
    at: 0,
    outcome: failedOutcome('finished', 'ok', 0),
  });
  store.appendEvents(rowsRunId, rowEvents);
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
  defaults = new RunStreams({ store, runs: () => manager });
  http = createServer();
  http.on('upgrade', (request, socket, head) => {
    const params = new URL(request.url ?? '/', 'http://x').searchParams;
    const after = Number(params.get('after'));
    if (params.get('run') === 'rows') {
      defaults.accept(request, socket, head, rowsRunId, after);
    } else {
      streams.accept(request, socket, head, runId, after);
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  streams.close();
  defaults.close();
  await manager.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  store.close();
  remove();
});

interface Received {
  readonly seqs: number[];
  /** Size of each `events` frame, in bytes. */
  readonly frames: number[];
  /** Output rows of each `events` frame. */
  readonly frameRows: number[];
  readonly ended: boolean;
  readonly closeCode: number;
}

/** Reads a run's stream; `stallMs` > 0 stops reading for that long right after it opens. */
function read(after: number, stallMs: number, run = 'big'): Promise<Received> {
  const port = (http.address() as AddressInfo).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?after=${after}&run=${run}`);
  const seqs: number[] = [];
  const frames: number[] = [];
  const frameRows: number[] = [];
  let ended = false;
  ws.on('open', () => {
    if (stallMs > 0) {
      ws.pause();
      setTimeout(() => ws.resume(), stallMs);
    }
  });
  ws.on('message', (data) => {
    const text = data.toString();
    const frame = JSON.parse(text) as ServerFrame;
    if (frame.type === 'events') {
      seqs.push(...frame.events.map((event) => event.seq));
      frames.push(Buffer.byteLength(text));
      frameRows.push(
        frame.events.reduce((n, event) => n + (event.type === 'output' ? event.rows.length : 0), 0),
      );
    } else if (frame.type === 'end') {
      ended = true;
    }
  });
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (closeCode) => resolve({ seqs, frames, frameRows, ended, closeCode }));
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

  it('replays a run in frames of at most 64 KiB, and resumes exactly after any seq', async () => {
    const all = await read(0, 0, 'rows');
    expect(all.ended).toBe(true);
    expect(all.seqs).toEqual(Array.from({ length: ROW_EVENTS + 1 }, (_, i) => i + 1));
    expect(all.frameRows.reduce((a, b) => a + b, 0)).toBe(ROW_EVENTS * ROWS_PER_EVENT);
    // 60 000 rows, ~2.4 MB: many frames, none over the limit (plus the frame's own envelope).
    expect(all.frames.length).toBeGreaterThan(30);
    expect(Math.max(...all.frames)).toBeLessThanOrEqual(64 * 1024 + 64);
    expect(Math.max(...all.frameRows)).toBeLessThanOrEqual(3 * ROWS_PER_EVENT);

    const rest = await read(37, 0, 'rows');
    expect(rest.seqs).toEqual(Array.from({ length: ROW_EVENTS + 1 - 37 }, (_, i) => i + 38));
  });
});
