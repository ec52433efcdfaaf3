#!/usr/bin/env node
// `npm run bench -- [suite ...]`: runs the named benchmark suites (all when none is named).
// Each suite is bench/<name>.bench.ts; it prints a table and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const suite of wanted.length > 0 ? wanted : available) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${suite}.bench.ts`)], {
    stdio: 'inherit',
    cwd: join(here, '..'),
  });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
