// Paces the run view's re-renders: however often the store changes, React renders it at most once
// per interval (5 times a second by default), in an animation frame. A stream of 10k rows/s then
// costs five renders a second, not sixty: each render costs the same (the table shows a window of
// rows), so the main thread, the compositor and the rasterizers have four fifths less to do and
// the time in between is free for the socket, the store and input.
export interface RenderPacerOptions {
  /** Least time between two commits, in ms; default 200. */
  readonly intervalMs?: number;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
  readonly requestFrame?: (run: () => void) => number;
  readonly cancelFrame?: (frame: number) => void;
}

export class RenderPacer {
  private last = Number.NEGATIVE_INFINITY;
  private timer: unknown;
  private frame: number | undefined;
  private disposed = false;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly requestFrame: (run: () => void) => number;
  private readonly cancelFrame: (frame: number) => void;

  constructor(
    private readonly commit: () => void,
    options: RenderPacerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 200;
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer =
      options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.requestFrame = options.requestFrame ?? ((run) => requestAnimationFrame(run));
    this.cancelFrame = options.cancelFrame ?? ((frame) => cancelAnimationFrame(frame));
  }

  /** Asks for a commit: in the next frame, or the first frame once the interval has passed. */
  request(): void {
    if (this.disposed || this.timer !== undefined || this.frame !== undefined) {
      return;
    }
    const wait = this.last + this.intervalMs - this.now();
    if (wait > 0) {
      this.timer = this.setTimer(() => {
        this.timer = undefined;
        this.onFrame();
      }, wait);
    } else {
      this.onFrame();
    }
  }

  /** Cancels a commit asked for and takes no more. Idempotent. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (this.frame !== undefined) {
      this.cancelFrame(this.frame);
      this.frame = undefined;
    }
  }

  private onFrame(): void {
    if (this.disposed) {
      return;
    }
    this.frame = this.requestFrame(() => {
      this.frame = undefined;
      if (this.disposed) {
        return;
      }
      this.last = this.now();
      this.commit();
    });
  }
}
