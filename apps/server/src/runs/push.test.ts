import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, PushRecordsResponse, RunSummary, StudioEvent } from '@tfstream/studio-api';
import type { StudioServer } from '../server.js';
import { pushEchoJob } from '../test-support/jobs.js';
import { call, ok, startRun, startTestServer, stream, tempHome } from '../test-support/studio.js';

const { home, remove } = tempHome();
let server: StudioServer;

beforeAll(async () => {
  server = await startTestServer({ home });
});

afterAll(async () => {
  await server?.close();
  remove();
});

function push(runId: string, body: string, contentType: string) {
  return call<PushRecordsResponse>(server, 'POST', `/api/runs/${runId}/records`, {
    body,
    headers: { 'Content-Type': contentType },
  });
}

describe('records pushed to a running job', () => {
  it('takes JSONL and CSV bodies, rejects bad records one by one by number and field, and processes the good ones', async () => {
    const job = await ok<JobRecord>(
      server,
      'POST',
      '/api/jobs',
      { job: pushEchoJob('pushed') },
      201,
    );
    const run = await startRun(server, job.id);

    const jsonl = await push(
      run.id,
      '{"id":1,"label":"a"}\n{"id":"two","label":"b"}\n{"id":3,"label":"ü"}\n',
      'application/x-ndjson',
    );
    expect(jsonl.status).toBe(200);
    expect(jsonl.body.accepted).toBe(2);
    expect(jsonl.body.rejected).toHaveLength(1);
    expect(jsonl.body.rejected[0]).toMatchObject({ record: 2, field: 'id' });
    expect(jsonl.body.rejected[0]!.message).toMatch(/^CODEC_TYPE_MISMATCH: .*record 2: field "id"/);

    const csv = await push(run.id, 'label,id\nx,10\ny,eleven\nz,12\n', 'text/csv; charset=utf-8');
    expect(csv.body).toMatchObject({ accepted: 2, rejected: [{ record: 2, field: 'id' }] });

    const wrongType = await push(run.id, '<records/>', 'application/xml');
    expect(wrongType.status).toBe(415);
    expect(wrongType.body).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });

    const ended = await ok<RunSummary>(server, 'POST', `/api/runs/${run.id}/records/end`);
    expect(ended.id).toBe(run.id);
    const result = await stream(server, run.id);
    const end = result.events[result.events.length - 1] as Extract<StudioEvent, { type: 'end' }>;
    expect(end.outcome).toMatchObject({ state: 'finished', recordsIn: 4, rowsWritten: 4 });
    const keys = result.events.flatMap((e) =>
      e.type === 'output' ? e.rows.map((r) => r.key) : [],
    );
    expect(keys.sort((a, b) => Number(a) - Number(b))).toEqual(['1', '3', '10', '12']);

    const late = await push(run.id, '{"id":5,"label":"e"}\n', 'application/x-ndjson');
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: { code: 'RUN_NOT_ACTIVE' } });
  });
});
