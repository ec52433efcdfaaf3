// Starts the studio server (built dist, plain node) in a fresh TFSTREAM_HOME and stops it after
// the suite. The server's stdout and stderr go to test-results/e2e/server.log.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_PORT, E2E_TOKEN, E2E_URL } from './studio.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function waitForServer(deadline: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(`${E2E_URL}/api/health`, {
        headers: { authorization: `Bearer ${E2E_TOKEN}` },
      });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the studio server did not answer on ${E2E_URL} within 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const home = mkdtempSync(join(tmpdir(), 'tfstream-e2e-'));
  const logs = join(root, 'test-results', 'e2e');
  mkdirSync(logs, { recursive: true });
  const log = createWriteStream(join(logs, 'server.log'));
  const server = spawn(
    process.execPath,
    [
      join(root, 'apps', 'server', 'dist', 'main.js'),
      '--port',
      String(E2E_PORT),
      '--token',
      E2E_TOKEN,
      '--home',
      home,
      '--no-open',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  await Promise.race([
    waitForServer(Date.now() + 60_000),
    new Promise((_, reject) =>
      server.once('exit', (code) =>
        reject(new Error(`the studio server exited with ${code}; see ${logs}/server.log`)),
      ),
    ),
  ]);
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.kill('SIGKILL');
        resolve(undefined);
      }, 5000);
      server.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    rmSync(home, { recursive: true, force: true });
  };
}
