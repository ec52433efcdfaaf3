import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { TfstreamError } from '@tfstream/schema';
import { formatAddress, parseAddress } from './address.js';
import type { FrameLimits } from './frame.js';
import { FrameDecoder, encodeFrame } from './frame.js';
import type { Frame, Message, RoleIdentity } from './messages.js';
import { PROTOCOL_VERSION, roleLabel } from './messages.js';

/** Options of a {@link Connection}: frame limits and read-side buffering. */
export interface ConnectionOptions extends FrameLimits {
  /** Received frames held before the socket is paused (TCP backpressure); default 64. */
  readonly highWaterFrames?: number;
}

/** Options of {@link Connection.send}. */
export interface SendOptions {
  /**
   * Let the frame wait until the end of this turn of the event loop, so that it leaves in one
   * socket write with the frames sent after it in the same turn (a burst of input batches).
   */
  readonly coalesce?: boolean;
}

/** Options of {@link Connection.read}. */
export interface ReadOptions {
  /** Reject with `PROTOCOL_ERROR` when no frame arrives within this many milliseconds. */
  readonly timeoutMs?: number;
}

interface Waiter {
  resolve(frame: Frame | undefined): void;
  reject(error: Error): void;
}

/** Frames up to this size are written as one buffer (head and body copied together). */
const SMALL_FRAME_BYTES = 16 * 1024;

/** How long `close()` lets buffered frames flush before it destroys the socket. */
const CLOSE_GRACE_MS = 1000;

/**
 * One framed, message-typed TCP connection of the runtime protocol (see `frame.ts` for the
 * wire format). Writes honour TCP backpressure; reads are an async iterator of frames that pauses
 * the socket while the reader falls behind. A protocol violation by the remote side (an
 * oversized or malformed frame) sends it an `error` frame, closes the connection and makes the
 * reader throw `PROTOCOL_ERROR`.
 *
 * Instances come from {@link connect} and from a {@link Listener}, which both run the `hello`
 * handshake first; the constructor wraps an already connected socket without one.
 *
 * @example
 * ```ts
 * const connection = await connect('127.0.0.1:2222', { token });
 * await connection.send({ kind: 'data', channel: 'batches', seq: 1 }, arrowBytes);
 * for await (const { message, body } of connection) {
 *   if (message.kind === 'data') console.log(message.seq, body?.byteLength);
 * }
 * await connection.close();
 * ```
 */
export class Connection implements AsyncIterable<Frame> {
  /** `host:port` of the remote end. */
  readonly remoteAddress: string;
  /** The remote role, when the handshake named one (peer connections); set by the handshake. */
  peer: RoleIdentity | undefined;
  /** Resolves once the socket is fully closed, whoever closed it. */
  readonly whenClosed: Promise<void>;

  readonly #socket: Socket;
  readonly #limits: FrameLimits;
  readonly #decoder: FrameDecoder;
  readonly #highWater: number;
  readonly #queue: Frame[] = [];
  readonly #waiters: Waiter[] = [];
  #ended = false;
  #socketClosed = false;
  #failure: TfstreamError | undefined;
  #closing: Promise<void> | undefined;
  #drain: Promise<void> | undefined;
  #corked = false;

