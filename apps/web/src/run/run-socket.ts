// The WebSocket of one run. Its frames go to the run's event pump; when the socket drops, it
// reconnects with `?after=<last seq received>` and exponential backoff, so each event arrives once.
import type { ServerFrame } from '@tfstream/studio-api';
import { RUN_STREAM_PATH } from '@tfstream/studio-api';
import type { EventPump } from './event-pump';
import type { RunStore } from './run-store';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'ended' | 'closed';

export interface RunSocketOptions {
  /** Called when the socket changed the store itself (the run's state from `hello`). */
  readonly onChange: () => void;
  readonly onStatus?: (status: SocketStatus) => void;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

const PING_MS = 20_000;

export function streamUrl(runId: string, after: number): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const path = RUN_STREAM_PATH.replace(':runId', encodeURIComponent(runId));
  return `${scheme}://${location.host}${path}?after=${after}`;
}

export class RunSocket {
  status: SocketStatus = 'connecting';
  /** Times the socket was opened again after a drop. */
  reconnects = 0;
  private ws: WebSocket | undefined;
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private disposed = false;
  /** The run's `end` event came (it may still wait in the pump). */
  private endReceived = false;

  constructor(
    readonly runId: string,
    readonly pump: EventPump,
    private readonly options: RunSocketOptions,
  ) {
    this.open();
  }

  get store(): RunStore {
    return this.pump.store;
  }

  /** Closes the socket as a network failure would, to try out resuming (`__tfstream.dropSocket`). */
  drop(): void {
    this.ws?.close(4000, 'dropped on purpose');
  }

  close(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.ws?.close(1000, 'closed by the studio');
    this.ws = undefined;
    this.setStatus('closed');
  }

  private open(): void {
    if (this.disposed) {
      return;
    }
    this.setStatus(this.attempt === 0 && this.reconnects === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(streamUrl(this.runId, this.pump.receivedSeq));
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) {
        return;
      }
      this.attempt = 0;
      this.setStatus('open');
      clearInterval(this.ping);
      this.ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(JSON.stringify({ type: 'ping' }));
        }
      }, PING_MS);
    };
    ws.onmessage = (message) => {
      if (this.ws !== ws || typeof message.data !== 'string') {
        return;
      }
      let frame: ServerFrame;
      try {
        frame = JSON.parse(message.data) as ServerFrame;
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) {
        return;
      }
      clearInterval(this.ping);
      this.ws = undefined;
      if (this.disposed) {
        return;
      }
      if (this.status === 'ended' || this.endReceived || this.store.ended) {
        this.setStatus('ended');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'hello':
        if (this.store.state === undefined) {
          this.store.state = frame.state;
          this.store.version++;
          this.options.onChange();
        }
        break;
      case 'events':
        if (frame.events.at(-1)?.type === 'end') {
          this.endReceived = true;
        }
        this.pump.push(frame.events);
        break;
      case 'end':
        this.setStatus('ended');
        break;
      default:
        break;
    }
  }

  private scheduleReconnect(): void {
    const min = this.options.minDelayMs ?? 250;
    const max = this.options.maxDelayMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setStatus('reconnecting');
    this.retry = setTimeout(() => {
      this.reconnects++;
      this.open();
    }, delay);
  }

  private setStatus(status: SocketStatus): void {
    if (this.status !== status) {
      this.status = status;
      this.options.onStatus?.(status);
    }
  }
}
