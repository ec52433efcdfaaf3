import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ApiError,
  CreateShareResponse,
  JobRecord,
  RunRecord,
  ShareSnapshot,
} from '@tfstream/studio-api';
import { TOKEN_COOKIE } from '@tfstream/studio-api';
import { failedOutcome } from '../runs/studio-events.js';
import type { StudioServer } from '../server.js';
import { Store } from '../store/store.js';
import { startServer } from '../server.js';
import { syntheticEchoJob } from '../test-support/jobs.js';
import {
  call,
  memoryLogger,
  ok,
  startTestServer,
  stream,
  streamRefusal,
  tempHome,
} from '../test-support/studio.js';

const { home, remove } = tempHome();
const webDist = join(home, 'web-dist');
let server: StudioServer;
let job: JobRecord;
let run: RunRecord;
let share: CreateShareResponse;

/** Every API route, with a body where it takes one (ids are real, so only the guard says no). */
function routes(): [string, string, unknown?][] {
  return [
    ['GET', '/api/health'],
    ['GET', '/api/templates'],
    ['GET', '/api/templates/penguin-train'],
    ['GET', '/api/jobs'],
    ['POST', '/api/jobs', { job: job.job }],
    ['POST', '/api/jobs/validate', { job: job.job }],
    ['GET', `/api/jobs/${job.id}`],
    ['PUT', `/api/jobs/${job.id}`, { job: job.job, baseVersion: 1 }],
    ['DELETE', `/api/jobs/${job.id}`],
    ['GET', `/api/jobs/${job.id}/versions`],
    ['GET', `/api/jobs/${job.id}/versions/1`],
    ['GET', `/api/jobs/${job.id}/runs`],
    ['POST', `/api/jobs/${job.id}/runs`, {}],
    ['GET', `/api/runs/${run.id}`],
    ['GET', `/api/runs/${run.id}/events`],
    ['GET', `/api/runs/${run.id}/logs.txt`],
    ['POST', `/api/runs/${run.id}/cancel`],
    ['POST', `/api/runs/${run.id}/records`, '{"id":1}\n'],
    ['POST', `/api/runs/${run.id}/records/end`],
    ['POST', '/api/uploads', 'a,b\n1,2\n'],
    ['POST', '/api/schema/infer', { text: 'a\n1\n', format: 'csv' }],
    ['POST', '/api/codec/preview', { schema: { fields: [{ name: 'a', type: 'int32' }] } }],
    ['POST', '/api/compile', { source: 'export default 1;' }],
    ['GET', '/api/typings'],
    ['POST', '/api/shares', { jobId: job.id }],
  ];
}

beforeAll(async () => {
  mkdirSync(join(webDist, 'assets'), { recursive: true });
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>studio</title>');
  writeFileSync(join(webDist, 'assets', 'app-1234.js'), 'console.log(1);');
  // A finished run, written as a run host would have: these tests start no process.
  const store = Store.open(join(home, 'studio.db'));
  job = store.createJob(syntheticEchoJob('guarded', { count: 2 }));
  const seeded = store.createRun(job.id, 1, job.job);
  const at = Date.now();
  store.appendEvents(seeded.id, [
    { seq: 1, at, type: 'state', state: 'running', previous: 'initialising', reason: 'formed' },
    { seq: 2, at, type: 'output', rows: [{ key: '0', row: { key: 0, n: 2 } }] },
    { seq: 3, at, type: 'output', rows: [{ key: '1', row: { key: 1, n: 2 } }] },
    { seq: 4, at, type: 'state', state: 'finished', previous: 'running', reason: 'done' },
    {
      seq: 5,
      at,
      type: 'end',
      outcome: { ...failedOutcome('finished', 'done', at), recordsOut: 2 },
    },
  ]);
  store.close();
  server = await startTestServer({ home, webDist, maxBodyBytes: 1024 });
  run = await ok<RunRecord>(server, 'GET', `/api/runs/${seeded.id}`);
  share = await ok<CreateShareResponse>(
    server,
    'POST',
    '/api/shares',
    { jobId: job.id, runId: run.id },
    201,
  );
});

