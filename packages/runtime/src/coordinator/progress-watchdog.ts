// Stops a worker that holds records but makes no progress on them: model code that awaits
// something that never settles. Heartbeats do not catch it, since its event loop still runs.
import type { Coordinator } from './coordinator.js';
import type { InFlightLedger } from './feed/in-flight-ledger.js';

/**
 * Watches the workers of a run: one that holds records in flight (`ledger.recordsAt`) and has
 * sent no data (output, acknowledgement, credit) and no metric for `timeoutMs` is killed as
 * failed through `Coordinator.killRole`, so it is restarted within `maxRestarts` and its records
 * are sent again. In sync training a worker waiting at a step for a stuck one is stopped with it.
 *
 * @example
 * ```ts
 * const watchdog = new ProgressWatchdog(coordinator, feed.ledger, 30_000);
 * await coordinator.result;
 * watchdog.dispose();
 * ```
 */
export class ProgressWatchdog {
  readonly #coordinator: Coordinator;
  readonly #ledger: InFlightLedger;
  readonly #timeoutMs: number;
  /** When each worker last made progress, or its current process started. */
  readonly #progress = new Map<number, number>();
  readonly #timer: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  constructor(coordinator: Coordinator, ledger: InFlightLedger, timeoutMs: number) {
    this.#coordinator = coordinator;
    this.#ledger = ledger;
    this.#timeoutMs = timeoutMs;
    this.#unsubscribe = coordinator.on((event) => {
      const progressed =
        event.type === 'data' ||
        event.type === 'metric' ||
        (event.type === 'role' && event.phase === 'registered');
      if (progressed && event.role === 'worker') {
        this.#progress.set(event.index, event.at);
      }
    });
    this.#timer = setInterval(() => this.#check(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.#timer.unref();
  }

  /** Stops watching. Idempotent. */
  dispose(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
  }

  #check(): void {
    const now = Date.now();
    for (const [worker, last] of this.#progress) {
      const held = this.#ledger.recordsAt(worker);
      const idle = now - last;
      if (held > 0 && idle > this.#timeoutMs) {
        this.#progress.set(worker, now);
        this.#coordinator.killRole(
          { role: 'worker', index: worker },
          `it made no progress for ${idle} ms while it held ${held} record(s) (progressTimeoutMs ` +
            `${this.#timeoutMs}); does model code await something that never settles?`,
        );
      }
    }
  }
}
