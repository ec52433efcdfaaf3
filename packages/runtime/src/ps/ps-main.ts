// The parameter-server role process. It runs no user code: it holds its shard of every model's
// variables and answers the workers' ParameterClient over peer connections.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TfstreamError, isTfstreamError } from '@tfstream/schema';
import { initEngine } from '@tfstream/sdk';
import type { EngineOptions } from '@tfstream/sdk';
import type { Connection } from '../protocol/index.js';
import { roleLabel } from '../protocol/index.js';
import type { RoleHandle } from '../role/index.js';
import { connectRole } from '../role/index.js';
import { checkpointDir } from './checkpoint-file.js';
import { ParameterServer } from './parameter-server.js';
import type { PsErrorResponse } from './ps-protocol.js';
import { PS_CHANNEL, RUN_ENV, parsePsRequest, psMessage } from './ps-protocol.js';

/** Options of {@link serveParameterServer}. */
export interface ParameterServerRoleOptions {
  /** The run folder; checkpoints go to `<runDir>/checkpoints/` (`checkpointDir`). None: memory only. */
  readonly runDir?: string;
  /** How to start TensorFlow.js; default `initEngine()`'s auto choice. */
  readonly engine?: EngineOptions;
}

/**
 * Serves this role as parameter server `role.index`: starts the engine, restores the committed
 * checkpoints when this is a restarted process (`attempt > 1`), answers every worker connection,
 * and disposes the shard on shutdown. Resolves with the server once it serves.
 *
 * @example
 * ```ts
 * const role = await connectRole();
 * if (role.role === 'ps') await serveParameterServer(role, { runDir: process.env.TFSTREAM_RUN_DIR });
 * ```
 */
export async function serveParameterServer(
  role: RoleHandle,
  options: ParameterServerRoleOptions = {},
): Promise<ParameterServer> {
  if (role.role !== 'ps') {
    throw new TfstreamError('USAGE', `${roleLabel(role)} is not a parameter server`);
  }
  const engine = await initEngine(options.engine);
  const serverOptions = {
    shard: role.index,
    workers: role.cluster.worker.length,
    attempt: role.attempt,
    ...(options.runDir === undefined ? {} : { checkpointDir: checkpointDir(options.runDir) }),
    log: (level: 'info' | 'warn', message: string) => void role.log(level, message),
  };
  const server =
    role.attempt > 1
      ? await ParameterServer.restore(serverOptions)
      : new ParameterServer(serverOptions);
  void role.log(
    'info',
    `ps ${role.index} (attempt ${role.attempt}) serves ${role.cluster.worker.length} worker(s) on ${engine.backend}`,
  );
  role.onShutdown(() => server.dispose());
  role.onPeer((connection) => void serveConnection(server, connection));
  return server;
}

async function serveConnection(server: ParameterServer, connection: Connection): Promise<void> {
  const worker = connection.peer?.role === 'worker' ? connection.peer.index : undefined;
  try {
    for await (const { message, body } of connection) {
      if (message.kind !== 'data' || message.channel !== PS_CHANNEL) {
        continue;
      }
      // Requests are answered as they complete: a sync push waits for the other workers while
      // the same connection may carry more requests.
      void (async () => {
        try {
          if (worker === undefined) {
            throw new TfstreamError('PROTOCOL_ERROR', 'only workers talk to parameter servers');
          }
          const answer = await server.handle(parsePsRequest(message), body, worker);
          await connection.send(psMessage(message.seq, answer.response), answer.body);
        } catch (error) {
          const response: PsErrorResponse = {
            op: 'error',
            code: isTfstreamError(error) ? error.code : 'SESSION_ERROR',
            message: isTfstreamError(error) ? error.detail : String(error),
          };
          await connection.send(psMessage(message.seq, response)).catch(() => {});
        }
      })();
    }
  } catch {
    // The worker went away; its requests die with the connection.
  }
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) {
    return false;
  }
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const role = await connectRole();
  const runDir = process.env[RUN_ENV.runDir];
  await serveParameterServer(role, runDir === undefined ? {} : { runDir });
}