afterAll(async () => {
  await server?.close();
  remove();
});

describe('the token', () => {
  it('guards every API route: no token or a wrong one is 401', async () => {
    for (const [method, path, body] of routes()) {
      for (const token of [null, 'not-the-token', `${server.token}x`]) {
        const answer = await call<ApiError>(server, method, path, {
          token,
          ...(body === undefined ? {} : { body }),
          ...(typeof body === 'string' ? { headers: { 'Content-Type': 'text/csv' } } : {}),
        });
        expect(answer.status, `${method} ${path} with ${token}`).toBe(401);
        expect(answer.body.error.code).toBe('UNAUTHORIZED');
      }
    }
    expect((await ok<JobRecord>(server, 'GET', `/api/jobs/${job.id}`)).version).toBe(1);
  });

  it('guards the WebSocket: no token or a wrong one is 401; the token in the query or header opens it', async () => {
    expect(await streamRefusal(server, run.id, { token: null })).toBe(401);
    expect(await streamRefusal(server, run.id, { token: 'wrong-token' })).toBe(401);
    const byQuery = await stream(server, run.id);
    const byHeader = await stream(server, run.id, { tokenIn: 'header' });
    expect(byHeader.events).toEqual(byQuery.events);
    expect(byQuery.events.length).toBeGreaterThan(3);
  });

  it('keeps a token given in a page URL in an HttpOnly SameSite=Strict cookie and redirects without it', async () => {
    const page = await call(server, 'GET', `/jobs/abc?x=1&token=${server.token}`, { token: null });
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/jobs/abc?x=1');
    const cookie = (page.headers['set-cookie'] as string[])[0]!;
    expect(cookie).toMatch(new RegExp(`^${TOKEN_COOKIE}=${server.token};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await call(server, 'GET', '/api/jobs', {
      token: null,
      headers: { Cookie: cookie.split(';')[0]! },
    });
    expect(withCookie.status).toBe(200);
    const wrong = await call(server, 'GET', '/?token=nope', { token: null });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('sends a browser with a wrong page token to the page without it, sets no cookie, keeps the API shut', async () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const wrong = await call(server, 'GET', '/jobs/abc?x=1&token=nope', {
      token: null,
      headers: { Accept: accept },
    });
    expect(wrong.status).toBe(302);
    expect(wrong.headers.location).toBe('/jobs/abc?x=1');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.headers['cache-control']).toBe('no-store');
    // The shell is the same static file for everyone: no token, no data in it.
    const shell = await call(server, 'GET', '/jobs/abc?x=1', {
      token: null,
      headers: { Accept: accept },
    });
    expect(shell.status).toBe(200);
    expect(shell.text).toContain('<title>studio</title>');
    expect(shell.text).not.toContain(server.token);
    // The API stays shut for that browser, with the wrong token or none.
    const attempts: Record<string, string>[] = [
      { Accept: 'application/json' },
      { Cookie: `${TOKEN_COOKIE}=nope` },
    ];
    for (const headers of attempts) {
      expect((await call(server, 'GET', '/api/jobs', { token: null, headers })).status).toBe(401);
    }
  });
});

describe('origins', () => {
  it('refuses API calls and WebSockets from foreign origins (403), even with the token', async () => {
    const foreign = await call<ApiError>(server, 'GET', '/api/jobs', {
      headers: { Origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN');
    const ownPort = await call(server, 'POST', '/api/compile', {
      body: { source: 'export default 1;' },
      headers: { Origin: `http://localhost:${server.port + 1}` },
    });
    expect(ownPort.status).toBe(403);
    expect(await streamRefusal(server, run.id, { origin: 'http://evil.example' })).toBe(403);
    expect(await streamRefusal(server, run.id, { origin: 'null' })).toBe(403);
    const own = await stream(server, run.id, { origin: `http://localhost:${server.port}` });
    expect(own.closeCode).toBe(1000);
    const sameHost = await call(server, 'GET', '/api/jobs', {
      headers: { Origin: `http://127.0.0.1:${server.port}` },
    });
    expect(sameHost.status).toBe(200);
  });
});