  constructor(socket: Socket, options: ConnectionOptions = {}) {
    this.#socket = socket;
    this.#limits = options;
    this.#decoder = new FrameDecoder(options);
    this.#highWater = options.highWaterFrames ?? 64;
    this.remoteAddress = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    this.whenClosed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#socketClosed = true;
        this.#ended = true;
        this.#wake();
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', (error: Error) => {
      this.#failure ??= new TfstreamError(
        'CONNECTION_CLOSED',
        `connection to ${this.remoteAddress} failed: ${error.message}`,
        {},
        { cause: error },
      );
      this.#wake();
    });
  }

  /** Whether `close()` was called or the socket has closed; `send()` then rejects. */
  get closed(): boolean {
    return this.#closing !== undefined || this.#socketClosed || this.#socket.destroyed;
  }

  /**
   * Writes one frame. Resolves at once while the socket buffer has room, else when it has
   * drained, so a fast sender waits for a slow receiver instead of filling memory.
   *
   * @throws `CONNECTION_CLOSED` when the connection is closed (also while waiting to drain);
   * `PROTOCOL_ERROR` when the frame exceeds the limits.
   */
  async send(message: Message, body?: Uint8Array, options: SendOptions = {}): Promise<void> {
    this.#assertOpen(message);
    if (options.coalesce === true && !this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    if (!this.#write(this.#encode(message, body))) {
      await this.#drained(message);
    }
  }

  /**
   * Writes several frames back to back with one system call (a credit grant and an output, say),
   * resolving as {@link send} does. Every frame is checked before any is written.
   *
   * @throws as {@link send}.
   */
  async sendFrames(frames: readonly Frame[]): Promise<void> {
    if (frames.length === 0) {
      return;
    }
    for (const frame of frames) {
      this.#assertOpen(frame.message);
    }
    const chunks = frames.flatMap((frame) => this.#encode(frame.message, frame.body));
    if (!this.#write(chunks)) {
      await this.#drained(frames[frames.length - 1]!.message);
    }
  }

  /** A frame's chunks: one buffer for a small frame (head and body copied together). */
  #encode(message: Message, body: Uint8Array | undefined): Buffer[] {
    const chunks = encodeFrame(message, body, this.#limits);
    if (chunks.length === 2 && chunks[0]!.length + chunks[1]!.length <= SMALL_FRAME_BYTES) {
      // One copy of a small frame costs less than a second trip through the socket stream.
      return [Buffer.concat(chunks)];
    }
    return chunks;
  }

  /** Writes chunks as one socket write; false when the socket buffer is full. */
  #write(chunks: readonly Buffer[]): boolean {
    if (chunks.length === 1) {
      return this.#socket.write(chunks[0]!);
    }
    // Corked, the chunks leave in one writev rather than one write each.
    this.#socket.cork();
    let room = true;
    for (const chunk of chunks) {
      room = this.#socket.write(chunk);
    }
    this.#socket.uncork();
    return room;
  }

  /**
   * The next frame, or `undefined` once the remote side has ended the connection and every
   * received frame was read.
   *
   * @throws `PROTOCOL_ERROR` when the remote side broke the protocol or `timeoutMs` passed;
   * `CONNECTION_CLOSED` when the socket failed (reset).
   */
  read(options: ReadOptions = {}): Promise<Frame | undefined> {
    const frame = this.#queue.shift();
    if (frame !== undefined) {
      if (this.#queue.length < this.#highWater && this.#socket.isPaused()) {
        this.#socket.resume();
      }
      return Promise.resolve(frame);
    }
    if (this.#failure !== undefined) {
      return Promise.reject(this.#failure);
    }
    if (this.#ended) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) {
            this.#waiters.splice(at, 1);
          }
          reject(
            new TfstreamError(
              'PROTOCOL_ERROR',
              `no frame from ${this.remoteAddress} within ${options.timeoutMs} ms`,
            ),
          );
        }, options.timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  /** Reads frames until the remote side ends; breaking out of the loop keeps the connection open. */
  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    // Not an async generator: this runs once per frame, and a generator costs several promises.
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    return {
      next: () =>
        this.read().then((frame): IteratorResult<Frame> =>
          frame === undefined ? done : { done: false, value: frame },
        ),
      return: () => Promise.resolve(done),
    };
  }

  /**
   * Flushes what was sent, ends the connection and resolves when the socket is closed (at most
   * about a second later: then it is destroyed). Idempotent; frames already received can still
   * be read.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Sends an `error` frame if the socket still takes one, then closes. */
  async fail(error: TfstreamError): Promise<void> {
    if (!this.closed && this.#socket.writable) {
      this.#socket.write(
        encodeFrame({ kind: 'error', code: error.code, message: error.message }).at(0)!,
      );
    }
    await this.close();
  }

  async #shutdown(): Promise<void> {
    if (this.#socketClosed) {
      return;
    }
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    await this.whenClosed;
    clearTimeout(timer);
  }

  #receive(chunk: Buffer): void {
    if (this.#failure !== undefined) {
      return;
    }
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      const failure =
        error instanceof TfstreamError
          ? error
          : new TfstreamError('PROTOCOL_ERROR', String(error), {}, { cause: error });
      this.#failure = new TfstreamError(
        failure.code,
        `from ${this.remoteAddress}: ${failure.detail}`,
        failure.location,
        { cause: failure.cause },
      );
      // Later bytes are dropped unread (see the guard above) until the socket closes.
      void this.fail(this.#failure);
      this.#wake();
      return;
    }
    for (const frame of frames) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        waiter.resolve(frame);
      } else {
        this.#queue.push(frame);
      }
    }
    if (this.#queue.length >= this.#highWater) {
      this.#socket.pause();
    }
  }

  /** Settles waiting readers after an end, a close or a failure. */
  #wake(): void {
    if (this.#queue.length > 0) {
      return;
    }
    for (const waiter of this.#waiters.splice(0)) {
      if (this.#failure !== undefined) {
        waiter.reject(this.#failure);
      } else {
        waiter.resolve(undefined);
      }
    }
  }

  #assertOpen(message: Message): void {
    if (this.closed || !this.#socket.writable) {
      throw new TfstreamError(
        'CONNECTION_CLOSED',
        `cannot send "${message.kind}" to ${this.remoteAddress}: the connection is closed`,
      );
    }
  }

  #drained(message: Message): Promise<void> {
    this.#drain ??= new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.#socket.off('drain', onDrain);
        reject(
          new TfstreamError(
            'CONNECTION_CLOSED',
            `the connection to ${this.remoteAddress} closed before "${message.kind}" was flushed`,
          ),
        );
      };
      this.#socket.once('drain', onDrain);
      this.#socket.once('close', onClose);
    }).finally(() => {
      this.#drain = undefined;
    });
    return this.#drain;
  }
}

