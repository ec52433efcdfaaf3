// Loads a compiled model as a real ES module from a run folder.
//
// Module resolution: the model's `@tfstream/*` and `@tensorflow/*` imports must reach the very
// package instances the runtime uses (one tfjs engine with its backends and kernels, one SDK),
// wherever the run folder is. So the run folder gets a `node_modules/` of symlinks to those
// packages as the runtime resolves them (the SDK's own dependencies first, so that the model and
// the SDK share tfjs). Node follows the links to the real paths, and modules are cached by real
// path, so the model and the runtime load the same instances. The compiled code keeps its bare
// specifiers: it stays portable and cacheable, and the run folder needs no build step.
import { existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script, constants } from 'node:vm';
import type { SourcePosition } from './code-frame.js';
import { codeFrame, formatPosition } from './code-frame.js';
import type { CompiledModel, ModelImport } from './compile.js';
import { UserCodeError, mapErrorToSource } from './map-error.js';

/** Options of {@link loadModelModule}. */
export interface LoadModelOptions {
  /**
   * The run folder (e.g. `.tfstream/runs/<id>/`); created if missing. The module, its source
   * map and a `node_modules/` of links to the runtime's packages are written there.
   */
  readonly dir: string;
}

/** A model module, loaded. */
export interface LoadedModel {
  /** The module namespace: what the model code exports. */
  readonly exports: Readonly<Record<string, unknown>>;
  /** Absolute path of the module file. */
  readonly path: string;
  /** Its `file:` URL, as stack traces show it. */
  readonly url: string;
  readonly compiled: CompiledModel;
}

// Node's own `import()`, out of reach of bundlers and of module runners such as Vitest's, which
// would transform the module on its way in: the model must load exactly as Node loads it, so
// that stack positions match the source map.
const functionImport = new Function('url', 'return import(url)') as ModuleImport;
let vmImport: ModuleImport | undefined;

type ModuleImport = (url: string) => Promise<Record<string, unknown>>;

async function nativeImport(url: string): Promise<Record<string, unknown>> {
  try {
    return await functionImport(url);
  } catch (error) {
    // Code that runs inside a vm context without an import callback (as Vitest runs it) needs
    // Node's main loader named explicitly; the API is experimental, so only then.
    if ((error as { code?: unknown }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') {
      throw error;
    }
    vmImport ??= new Script('(url) => import(url)', {
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }).runInThisContext() as ModuleImport;
    return vmImport(url);
  }
}

const RUNTIME_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Writes a compiled model into the run folder and imports it as a real ES module. Its imports of
 * `@tfstream/*` and `@tensorflow/*` resolve to the runtime's own packages (see the note at the
 * top of this file). An exception while the module is evaluated becomes a `USER_CODE_ERROR`
 * positioned in the user's source.
 *
 * @throws UserCodeError (`USER_CODE_ERROR`) when the module throws while it loads, or when it
 *   statically imports a package the runtime cannot find
 *
 * @example
 * ```ts
 * const compiled = await compileModel(job.model.source, { fileName: job.model.fileName, dir: job.dir });
 * const model = await loadModelModule(compiled, { dir: '.tfstream/runs/2024-06-01T10-00-00Z' });
 * const definition = model.exports.default;
 * ```
 */
export async function loadModelModule(
  compiled: CompiledModel,
  options: LoadModelOptions,
): Promise<LoadedModel> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  await linkPackages(compiled, dir);
  const path = join(dir, compiled.outputFile);
  // The name holds a hash of the code: an existing file is this module, maybe already imported.
  if (!(await hasContent(path, compiled.code))) {
    await writeFile(`${path}.map`, JSON.stringify(compiled.map));
    await writeFile(path, compiled.code);
  }
  const url = pathToFileURL(path).href;
  try {
    return { exports: await nativeImport(url), path, url, compiled };
  } catch (error) {
    throw mapErrorToSource(error, compiled);
  }
}

async function hasContent(path: string, text: string): Promise<boolean> {
  try {
    return (await readFile(path, 'utf8')) === text;
  } catch {
    return false;
  }
}

/** Node's lookup of `node_modules/<name>` from `from` upwards; the package's real folder. */
function findPackage(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) {
      return realpathSync(candidate);
    }
    if (dirname(dir) === dir) {
      return undefined;
    }
  }
}

/** Where the runtime finds `name`: from the SDK first (its tfjs), then from the runtime. */
function runtimePackage(name: string): string | undefined {
  const sdk = findPackage('@tfstream/sdk', RUNTIME_DIR);
  return (
    (sdk === undefined || name === '@tfstream/sdk' ? undefined : findPackage(name, sdk)) ??
    findPackage(name, RUNTIME_DIR)
  );
}

async function linkPackages(compiled: CompiledModel, dir: string): Promise<void> {
  const names = new Map<string, ModelImport>();
  for (const record of compiled.imports) {
    if (!names.has(record.name) || !record.dynamic) {
      names.set(record.name, record);
    }
  }
  for (const [name, record] of names) {
    const target = runtimePackage(name);
    if (target === undefined) {
      if (record.dynamic) {
        continue; // The model's own `import()` fails, where it can catch it.
      }
      throw missingPackage(compiled, record);
    }
    await link(join(dir, 'node_modules', name), target);
  }
}

async function link(at: string, target: string): Promise<void> {
  try {
    if (lstatSync(at).isSymbolicLink() && resolve(dirname(at), readlinkSync(at)) === target) {
      return;
    }
    rmSync(at, { recursive: true, force: true });
  } catch {
    // Nothing there yet.
  }
  mkdirSync(dirname(at), { recursive: true });
  try {
    // 'junction' makes folder links work on Windows without extra rights; other systems ignore it.
    await symlink(target, at, 'junction');
  } catch (error) {
    // A concurrent load of the same run folder made the same link first.
    if ((error as { code?: unknown }).code !== 'EEXIST' || realpathSync(at) !== target) {
      throw error;
    }
  }
}

function missingPackage(compiled: CompiledModel, record: ModelImport): UserCodeError {
  const position = findSpecifier(compiled, record.specifier);
  const where = position === undefined ? compiled.fileName : formatPosition(position);
  const text =
    position === undefined
      ? undefined
      : compiled.map.sourcesContent?.[compiled.map.sources.indexOf(position.file)];
  return new UserCodeError(
    `${where}: cannot find package "${record.name}" where the tfstream runtime is installed (${RUNTIME_DIR}); install it there, e.g. npm install ${record.name}`,
    position,
    [],
    position === undefined || typeof text !== 'string'
      ? ''
      : codeFrame(text, position.line, position.column),
  );
}

/** Where a quoted import specifier first appears in the model's sources. */
function findSpecifier(compiled: CompiledModel, specifier: string): SourcePosition | undefined {
  const { sources, sourcesContent = [] } = compiled.map;
  for (let i = 0; i < sources.length; i++) {
    const text = sourcesContent[i];
    if (typeof text !== 'string') {
      continue;
    }
    for (const quote of [`'`, `"`]) {
      const at = text.indexOf(`${quote}${specifier}${quote}`);
      if (at >= 0) {
        const before = text.slice(0, at);
        const line = before.split('\n').length;
        return { file: sources[i]!, line, column: at - before.lastIndexOf('\n') };
      }
    }
  }
  return undefined;
}
