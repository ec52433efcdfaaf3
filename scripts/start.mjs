#!/usr/bin/env node
// `npm start`: serves the studio on the embedded default (SQLite in `./.tfstream`, a local
// cluster of worker processes), with the examples as templates. Builds the front end when its
// sources are newer than the build; the server prints its URL with the token, as Jupyter does.
// Arguments after `--` go to the server: `npm start -- --port 9000 --token secret`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps', 'web');

/** Newest modification time under `dir` (skipping dependencies and builds). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') {
      continue;
    }
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const built = join(web, 'dist', 'index.html');
if (!existsSync(built) || newest(web) > statSync(built).mtimeMs) {
  console.log('tfstream: building the studio front end ...');
  const result = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}

const server = spawn(
  process.execPath,
  [join(root, 'apps', 'server', 'dist', 'main.js'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
