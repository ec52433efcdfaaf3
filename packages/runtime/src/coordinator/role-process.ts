import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { RoleIdentity } from '../protocol/index.js';
import { splitLines } from './line-splitter.js';
import type { WarmProcess } from './role-pool.js';

/**
 * Variables of the coordinator's own environment that a role process inherits. Nothing else is
 * passed on (no cloud keys, no tokens of the parent): roles get these, the variables given in
 * `CoordinatorOptions.env`, and the `TFSTREAM_*` role variables.
 */
export const INHERITED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'TZ',
  'SYSTEMROOT',
];

/** How a role process ended. */
export interface RoleExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly spawnError?: Error;
}

/** What V8 writes to stderr when the JavaScript heap is exhausted. */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed/;

/** Options of {@link RoleProcess}. */
export interface RoleProcessOptions {
  readonly identity: RoleIdentity;
  readonly entry: string;
  readonly args: readonly string[];
  readonly execArgv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stderrTailLines: number;
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * A process started ahead (`RolePool.take`) to become this role instead of a new one; it was
   * started with the same `execArgv`.
   */
  readonly warm?: WarmProcess;
}

// Process groups of live role processes, killed when this process exits however it exits
// normally (`process.exit`, end of the event loop). A SIGKILL of this process cannot run code:
// for that case the roles kill their own groups when they lose the coordinator's connection.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** SIGKILLs process group `pid`; `orLeader` also tries the process itself if the group is gone. */
function killGroup(pid: number, orLeader = true): void {
  if (process.platform === 'win32') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    if (!orLeader) {
      return;
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Kills process group `pid` when this process exits (see RoleProcess), until untracked. */
export function trackGroup(pid: number): void {
  installExitHook();
  liveGroups.add(pid);
}

export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) {
      killGroup(pid);
    }
  });
}

/**
 * One OS process of a role: `node [execArgv] entry [args]` in a process group of its own (so
 * that killing it kills whatever it started), stdout and stderr read line by line.
 */
export class RoleProcess {
  readonly identity: RoleIdentity;
  /** The OS process id; 0 when the process could not be started. */
  readonly pid: number;
  /** When it was spawned (`Date.now()`). */
  readonly spawnedAt = Date.now();
  /** Resolves once the process has exited and its output has been read. */
  readonly exited: Promise<RoleExit>;

  readonly #tail: string[] = [];
  #outOfMemory = false;
  #exit: RoleExit | undefined;

  constructor(options: RoleProcessOptions) {
    installExitHook();
    this.identity = options.identity;
    let child: ChildProcess;
    if (options.warm === undefined) {
      child = spawn(process.execPath, [...options.execArgv, options.entry, ...options.args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so that one kill reaches the role's children too.
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } else {
      child = options.warm.child;
      options.warm.assign({
        entry: options.entry,
        args: options.args,
        cwd: options.cwd,
        env: options.env,
      });
    }
    this.pid = child.pid ?? 0;
    if (this.pid !== 0) {
      liveGroups.add(this.pid);
    }
    splitLines(child.stdout!, (line) => options.onLine('stdout', line));
    splitLines(child.stderr!, (line) => {
      this.#tail.push(line);
      // V8's native stack trace after it may push the line out of the tail.
      this.#outOfMemory ||= OUT_OF_MEMORY.test(line);
      if (this.#tail.length > options.stderrTailLines) {
        this.#tail.shift();
      }
      options.onLine('stderr', line);
    });
    this.exited = new Promise((resolve) => {
      let settled = false;
      const settle = (exit: RoleExit): void => {
        if (!settled) {
          settled = true;
          this.#exit = exit;
          liveGroups.delete(this.pid);
          resolve(exit);
        }
      };
      child.once('error', (error) => {
        if (child.pid === undefined) {
          settle({ code: null, signal: null, spawnError: error });
        }
      });
      child.once('exit', (code, signal) => {
        // Kill what the role left behind in its group, then give the pipes a moment to drain
        // so that the last stderr lines make it into the failure reason.
        // The pid itself may already be reused: only the group is killed.
        killGroup(this.pid, false);
        const timer = setTimeout(() => settle({ code, signal }), 500);
        child.once('close', () => {
          clearTimeout(timer);
          settle({ code, signal });
        });
      });
    });
  }

  /** Whether the process has exited (and its exit was handled). */
  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Whether V8 reported on stderr that the JavaScript heap ran out of memory. */
  get outOfMemory(): boolean {
    return this.#outOfMemory;
  }

  /** The last lines the process wrote to stderr (at most `stderrTailLines`). */
  get stderrTail(): readonly string[] {
    return this.#tail;
  }

  /** SIGKILLs the process and its whole process group. Safe to call at any time. */
  kill(): void {
    if (this.pid !== 0 && this.#exit === undefined) {
      killGroup(this.pid);
    }
  }
}
