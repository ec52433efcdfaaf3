// `GET /api/typings`: the type definitions the editor (Monaco) loads so that model code
// autocompletes: `@tfstream/sdk` (its built `dist/`, with the schema and codecs types it names)
// and `@tensorflow/tfjs` with its sub-packages. Read and compressed once per process, then
// answered from memory with an ETag.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { TypingsResponse } from '@tfstream/studio-api';
import { REPO_ROOT } from '../config.js';

/** The packages whose types model code sees. */
export const TYPED_PACKAGES: readonly string[] = [
  '@tfstream/sdk',
  '@tfstream/schema',
  '@tfstream/codecs',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-data',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-wasm',
];

/** The typings as the server answers them: JSON, its gzip, and an ETag. */
export interface TypingsBundle {
  readonly json: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  readonly files: number;
}

const NODE_MODULES = [
  join(REPO_ROOT, 'apps/server/node_modules'),
  join(REPO_ROOT, 'packages/sdk/node_modules'),
  join(REPO_ROOT, 'node_modules'),
];

function packageDir(name: string): string | undefined {
  for (const root of NODE_MODULES) {
    const dir = join(root, name);
    if (existsSync(join(dir, 'package.json'))) {
      return realpathSync(dir);
    }
  }
  return undefined;
}

async function declarationFiles(dir: string, under: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name === 'node_modules') {
        continue;
      }
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.name.endsWith('.d.ts') && !/[._]test\.d\.ts$/.test(entry.name)) {
        out.push(path);
      }
    }
  };
  const start = join(dir, under);
  if (existsSync(start)) {
    await walk(start);
  }
  return out.sort();
}

interface Manifest {
  name: string;
  version?: string;
  types?: string;
  typings?: string;
  exports?: Record<string, unknown>;
}

/** The `types` file of each export of a workspace package (`./src` for sources, `./dist` for types). */
function typesExports(manifest: Manifest): Record<string, { types: string }> {
  const out: Record<string, { types: string }> = {};
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const types = (target as { types?: unknown }).types;
    if (typeof types === 'string') {
      out[subpath] = { types };
    }
  }
  return out;
}

/** Builds the bundle (a few hundred milliseconds; called once). */
export async function buildTypings(): Promise<TypingsBundle> {
  const files: { path: string; content: string }[] = [];
  for (const name of TYPED_PACKAGES) {
    const dir = packageDir(name);
    if (dir === undefined) {
      continue;
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const workspace = name.startsWith('@tfstream/');
    const exports = typesExports(manifest);
    const declarations = await declarationFiles(dir, workspace ? 'dist' : '');
    if (declarations.length === 0) {
      continue; // A workspace package that is not built: nothing to offer.
    }
    // For editors that resolve like Node 10: `types` for the root, `typesVersions` for subpaths.
    const subpaths: Record<string, string[]> = {};
    for (const [subpath, target] of Object.entries(exports)) {
      if (subpath !== '.') {
        subpaths[subpath.replace(/^\.\//, '')] = [target.types];
      }
    }
    const root = exports['.']?.types ?? manifest.types ?? manifest.typings ?? 'index.d.ts';
    files.push({
      path: `file:///node_modules/${name}/package.json`,
      content: JSON.stringify({
        name,
        version: manifest.version,
        types: root,
        ...(workspace ? { exports } : {}),
        ...(Object.keys(subpaths).length === 0 ? {} : { typesVersions: { '*': subpaths } }),
      }),
    });
    for (const file of declarations) {
      files.push({
        path: `file:///node_modules/${name}/${relative(dir, file).split(sep).join('/')}`,
        content: await readFile(file, 'utf8'),
      });
    }
  }
  const body: TypingsResponse = { files };
  const json = Buffer.from(JSON.stringify(body));
  return {
    json,
    gzip: await promisify(gzip)(json),
    etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`,
    files: files.length,
  };
}

let cached: Promise<TypingsBundle> | undefined;

/** The bundle, built on first use and then kept for the life of the process. */
export function typings(): Promise<TypingsBundle> {
  cached ??= buildTypings().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
