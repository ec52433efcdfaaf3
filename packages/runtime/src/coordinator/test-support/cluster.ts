// Helpers of the coordinator tests: how test roles are spawned, and how to await events.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoordinatorOptions } from '../coordinator.js';
import { Coordinator } from '../coordinator.js';
import type { CoordinatorEvent } from '../events.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root: role processes run there so that `--import tsx` resolves. */
export const REPO_ROOT = resolve(here, '../../../../..');

/** The test role program (see `role/test-support/test-role.ts`). */
export const TEST_ROLE = join(here, '../../role/test-support/test-role.ts');

/**
 * Roles run the TypeScript sources through tsx; `--conditions=source` makes
 * `@tfstream/runtime/role` resolve to `src/` as in the tests, so no build is needed.
 */
export const SOURCE_EXEC_ARGV: readonly string[] = ['--conditions=source', '--import', 'tsx'];

/** Options of a test cluster: the test role from source, plus `overrides`. */
export function testClusterOptions(
  overrides: Partial<CoordinatorOptions> = {},
): CoordinatorOptions {
  return {
    workers: 1,
    entry: TEST_ROLE,
    execArgv: SOURCE_EXEC_ARGV,
    cwd: REPO_ROOT,
    ...overrides,
  };
}

/** A coordinator whose events are all recorded in `events`. */
export function recordedCoordinator(options: CoordinatorOptions): {
  coordinator: Coordinator;
  events: CoordinatorEvent[];
} {
  const coordinator = new Coordinator(options);
  const events: CoordinatorEvent[] = [];
  coordinator.on((event) => events.push(event));
  return { coordinator, events };
}

/**
 * The first event from now on that matches `predicate` (narrowed to `T`); rejects after
 * `timeoutMs` with the events seen meanwhile.
 */
export function nextEvent<T extends CoordinatorEvent>(
  coordinator: Coordinator,
  predicate: (event: CoordinatorEvent) => event is T,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching event within ${timeoutMs} ms; saw:\n${seen.join('\n')}`));
    }, timeoutMs);
    const unsubscribe = coordinator.on((event) => {
      seen.push(
        JSON.stringify(event, (_, v: unknown) => (v instanceof Uint8Array ? '<bytes>' : v)),
      );
      if (predicate(event)) {
        clearTimeout(timer);
        unsubscribe();
        resolvePromise(event);
      }
    });
  });
}

/**
 * Whether process `pid` still runs. A zombie (dead, not yet reaped by its parent or by init)
 * does not count; on Linux its state in `/proc/<pid>/stat` tells it apart.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Waits until none of `pids` exists. There is no event for the death of a process that is not
 * our child (a grandchild is reaped by init), so this polls.
 */
export async function waitUntilGone(pids: readonly number[], timeoutMs = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() > deadline) {
      return alive;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
