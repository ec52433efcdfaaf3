import { describe, expect, it } from 'vitest';
import { RenderPacer } from './render-pacer';

/** A pacer on a clock, timers and animation frames that the test runs. */
function manualPacer(intervalMs = 100) {
  let clock = 1000;
  const timers: { at: number; run: () => void }[] = [];
  const frames = new Map<number, () => void>();
  let nextFrame = 1;
  const commits: number[] = [];
  const pacer = new RenderPacer(() => commits.push(clock), {
    intervalMs,
    now: () => clock,
    setTimer: (run, ms) => {
      const timer = { at: clock + ms, run };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1),
    requestFrame: (run) => {
      frames.set(nextFrame, run);
      return nextFrame++;
    },
    cancelFrame: (frame) => frames.delete(frame),
  });
  /** Moves the clock, firing due timers, then runs the pending frames (one vsync). */
  const advance = (ms: number) => {
    clock += ms;
    for (const timer of timers.filter((t) => t.at <= clock)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
    const due = [...frames.values()];
    frames.clear();
    for (const run of due) {
      run();
    }
  };
  return { pacer, commits, advance, pending: () => timers.length + frames.size };
}

describe('RenderPacer', () => {
  it('commits in the next frame when nothing was committed lately', () => {
    const { pacer, commits, advance } = manualPacer();
    pacer.request();
    expect(commits).toEqual([]);
    advance(16);
    expect(commits).toEqual([1016]);
  });

  it('coalesces requests into at most one commit per interval', () => {
    const { pacer, commits, advance } = manualPacer(100);
    for (let t = 0; t < 60; t++) {
      pacer.request();
      advance(16);
    }
    // 960 ms of requests every frame: about ten commits, never two within 100 ms.
    expect(commits.length).toBeGreaterThanOrEqual(8);
    expect(commits.length).toBeLessThanOrEqual(10);
    for (let i = 1; i < commits.length; i++) {
      expect(commits[i]! - commits[i - 1]!).toBeGreaterThanOrEqual(100);
    }
  });

  it('commits the last request once the interval has passed', () => {
    const { pacer, commits, advance } = manualPacer(100);
    pacer.request();
    advance(16);
    pacer.request();
    advance(16);
    expect(commits).toHaveLength(1);
    advance(100);
    expect(commits).toHaveLength(2);
  });

  it('commits nothing once disposed', () => {
    const { pacer, commits, advance, pending } = manualPacer();
    pacer.request();
    pacer.dispose();
    pacer.request();
    advance(200);
    expect(commits).toEqual([]);
    expect(pending()).toBe(0);
  });
});
