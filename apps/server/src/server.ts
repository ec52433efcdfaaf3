// `startServer`: the studio's HTTP server (Express) and run streams (WebSocket, same port), over
// the data folder's database; runs in their own processes.
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import express from 'express';
import type { ApiError } from '@tfstream/studio-api';
import { dataApi } from './api/data-api.js';
import { jobsApi } from './api/jobs-api.js';
import { runsApi } from './api/runs-api.js';
import { sharesApi } from './api/shares-api.js';
import type { ServerOptions } from './config.js';
import { resolveConfig } from './config.js';
import { apiGuard, ownOrigins, pageTokenFlow, refusal } from './http/auth.js';
import type { HttpError } from './http/errors.js';
import { badRequest, errorHandler, notFound } from './http/errors.js';
import { securityHeaders, staticSite } from './http/static-site.js';
import { RunManager } from './runs/run-manager.js';
import { RunStreams } from './runs/run-streams.js';
import { Store } from './store/store.js';
import { loadTemplates } from './templates/templates.js';

/** A started server. */
export interface StudioServer {
  /** The URL to open, with the token: `http://127.0.0.1:8710/?token=…`. */
  readonly url: string;
  /** The server's address without the token: `http://127.0.0.1:8710`. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** The data folder. */
  readonly home: string;
  /** Cancels the runs going (they end `cancelled`), closes sockets and the database. Idempotent. */
  close(): Promise<void>;
}

const RUN_STREAM = /^\/api\/runs\/([^/]+)\/stream$/;

function rejectUpgrade(socket: Duplex, error: HttpError): void {
  const body: ApiError = { error: { code: error.code, message: error.message } };
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * Starts the studio server: opens (or creates) the data folder and its database, marks runs a
 * previous server left unended as failed, loads the templates, and listens.
 *
 * @throws TfstreamError `USAGE` for settings that would be unsafe (a non-loopback host without a
 *   token); the listen error (e.g. `EADDRINUSE`)
 *
 * @example
 * ```ts
 * const server = await startServer({ port: 0, home: '/tmp/studio' });
 * console.log(server.url); // http://127.0.0.1:41234/?token=9f…
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions = {}): Promise<StudioServer> {
  const config = resolveConfig(options);
  const { logger, token } = config;
  mkdirSync(config.home, { recursive: true });
  const store = Store.open(join(config.home, 'studio.db'));
  let runs: RunManager | undefined;
  let streams: RunStreams | undefined;
  try {
    const interrupted = RunManager.recoverInterrupted(store);
    if (interrupted > 0) {
      logger.warn(
        `${interrupted} run(s) of a previous server were marked failed (server restarted)`,
      );
    }
    const templates = await loadTemplates(config.examplesDir, config.home, logger);
    streams = new RunStreams({ store, runs: () => runs! });
    const live = streams;
    runs = new RunManager({ store, config, onEvents: (runId) => live.notify(runId) });
    const manager = runs;

    const server = createServer();
    server.requestTimeout = 0; // Uploads may be slow; idle sockets still time out.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const origins = ownOrigins(config.host, port, config.allowOrigins);

    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(securityHeaders(origins));
    const json = express.json({ limit: config.maxBodyBytes });
    const rawRoutes = /^\/(uploads|runs\/[^/]+\/records)$/;
    const apiHeaders: RequestHandler = (req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      if (rawRoutes.test(req.path)) {
        next();
      } else {
        json(req, res, next);
      }
    };
    const ctx = { store, runs: manager, templates, config };
    app.use('/api', apiGuard(token, origins), apiHeaders);
    app.use('/api', jobsApi(ctx), runsApi(ctx), dataApi(ctx), sharesApi(ctx));
    app.use('/api', (req) => {
      throw notFound(`the route ${req.method} /api${req.path}`);
    });
    app.use(pageTokenFlow(token));
    app.use(staticSite(config.webDist));
    app.use((req, res) => {
      res.status(404).type('text/plain').send(`${req.path} does not exist\n`);
    });
    app.use(errorHandler(logger));
    server.on('request', app);

    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const url = new URL(request.url ?? '/', 'http://studio.invalid');
      const match = RUN_STREAM.exec(url.pathname);
      if (match === null) {
        rejectUpgrade(socket, notFound(`the WebSocket ${url.pathname}`));
        return;
      }
      const refused = refusal(request, token, origins, {
        query: url.searchParams,
        tokenRequired: true,
      });
      if (refused !== undefined) {
        rejectUpgrade(socket, refused);
        return;
      }
      const runId = decodeURIComponent(match[1]!);
      const after = Number(url.searchParams.get('after') ?? '0');
      if (!Number.isSafeInteger(after) || after < 0) {
        rejectUpgrade(socket, badRequest('after must be a whole number from 0', 'after'));
        return;
      }
      if (store.runSummary(runId) === undefined) {
        rejectUpgrade(socket, notFound(`run ${runId}`));
        return;
      }
      live.accept(request, socket, head, runId, after);
    });

    const shown = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const origin = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
    let closing: Promise<void> | undefined;
    return {
      url: `${origin}/?token=${encodeURIComponent(token)}`,
      origin,
      port,
      token,
      home: config.home,
      close: () => {
        closing ??= (async () => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          await manager.close();
          live.close();
          server.closeAllConnections();
          await closed;
          store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await runs?.close();
    streams?.close();
    store.close();
    throw error;
  }
}
