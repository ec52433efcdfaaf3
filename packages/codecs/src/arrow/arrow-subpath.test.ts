import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-arrow-subpath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The apache-arrow modules a fresh Node process loads when it imports `specifier`. */
function arrowModulesLoadedBy(specifier: string): string[] {
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      if (result.url.includes('/apache-arrow/')) process.stderr.write('ARROW ' + result.url + '\\n');
      return result;
    }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  // Evaluated code resolves packages from the working directory: the repository.
  const run = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      register,
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      `await import(${JSON.stringify(specifier)});`,
    ],
    { cwd: process.cwd(), encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stderr.split('\n').filter((line) => line.startsWith('ARROW '));
}

describe('@tfstream/codecs/arrow', () => {
  it('is the only entry that loads apache-arrow', () => {
    expect(arrowModulesLoadedBy('@tfstream/codecs')).toEqual([]);
    expect(arrowModulesLoadedBy('@tfstream/codecs/arrow').length).toBeGreaterThan(0);
  });
});
