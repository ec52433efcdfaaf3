import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { TfstreamError } from '@tfstream/schema';
import { formatAddress } from './address.js';
import type { ConnectionOptions } from './connection.js';
import { Connection } from './connection.js';
import type { HelloMessage, RoleIdentity } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';

/** Options of {@link listen}. */
export interface ListenOptions extends ConnectionOptions {
  /** Interface to bind; default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** Port to bind; default 0, any free port. */
  readonly port?: number;
  /** The run's auth token; a `hello` with another one is refused with `AUTH_FAILED`. */
  readonly token: string;
  /** The role this listener belongs to, announced in `welcome` so callers can check it. */
  readonly as?: RoleIdentity;
  /** Milliseconds a new connection has to send its `hello`; default 5000. */
  readonly handshakeTimeoutMs?: number;
  /** Called with every connection that passed the handshake. */
  readonly onConnection: (connection: Connection, hello: HelloMessage) => void;
  /** Called when a connection is refused (bad token, bad version, no hello in time). */
  readonly onRefused?: (error: TfstreamError, remoteAddress: string) => void;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * A bound TCP listener of the runtime protocol. It owns the connections it accepted: `close()`
 * closes them too.
 */
export class Listener {
  /** The bound interface. */
  readonly host: string;
  /** The bound port (the one the OS chose when 0 was asked). */
  readonly port: number;
  /** `host:port`, the form a cluster spec carries. */
  readonly address: string;

  readonly #server: Server;
  readonly #options: ListenOptions;
  readonly #token: Buffer;
  readonly #connections = new Set<Connection>();
  #closing: Promise<void> | undefined;

  /** @internal Use {@link listen}. */
  constructor(server: Server, options: ListenOptions) {
    const bound = server.address() as AddressInfo;
    this.#server = server;
    this.#options = options;
    this.#token = digest(options.token);
    this.host = bound.address;
    this.port = bound.port;
    this.address = formatAddress(bound.address, bound.port);
    server.on('connection', (socket) => void this.#accept(socket));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Stops accepting and closes every accepted connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      await Promise.all([...this.#connections].map((connection) => connection.close()));
      await closed;
    })();
    return this.#closing;
  }

  async #accept(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    const connection = new Connection(socket, this.#options);
    if (this.closed) {
      await connection.close();
      return;
    }
    this.#connections.add(connection);
    void connection.whenClosed.then(() => this.#connections.delete(connection));
    let hello: HelloMessage;
    try {
      hello = await this.#handshake(connection);
    } catch (error) {
      const refusal =
        error instanceof TfstreamError
          ? error
          : new TfstreamError('PROTOCOL_ERROR', String(error), {}, { cause: error });
      await connection.fail(refusal);
      this.#options.onRefused?.(refusal, connection.remoteAddress);
      return;
    }
    if (this.closed) {
      await connection.close();
      return;
    }
    connection.peer = hello.from;
    this.#options.onConnection(connection, hello);
  }

  async #handshake(connection: Connection): Promise<HelloMessage> {
    const timeoutMs = this.#options.handshakeTimeoutMs ?? 5000;
    const first = await connection.read({ timeoutMs });
    if (first === undefined) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `${connection.remoteAddress} closed the connection before its hello`,
      );
    }
    const hello = first.message;
    if (hello.kind !== 'hello') {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `the first frame must be "hello", got "${hello.kind}" from ${connection.remoteAddress}`,
      );
    }
    if (hello.version !== PROTOCOL_VERSION) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `protocol version ${hello.version} is not supported; this side speaks version ${PROTOCOL_VERSION}`,
      );
    }
    if (!timingSafeEqual(digest(hello.token), this.#token)) {
      throw new TfstreamError(
        'AUTH_FAILED',
        `${connection.remoteAddress} sent a wrong auth token; use the token of this run`,
      );
    }
    const as = this.#options.as;
    await connection.send({
      kind: 'welcome',
      version: PROTOCOL_VERSION,
      ...(as === undefined ? {} : { as }),
    });
    return hello;
  }
}

/**
 * Binds a listener of the runtime protocol (default `127.0.0.1`, any free port) and resolves
 * once it is bound; `listener.address` is the `host:port` to hand out.
 *
 * @example
 * ```ts
 * const listener = await listen({
 *   token,
 *   onConnection: async (connection) => {
 *     for await (const frame of connection) await connection.send(frame.message, frame.body);
 *   },
 * });
 * console.log(listener.address); // 127.0.0.1:40321
 * ```
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    throw new TfstreamError(
      'IO_ERROR',
      `cannot listen on ${formatAddress(options.host ?? '127.0.0.1', options.port ?? 0)}: ${error.message}`,
      {},
      { cause: error },
    );
  });
  return new Listener(server, options);
}