/** Options of {@link connect}. */
export interface ConnectOptions extends ConnectionOptions {
  /** The run's auth token, checked by the accepting side. */
  readonly token: string;
  /** Who is calling, when a role connects to a peer. */
  readonly from?: RoleIdentity;
  /** The role expected at `address`; another one (a reused port) fails the handshake. */
  readonly expect?: { readonly role: RoleIdentity['role']; readonly index: number };
  /** Milliseconds for TCP connect plus handshake; default 5000. */
  readonly timeoutMs?: number;
}

/**
 * Opens a connection to `address` (`host:port`) and runs the handshake: sends `hello` with the
 * protocol version and token, and waits for `welcome`.
 *
 * @throws `CONNECTION_CLOSED` when nothing listens there; `AUTH_FAILED` when the token is
 * refused; `PROTOCOL_ERROR` for a version mismatch, an unexpected role or a handshake timeout.
 */
export async function connect(address: string, options: ConnectOptions): Promise<Connection> {
  const { host, port } = parseAddress(address);
  const timeoutMs = options.timeoutMs ?? 5000;
  const socket = netConnect({ host, port });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new TfstreamError(
          'CONNECTION_CLOSED',
          `could not connect to ${address} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(
        new TfstreamError(
          'CONNECTION_CLOSED',
          `could not connect to ${address}: ${error.message}`,
          {},
          { cause: error },
        ),
      );
    };
    socket.once('error', onError);
  });
  socket.setNoDelay(true);
  const connection = new Connection(socket, options);
  try {
    await connection.send({
      kind: 'hello',
      version: PROTOCOL_VERSION,
      token: options.token,
      ...(options.from === undefined ? {} : { from: options.from }),
    });
    const answer = await connection.read({ timeoutMs });
    if (answer === undefined) {
      throw new TfstreamError(
        'CONNECTION_CLOSED',
        `${address} closed the connection during the handshake`,
      );
    }
    const { message } = answer;
    if (message.kind === 'error') {
      throw new TfstreamError(
        message.code === 'AUTH_FAILED' ? 'AUTH_FAILED' : 'PROTOCOL_ERROR',
        `${address} refused the connection: ${message.message}`,
      );
    }
    if (message.kind !== 'welcome') {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `${address} answered the hello with "${message.kind}" instead of "welcome"`,
      );
    }
    const expect = options.expect;
    if (
      expect !== undefined &&
      (message.as === undefined ||
        message.as.role !== expect.role ||
        message.as.index !== expect.index)
    ) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        `${address} is ${message.as === undefined ? 'not a role' : roleLabel(message.as)}, ` +
          `not ${roleLabel(expect)}; the cluster spec is out of date`,
      );
    }
    connection.peer = message.as;
    return connection;
  } catch (error) {
    await connection.close();
    throw error;
  }
}