describe('shares', () => {
  it('serves a share snapshot without the token, and nothing else through the share id', async () => {
    const snapshot = await call<ShareSnapshot>(server, 'GET', `/api/shares/${share.id}`, {
      token: null,
    });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({ id: share.id, jobName: 'guarded', jobVersion: 1 });
    expect(snapshot.body.run?.summary.id).toBe(run.id);
    expect(snapshot.body.run?.events.some((e) => e.type === 'output')).toBe(true);
    expect(share.path).toBe(`/share/${share.id}`);
    expect(Buffer.from(share.id, 'base64url').length).toBeGreaterThanOrEqual(16);

    for (const [method, path] of [
      ['POST', `/api/shares/${share.id}`],
      ['PUT', `/api/shares/${share.id}`],
      ['DELETE', `/api/shares/${share.id}`],
      ['POST', `/api/shares/${share.id}/runs`],
      ['POST', `/api/jobs/${share.id}/runs`],
      ['PUT', `/api/jobs/${share.id}`],
      ['POST', `/api/runs/${share.id}/cancel`],
      ['GET', `/api/jobs/${job.id}`],
    ] as const) {
      const answer = await call(server, method, path, {
        token: null,
        body: { job: job.job, baseVersion: 1 },
      });
      expect(answer.status, `${method} ${path}`).toBe(401);
    }
    // With the token too, a share id is no job or run.
    expect((await call(server, 'POST', `/api/jobs/${share.id}/runs`, { body: {} })).status).toBe(
      404,
    );
    expect((await call(server, 'POST', `/api/runs/${share.id}/cancel`)).status).toBe(404);
    expect(
      (await call(server, 'GET', '/api/shares/AAAAAAAAAAAAAAAAAAAAAAAA', { token: null })).status,
    ).toBe(404);
    expect((await ok<RunRecord[]>(server, 'GET', `/api/jobs/${job.id}/runs`)).length).toBe(1);
  });
});

describe('limits and headers', () => {
  it('answers 413 PAYLOAD_TOO_LARGE to a JSON body over the limit', async () => {
    const answer = await call<ApiError>(server, 'POST', '/api/compile', {
      body: { source: `// ${'x'.repeat(2000)}` },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sets the security headers on pages and API answers', async () => {
    for (const path of ['/', '/api/health']) {
      const answer = await call(server, 'GET', path);
      const csp = answer.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'");
      expect(csp).not.toMatch(/\[::1\]/);
      expect(csp).toContain("worker-src 'self' blob:");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('serves the built web app without the token, with index.html for the app routes', async () => {
    for (const path of ['/', '/jobs/abc', '/share/xyz', '/new']) {
      const page = await call(server, 'GET', path, { token: null });
      expect(page.status, path).toBe(200);
      expect(page.text).toContain('<title>studio</title>');
    }
    const asset = await call(server, 'GET', '/assets/app-1234.js', { token: null });
    expect(asset.text).toBe('console.log(1);');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await call(server, 'GET', '/assets/missing.js', { token: null })).status).toBe(404);
  });
});

describe('binding', () => {
  it('refuses to listen beyond loopback without an explicit token', async () => {
    const other = tempHome();
    try {
      await expect(
        startServer({ host: '0.0.0.0', port: 0, home: other.home, logger: memoryLogger() }),
      ).rejects.toThrow(/^USAGE: refusing to listen on 0\.0\.0\.0 without an explicit token/);
    } finally {
      other.remove();
    }
  });
});
