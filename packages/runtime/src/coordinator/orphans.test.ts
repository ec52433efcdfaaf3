import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, SOURCE_EXEC_ARGV, isAlive, waitUntilGone } from './test-support/cluster.js';

const HOST = join(import.meta.dirname, 'test-support/coordinator-host.ts');
const hosts: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const host of hosts.splice(0)) {
    host.kill('SIGKILL');
  }
});

interface Pids {
  roles: number[];
  grandchildren: number[];
}

/** Starts a process running a coordinator of 3 roles, each with a child; resolves with all pids. */
async function startHost(
  ...args: string[]
): Promise<{ host: ChildProcessWithoutNullStreams; pids: Pids }> {
  const host = spawn(process.execPath, [...SOURCE_EXEC_ARGV, HOST, ...args], { cwd: REPO_ROOT });
  hosts.push(host);
  let stderr = '';
  host.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for await (const line of createInterface({ input: host.stdout })) {
    return { host, pids: JSON.parse(line) as Pids };
  }
  throw new Error(`the coordinator host ended before its cluster ran:\n${stderr}`);
}

describe('role processes outlive no coordinator', () => {
  it('are killed when the coordinator process exits without disposing', async () => {
    // Roles that would survive the loss of their coordinator: only its exit hook can stop them.
    const { host, pids } = await startHost('keep-on-loss');
    const all = [...pids.roles, ...pids.grandchildren];
    expect(all.filter(isAlive)).toHaveLength(6);
    const exited = new Promise((resolve) => host.once('exit', resolve));
    host.stdin.write('exit\n');
    await exited;
    expect(await waitUntilGone(all)).toEqual([]);
  });

  it('kill themselves and their children when the coordinator process is killed with SIGKILL', async () => {
    const { host, pids } = await startHost();
    const all = [...pids.roles, ...pids.grandchildren];
    expect(all.filter(isAlive)).toHaveLength(6);
    host.kill('SIGKILL');
    expect(await waitUntilGone(all, 5000)).toEqual([]);
  });
});
