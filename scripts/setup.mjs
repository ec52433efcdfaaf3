#!/usr/bin/env node
// Installs what a fresh checkout lacks, so that `npm start` and `npm test` are the only two
// commands anybody needs. Fast when everything is in place: it only compares two files' times.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`tfstream needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

function stale() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) {
    return true;
  }
  const since = statSync(installed).mtimeMs;
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const manifests = [
    'package.json',
    'package-lock.json',
    ...workspaces.map((dir) => join(dir, 'package.json')),
  ];
  return manifests.some(
    (file) => existsSync(join(root, file)) && statSync(join(root, file)).mtimeMs > since + 1000,
  );
}

if (stale()) {
  console.log('tfstream: installing npm packages ...');
  const fresh = !existsSync(join(root, 'node_modules'));
  const args = fresh && existsSync(join(root, 'package-lock.json')) ? ['ci'] : ['install'];
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('tfstream: npm install failed');
    process.exit(result.status ?? 1);
  }
}

// `--browser` (npm test): the end-to-end tests drive Debian's Chromium; install it when missing
// and this machine can (root with apt-get). Playwright's own browser download does not work here.
if (process.argv.includes('--browser') && !process.env.CHROMIUM_PATH) {
  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
    if (!canApt) {
      console.error(
        `tfstream: the e2e tests need Chromium at ${chromium} (apt-get install chromium), or CHROMIUM_PATH.`,
      );
      process.exit(1);
    }
    console.log('tfstream: installing Debian chromium for the e2e tests ...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', 'chromium'],
    ]) {
      const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (result.status !== 0) {
        console.error(`tfstream: apt-get ${args.join(' ')} failed`);
        process.exit(result.status ?? 1);
      }
    }
  }
}
