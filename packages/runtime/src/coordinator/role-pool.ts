import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WarmAssignment } from '../protocol/warm-assignment.js';
import { INHERITED_ENV, trackGroup, untrackGroup } from './role-process.js';

/** The warm role entry next to this module (`.ts` from source, `.js` when built). */
const WARM_ENTRY = fileURLToPath(
  new URL(`../role/warm-role.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);

/**
 * Variables that Node reads when it starts: a process already started cannot take them, so a role
 * whose environment sets one is started afresh rather than taken from a pool.
 */
const STARTUP_ENV = /^(NODE_|UV_|V8_)/;

/** Options of {@link RolePool}. */
export interface RolePoolOptions {
  /** How many processes to keep waiting. */
  readonly size: number;
  /** Node options the processes start with; only roles started with the same ones use them. */
  readonly execArgv?: readonly string[];
}

/** A process of the pool, handed over with its pipes unread and stdin open for the assignment. */
export interface WarmProcess {
  readonly child: ChildProcess;
  /** Turns the process into the role; closes its stdin. */
  assign(assignment: WarmAssignment): void;
}

/**
 * Role processes started ahead of a run, each with TensorFlow.js already loaded (the slowest part
 * of a role's start, ~0.5 s of CPU per process), so that a run's first records are answered sooner.
 * A coordinator given a pool (`CoordinatorOptions.rolePool`) takes a process from it for a role's
 * first start when its Node options match, and starts one afresh otherwise. Each process serves
 * one role only; its environment until then is the inherited minimum (`INHERITED_ENV`), and the
 * assignment replaces it whole. Dispose the pool when the run has started: the processes left
 * are killed.
 *
 * @example
 * ```ts
 * const pool = new RolePool({ size: 3 });
 * const run = await startRun(job, { runDir, rolePool: pool });
 * pool.dispose();
 * ```
 */
export class RolePool {
  readonly #execArgv: readonly string[];
  readonly #idle: ChildProcess[] = [];
  readonly #onExit = new Map<ChildProcess, () => void>();
  #disposed = false;

  constructor(options: RolePoolOptions) {
    this.#execArgv = [...(options.execArgv ?? [])];
    for (let i = 0; i < options.size; i++) {
      this.#idle.push(this.#spawn());
    }
  }

  /** Processes waiting for a role. */
  get size(): number {
    return this.#idle.length;
  }

  /** The process ids of the processes waiting. */
  get pids(): number[] {
    return this.#idle.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /**
   * A waiting process for a role started with `execArgv` and `env`, or `undefined` when none
   * fits (other Node options, startup variables in `env`, or the pool is empty or disposed).
   */
  take(
    execArgv: readonly string[],
    env: Readonly<Record<string, string>>,
  ): WarmProcess | undefined {
    if (
      this.#disposed ||
      execArgv.length !== this.#execArgv.length ||
      execArgv.some((arg, i) => arg !== this.#execArgv[i]) ||
      Object.keys(env).some((name) => STARTUP_ENV.test(name))
    ) {
      return undefined;
    }
    const child = this.#idle.shift();
    if (child === undefined) {
      return undefined;
    }
    child.off('exit', this.#onExit.get(child)!);
    this.#onExit.delete(child);
    return {
      child,
      assign: (assignment) => {
        child.stdin?.end(`${JSON.stringify(assignment)}\n`);
      },
    };
  }

  /** Kills the processes still waiting. Idempotent. */
  dispose(): void {
    this.#disposed = true;
    for (const child of this.#idle.splice(0)) {
      // Closing stdin lets it exit by itself; the kill makes sure.
      child.stdin?.destroy();
      child.kill('SIGKILL');
    }
  }

  #spawn(): ChildProcess {
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) {
        env[name] = value;
      }
    }
    const child = spawn(process.execPath, [...this.#execArgv, WARM_ENTRY], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, as every role process (see RoleProcess).
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    if (child.pid !== undefined) {
      trackGroup(child.pid);
    }
    child.stdin?.on('error', () => {});
    const onExit = (): void => {
      this.#onExit.delete(child);
      const at = this.#idle.indexOf(child);
      if (at >= 0) {
        this.#idle.splice(at, 1);
      }
      if (child.pid !== undefined) {
        untrackGroup(child.pid);
      }
    };
    this.#onExit.set(child, onExit);
    child.once('exit', onExit);
    return child;
  }
}
