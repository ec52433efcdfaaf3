// One WebSocket per open run (`/api/runs/:runId/stream?after=<seq>`). Every socket reads the
// run's stored events after the last seq it sent, in pages, each ~50 ms tick: a client that
// reconnects with `after` misses nothing and sees nothing twice, and a slow client never makes
// the server buffer more than a page or two (it is closed, and resumes, when it falls too far).
// A page is one frame, and small (64 KiB): a browser parses and applies each frame as one task,
// so a replay of thousands of rows arrives as many short tasks instead of one long one.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { EndFrame, HelloFrame } from '@tfstream/studio-api';
import type { Store } from '../store/store.js';
import type { RunManager } from './run-manager.js';

/** Options of {@link RunStreams}. */
export interface RunStreamsOptions {
  readonly store: Store;
  readonly runs: () => RunManager;
  /** How often sockets are fed, in ms; default 50. */
  readonly tickMs?: number;
  /** A socket is fed while less than this is buffered for it; default 1 MiB. */
  readonly lowWaterBytes?: number;
  /** A socket with more than this buffered is dropped at once; default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** A socket that took nothing (buffer above the low water) for this long is dropped; 30 s. */
  readonly stallMs?: number;
  /** Ping interval; a socket that did not answer the previous ping is dropped; default 30 s. */
  readonly heartbeatMs?: number;
  /**
   * Events of one `events` frame stop once they reach this many bytes of JSON; default 64 KiB.
   * An event larger than that goes alone.
   */
  readonly maxFrameBytes?: number;
  /** At most this many events per frame; default 500. */
  readonly maxFrameEvents?: number;
}

interface Client {
  readonly ws: WebSocket;
  readonly runId: string;
  /** Last seq sent. */
  sent: number;
  /** Fed on the next tick. */
  due: boolean;
  stalledSince: number | undefined;
  alive: boolean;
  ended: boolean;
}

/** Close code for a client too slow to take its frames (RFC 6455 "Try Again Later"). */
const TOO_SLOW = 1013;

/** The WebSocket streams of runs. Dispose with {@link close}. */
export class RunStreams {
  readonly #store: Store;
  readonly #runs: () => RunManager;
  readonly #wss: WebSocketServer;
  readonly #clients = new Map<string, Set<Client>>();
  readonly #tick: NodeJS.Timeout;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #lowWater: number;
  readonly #maxBuffered: number;
  readonly #stallMs: number;
  readonly #frameBytes: number;
  readonly #frameEvents: number;
  #closed = false;

  constructor(options: RunStreamsOptions) {
    this.#store = options.store;
    this.#runs = options.runs;
    this.#lowWater = options.lowWaterBytes ?? 1024 * 1024;
    this.#maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#stallMs = options.stallMs ?? 30_000;
    this.#frameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.#frameEvents = options.maxFrameEvents ?? 500;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false });
    this.#tick = setInterval(() => this.#feedDue(), options.tickMs ?? 50);
    this.#tick.unref();
    this.#heartbeat = setInterval(() => this.#ping(), options.heartbeatMs ?? 30_000);
    this.#heartbeat.unref();
  }

  /** Sockets open now. */
  get size(): number {
    let n = 0;
    for (const set of this.#clients.values()) {
      n += set.size;
    }
    return n;
  }

  /** Completes the upgrade of an authorised request for the stream of `runId` after `after`. */
  accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    runId: string,
    after: number,
  ): void {
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.#closed) {
        ws.close(1001, 'server stopping');
        return;
      }
      const run = this.#store.runSummary(runId);
      if (run === undefined) {
        ws.close(1008, 'no such run');
        return;
      }
      const client: Client = {
        ws,
        runId,
        sent: after,
        due: true,
        stalledSince: undefined,
        alive: true,
        ended: false,
      };
      let set = this.#clients.get(runId);
      if (set === undefined) {
        set = new Set();
        this.#clients.set(runId, set);
      }
      set.add(client);
      ws.on('pong', () => (client.alive = true));
      ws.on('message', (data, isBinary) => {
        // Clients send nothing but pings; anything else is ignored.
        let type: unknown;
        try {
          type = isBinary ? undefined : (JSON.parse(data.toString()) as { type?: unknown }).type;
        } catch {
          type = undefined;
        }
        if (type === 'ping') {
          ws.send('{"type":"pong"}');
        }
      });
      ws.on('close', () => this.#remove(client));
      ws.on('error', () => this.#remove(client));
      const hello: HelloFrame = { type: 'hello', runId, state: run.state, lastSeq: run.lastSeq };
      ws.send(JSON.stringify(hello));
      this.#feed(client);
    });
  }

  /** New events of `runId` were stored (or the run ended): feed its sockets on the next tick. */
  notify(runId: string): void {
    for (const client of this.#clients.get(runId) ?? []) {
      client.due = true;
    }
  }

  /** Closes every socket (1001). Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#tick);
    clearInterval(this.#heartbeat);
    for (const set of this.#clients.values()) {
      for (const client of set) {
        client.ws.close(1001, 'server stopping');
        setTimeout(() => client.ws.terminate(), 1000).unref();
      }
    }
    this.#clients.clear();
    this.#wss.close();
  }

  #remove(client: Client): void {
    const set = this.#clients.get(client.runId);
    set?.delete(client);
    if (set?.size === 0) {
      this.#clients.delete(client.runId);
    }
  }

  #feedDue(): void {
    for (const set of [...this.#clients.values()]) {
      for (const client of [...set]) {
        if (client.due) {
          this.#feed(client);
        }
      }
    }
  }

  /** Sends the next pages of stored events while the socket takes them; ends a finished run. */
  #feed(client: Client): void {
    const { ws } = client;
    client.due = false;
    if (ws.readyState !== ws.OPEN || client.ended) {
      return;
    }
    if (ws.bufferedAmount > this.#maxBuffered) {
      this.#drop(client);
      return;
    }
    for (;;) {
      if (ws.bufferedAmount >= this.#lowWater) {
        client.stalledSince ??= Date.now();
        if (Date.now() - client.stalledSince > this.#stallMs) {
          this.#drop(client);
          return;
        }
        client.due = true; // Try again next tick.
        return;
      }
      client.stalledSince = undefined;
      const page = this.#store.eventsAfter(
        client.runId,
        client.sent,
        this.#frameEvents,
        this.#frameBytes,
      );
      if (page.length === 0) {
        break;
      }
      ws.send(`{"type":"events","events":[${page.map((event) => event.data).join(',')}]}`);
      client.sent = page[page.length - 1]!.seq;
    }
    if (this.#runs().isActive(client.runId)) {
      return;
    }
    const run = this.#store.runSummary(client.runId);
    if (run === undefined || client.sent >= run.lastSeq) {
      client.ended = true;
      const end: EndFrame = { type: 'end', lastSeq: run?.lastSeq ?? client.sent };
      ws.send(JSON.stringify(end));
      ws.close(1000, 'run ended');
    }
  }

  #drop(client: Client): void {
    client.ended = true;
    client.ws.close(TOO_SLOW, `too slow; reconnect with after=${client.sent}`);
    setTimeout(() => client.ws.terminate(), 1000).unref();
  }

  #ping(): void {
    for (const set of this.#clients.values()) {
      for (const client of set) {
        if (!client.alive) {
          client.ws.terminate();
          continue;
        }
        client.alive = false;
        client.ws.ping();
      }
    }
  }
}
