import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { RecordBatch } from '@tfstream/codecs';
import { arrowFormat } from '@tfstream/codecs/arrow';
import type { TfstreamError } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from './address.js';
import type { Connection } from './connection.js';
import { connect } from './connection.js';
import { FRAME_PREFIX_BYTES, FrameDecoder, encodeFrame } from './frame.js';
import type { ListenOptions, Listener } from './listener.js';
import { listen } from './listener.js';
import type { Frame, Message } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';

const token = 'test-token-0123456789';
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** A listener that echoes every frame back on the same connection. */
async function echoServer(options: Partial<ListenOptions> = {}): Promise<Listener> {
  const listener = await listen({
    token,
    onConnection: (connection) => {
      void (async () => {
        for await (const { message, body } of connection) {
          await connection.send(message, body);
        }
      })().catch(() => {});
    },
    ...options,
  });
  open.push(listener);
  return listener;
}

/** The server side of the next connection to `listener`. */
async function serverSide(options: Partial<ListenOptions> = {}): Promise<{
  listener: Listener;
  accepted: Promise<Connection>;
}> {
  let accept!: (connection: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => (accept = resolve));
  const listener = await listen({ token, onConnection: (c) => accept(c), ...options });
  open.push(listener);
  return { listener, accepted };
}

async function client(address: string, options = {}): Promise<Connection> {
  const connection = await connect(address, { token, ...options });
  open.push(connection);
  return connection;
}

/** A plain TCP socket to `address`, and the frames it receives. */
async function rawSocket(address: string): Promise<{
  socket: Socket;
  frames: Frame[];
  closed: Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
}> {
  const { host, port } = parseAddress(address);
  const socket = netConnect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  open.push({ close: async () => void socket.destroy() });
  return {
    socket,
    frames,
    closed,
    write: (bytes) =>
      new Promise((resolve, reject) =>
        socket.write(bytes, (error) => (error ? reject(error) : resolve())),
      ),
  };
}

const hello: Message = { kind: 'hello', version: PROTOCOL_VERSION, token };

