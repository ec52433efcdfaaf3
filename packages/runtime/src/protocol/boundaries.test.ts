import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..');

/** Import specifiers of the production `.ts` files under `folder` (tests and test support excluded). */
function importsOf(folder: string): { file: string; specifier: string }[] {
  const out: { file: string; specifier: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support') {
          walk(path);
        }
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
          out.push({ file: relative(src, path), specifier: match[1]! });
        }
      }
    }
  };
  walk(join(src, folder));
  return out;
}

function offending(folder: string, forbidden: RegExp): string[] {
  return importsOf(folder)
    .filter(({ specifier }) => forbidden.test(specifier))
    .map(({ file, specifier }) => `${file} imports ${specifier}`);
}

describe('runtime process boundaries', () => {
  it('keeps the protocol free of either side', () => {
    expect(offending('protocol', /\/(coordinator|role|job)\/|^@tfstream\/runtime/)).toEqual([]);
  });

  it('keeps the role side from importing the coordinator, and the reverse', () => {
    expect(offending('role', /coordinator|\/job\/|^@tfstream\/runtime$/)).toEqual([]);
    expect(offending('coordinator', /\/role\/|^@tfstream\/runtime/)).toEqual([]);
  });

  it('never imports from apps/', () => {
    for (const folder of ['protocol', 'coordinator', 'role']) {
      expect(offending(folder, /apps\//)).toEqual([]);
    }
  });
});
