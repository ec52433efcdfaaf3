// Between the run's socket and its store: frames are queued as they arrive and applied in slices
// of bounded work (rows and time), each its own task, so that a burst of frames (a replay after a
// reconnect, a fast source) never becomes one long task on the main thread. Resuming goes by the
// last seq received, not the last applied: what is queued is not asked for again.
import type { StudioEvent } from '@tfstream/studio-api';
import type { RunStore } from './run-store';

export interface EventPumpOptions {
  /** Called after a slice applied new events. */
  readonly onApplied: () => void;
  /** Output rows a slice applies at most (any other event counts as one row); default 2000. */
  readonly sliceRows?: number;
  /** A slice stops once it took this long, in ms, even under its row budget; default 4. */
  readonly sliceMs?: number;
  /** Runs the next slice as a task of its own; default a `MessageChannel` message. */
  readonly schedule?: (slice: () => void) => void;
  readonly now?: () => number;
}

/** How much work applying an event is, in rows. */
function weight(event: StudioEvent): number {
  return event.type === 'output' ? Math.max(1, event.rows.length) : 1;
}

/** A macrotask without setTimeout's clamping, as React's scheduler does it. */
function messageChannelScheduler(): (slice: () => void) => void {
  const channel = new MessageChannel();
  let pending: (() => void) | undefined;
  channel.port1.onmessage = () => {
    const run = pending;
    pending = undefined;
    run?.();
  };
  return (slice) => {
    pending = slice;
    channel.port2.postMessage(null);
  };
}

export class EventPump {
  /** Frames waiting, oldest first; `offset` events of the first are applied already. */
  private readonly frames: (readonly StudioEvent[])[] = [];
  private offset = 0;
  private queued = 0;
  private received: number;
  private scheduled = false;
  private disposed = false;
  private readonly sliceRows: number;
  private readonly sliceMs: number;
  private readonly schedule: (slice: () => void) => void;
  private readonly now: () => number;

  constructor(
    readonly store: RunStore,
    private readonly options: EventPumpOptions,
  ) {
    this.received = store.lastSeq;
    this.sliceRows = options.sliceRows ?? 2000;
    this.sliceMs = options.sliceMs ?? 4;
    this.schedule = options.schedule ?? messageChannelScheduler();
    this.now = options.now ?? (() => performance.now());
  }

  /** Last seq received, applied or not: a reconnect asks for the events after it. */
  get receivedSeq(): number {
    return Math.max(this.received, this.store.lastSeq);
  }

  /** Events received and not applied yet. */
  get pending(): number {
    return this.queued;
  }

  /** Queues the events of a frame, in order, and schedules a slice. */
  push(events: readonly StudioEvent[]): void {
    if (this.disposed || events.length === 0) {
      return;
    }
    this.frames.push(events);
    this.queued += events.length;
    this.received = Math.max(this.received, events[events.length - 1]!.seq);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.slice());
    }
  }

  /** Applies everything queued now, in one go (a snapshot, or a test). */
  flush(): void {
    while (this.queued > 0 && !this.disposed) {
      this.applyNext(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    }
  }

  /** Drops what is queued and applies nothing more. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.frames.length = 0;
    this.queued = 0;
  }

  private slice(): void {
    this.scheduled = false;
    if (this.disposed) {
      return;
    }
    const applied = this.applyNext(this.sliceRows, this.now() + this.sliceMs);
    if (this.queued > 0) {
      this.scheduled = true;
      this.schedule(() => this.slice());
    }
    if (applied > 0) {
      this.options.onApplied();
    }
  }

  /** Applies queued events in order: the first always, then while `rows` and `deadline` allow. */
  private applyNext(rows: number, deadline: number): number {
    let budget = rows;
    let taken = 0;
    let applied = 0;
    while (this.frames.length > 0) {
      const frame = this.frames[0]!;
      const start = this.offset;
      let end = start;
      while (end < frame.length) {
        const cost = weight(frame[end]!);
        if (taken > 0 && (cost > budget || this.now() >= deadline)) {
          break;
        }
        budget -= cost;
        taken++;
        end++;
      }
      if (end > start) {
        applied += this.store.apply(
          start === 0 && end === frame.length ? frame : frame.slice(start, end),
        );
        this.queued -= end - start;
      }
      if (end < frame.length) {
        this.offset = end;
        break;
      }
      this.frames.shift();
      this.offset = 0;
      if (budget <= 0) {
        break;
      }
    }
    return applied;
  }
}