describe('Connection', () => {
  it('round-trips messages and an Arrow IPC batch body across a real socket', async () => {
    const listener = await echoServer();
    const connection = await client(listener.address);
    const schema = defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'x', type: 'float32', shape: [2] },
      { name: 'label', type: 'string' },
    ]);
    const rows = [
      { id: 1n, x: [0.5, 1.5], label: 'a' },
      { id: 2n, x: [2.5, -3], label: 'b' },
    ];
    const encoder = arrowFormat.createEncoder(schema);
    const ipc = Buffer.concat([
      encoder.start(),
      encoder.encode(RecordBatch.fromRows(schema, rows)),
      encoder.end(),
    ]);

    await connection.send({ kind: 'metric', name: 'loss', value: 0.25, step: 3 });
    await connection.send({ kind: 'data', channel: 'batches', seq: 1, meta: { rows: 2 } }, ipc);
    const metric = await connection.read();
    const data = await connection.read();

    expect(metric).toEqual({ message: { kind: 'metric', name: 'loss', value: 0.25, step: 3 } });
    expect(data?.message).toEqual({ kind: 'data', channel: 'batches', seq: 1, meta: { rows: 2 } });
    const decoded: RecordBatch[] = [];
    async function* once(): AsyncGenerator<Uint8Array> {
      yield data!.body!;
    }
    for await (const batch of arrowFormat.decode(once(), { schema })) {
      decoded.push(batch);
    }
    expect(decoded.flatMap((batch) => batch.toObjects())).toEqual(rows);
  });

  it('writes frames sent together, or coalesced within a turn, in order and in one write', async () => {
    let server!: Connection;
    const listener = await listen({ token, onConnection: (c) => (server = c) });
    open.push(listener);
    const raw = await rawSocket(listener.address);
    const chunks: number[] = [];
    raw.socket.on('data', (chunk: Buffer) => chunks.push(chunk.length));
    await raw.write(Buffer.concat(encodeFrame(hello)));
    await expect.poll(() => raw.frames.length).toBe(1);
    chunks.length = 0;

    await server.sendFrames([
      { message: { kind: 'credit', channel: 'input', credit: 2 } },
      { message: { kind: 'data', channel: 'output', seq: 1 }, body: new Uint8Array([1, 2, 3]) },
    ]);
    await expect.poll(() => raw.frames.length).toBe(3);
    expect(chunks).toHaveLength(1);

    chunks.length = 0;
    for (let seq = 2; seq <= 5; seq++) {
      void server.send({ kind: 'data', channel: 'input', seq }, new Uint8Array([seq]), {
        coalesce: true,
      });
    }
    await expect.poll(() => raw.frames.length).toBe(7);
    expect(chunks).toHaveLength(1);
    expect(raw.frames.slice(1).map((frame) => [frame.message, frame.body?.[0]])).toEqual([
      [{ kind: 'credit', channel: 'input', credit: 2 }, undefined],
      [{ kind: 'data', channel: 'output', seq: 1 }, 1],
      ...[2, 3, 4, 5].map((seq) => [{ kind: 'data', channel: 'input', seq }, seq]),
    ]);
  });

  it('reassembles frames that a client writes one byte at a time', async () => {
    const listener = await echoServer();
    const raw = await rawSocket(listener.address);
    const bytes = Buffer.concat([
      ...encodeFrame(hello),
      ...encodeFrame({ kind: 'data', channel: 'c', seq: 9 }, new Uint8Array([7, 8, 9])),
    ]);
    for (let i = 0; i < bytes.length; i++) {
      await raw.write(bytes.subarray(i, i + 1));
    }
    await expect.poll(() => raw.frames.length).toBe(2);
    expect(raw.frames[0]?.message).toEqual({ kind: 'welcome', version: PROTOCOL_VERSION });
    expect(raw.frames[1]?.message).toEqual({ kind: 'data', channel: 'c', seq: 9 });
    expect([...raw.frames[1]!.body!]).toEqual([7, 8, 9]);
  });

  it('closes the connection on a hostile frame length without allocating the frame', async () => {
    const { listener, accepted } = await serverSide({ maxFrameBytes: 1024 * 1024 });
    const raw = await rawSocket(listener.address);
    await raw.write(Buffer.concat(encodeFrame(hello)));
    const server = await accepted;
    const before = process.memoryUsage().arrayBuffers;
    const hostile = Buffer.alloc(FRAME_PREFIX_BYTES);
    hostile.writeUInt32LE(32, 0);
    hostile.writeUInt32LE(0xffff_ffff, 4);
    await raw.write(hostile);

    await expect(server.read()).rejects.toThrow(
      /^PROTOCOL_ERROR: byte offset \d+: from 127\.0\.0\.1:\d+: a frame of 4294967327 bytes exceeds the limit of 1048576 bytes/,
    );
    await raw.closed;
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect(raw.frames.at(-1)?.message).toMatchObject({ kind: 'error', code: 'PROTOCOL_ERROR' });
    expect(server.closed).toBe(true);
  });

  it('refuses a wrong token with AUTH_FAILED and closes the connection', async () => {
    const refused: TfstreamError[] = [];
    const { listener, accepted } = await serverSide({ onRefused: (error) => refused.push(error) });
    await expect(connect(listener.address, { token: 'not-the-token' })).rejects.toThrow(
      /^AUTH_FAILED: 127\.0\.0\.1:\d+ refused the connection: AUTH_FAILED: .* sent a wrong auth token/,
    );
    expect(refused.map((error) => error.code)).toEqual(['AUTH_FAILED']);
    // The right token still gets in.
    await client(listener.address);
    await expect(accepted).resolves.toBeDefined();
  });

  it('refuses another protocol version and a first frame that is not a hello', async () => {
    const listener = await echoServer();
    const wrongVersion = await rawSocket(listener.address);
    await wrongVersion.write(Buffer.concat(encodeFrame({ ...hello, version: 99 })));
    await wrongVersion.closed;
    expect(wrongVersion.frames.map((frame) => frame.message)).toEqual([
      {
        kind: 'error',
        code: 'PROTOCOL_ERROR',
        message: `PROTOCOL_ERROR: protocol version 99 is not supported; this side speaks version ${PROTOCOL_VERSION}`,
      },
    ]);
    const noHello = await rawSocket(listener.address);
    await noHello.write(Buffer.concat(encodeFrame({ kind: 'heartbeat', at: 1 })));
    await noHello.closed;
    expect(noHello.frames[0]?.message).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('the first frame must be "hello"'),
    });
  });

  it('names the role it reached and refuses an unexpected one', async () => {
    const listener = await echoServer({ as: { role: 'ps', index: 0, attempt: 2 } });
    const connection = await client(listener.address, { expect: { role: 'ps', index: 0 } });
    expect(connection.peer).toEqual({ role: 'ps', index: 0, attempt: 2 });
    await expect(
      connect(listener.address, { token, expect: { role: 'worker', index: 0 } }),
    ).rejects.toThrow(/^PROTOCOL_ERROR: .* is ps 0, not worker 0; the cluster spec is out of date/);
  });

  it('makes a fast sender wait for a slow reader (backpressure)', async () => {
    const { listener, accepted } = await serverSide({ highWaterFrames: 1 });
    const connection = await client(listener.address);
    const server = await accepted;
    const body = new Uint8Array(1024 * 1024);
    const total = 64;
    let sent = 0;
    const sending = (async () => {
      for (let seq = 1; seq <= total; seq++) {
        await connection.send({ kind: 'data', channel: 'bulk', seq }, body);
        sent++;
      }
    })();
    // Nothing reads yet: the sender must stall with the socket buffers full, not queue 64 MiB.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sent).toBeLessThan(total);
    const seqs: number[] = [];
    for (let i = 0; i < total; i++) {
      const frame = await server.read();
      if (frame?.message.kind === 'data') {
        seqs.push(frame.message.seq);
      }
    }
    await sending;
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('ends the reader when the remote side closes, and closes idempotently', async () => {
    const { listener, accepted } = await serverSide();
    const connection = await client(listener.address);
    const server = await accepted;
    await connection.send({ kind: 'log', level: 'info', message: 'last words' });
    await Promise.all([connection.close(), connection.close()]);
    await connection.close();
    const received: Frame[] = [];
    for await (const frame of server) {
      received.push(frame);
    }
    expect(received.map((frame) => frame.message.kind)).toEqual(['log']);
    await expect(connection.send({ kind: 'heartbeat', at: 1 })).rejects.toThrow(
      /^CONNECTION_CLOSED: cannot send "heartbeat" to 127\.0\.0\.1:\d+: the connection is closed/,
    );
  });

  it('reports CONNECTION_CLOSED when nothing listens at the address', async () => {
    const listener = await echoServer();
    const address = listener.address;
    await listener.close();
    await expect(connect(address, { token })).rejects.toThrow(
      /^CONNECTION_CLOSED: could not connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  });

  it('rejects a read that times out, and a malformed address', async () => {
    const { listener, accepted } = await serverSide();
    await client(listener.address);
    const server = await accepted;
    await expect(server.read({ timeoutMs: 20 })).rejects.toThrow(/no frame from .* within 20 ms/);
    await expect(connect('localhost', { token })).rejects.toThrow(
      /^PROTOCOL_ERROR: "localhost" is not a "host:port" address/,
    );
  });
});
