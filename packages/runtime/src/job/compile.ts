// Compiles a job's TypeScript model code into one ES module with esbuild, when a run starts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, extname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BuildFailure, Message, Metafile, Plugin } from 'esbuild';
import { build } from 'esbuild';
import { TfstreamError } from '@tfstream/schema';
import type { SourcePosition } from './code-frame.js';
import { codeFrame, formatPosition } from './code-frame.js';

/**
 * Packages that model code imports but that are never bundled into it: the run must hand the
 * model the very instances the runtime uses (one tfjs engine, one SDK), see `loadModelModule`.
 */
export const EXTERNAL_PACKAGES: readonly string[] = ['@tfstream/*', '@tensorflow/*'];

/** The name the model's entry is asked for by; {@link sourceAt} serves it. */
const ENTRY = 'tfstream:model-entry';

/** Options of {@link compileModel}. */
export interface CompileModelOptions {
  /**
   * The source's name in diagnostics, source maps and stack traces, relative to `dir`.
   * Default `model.ts`.
   */
  readonly fileName?: string;
  /**
   * The job's folder: `fileName` and the model's relative imports resolve against it, and other
   * bundled files are named relative to it. Default: the current directory.
   */
  readonly dir?: string;
}

/** One compiler message, positioned for the studio's editor markers. */
export interface CompileDiagnostic extends SourcePosition {
  readonly severity: 'error' | 'warning';
  /** Column just past the marked text (1-based, exclusive); equals `column` when esbuild gives no length. */
  readonly endColumn: number;
  readonly message: string;
}

/** A source map, version 3 (https://tc39.es/ecma426/). */
export interface SourceMapJson {
  readonly version: number;
  readonly sources: readonly string[];
  readonly sourcesContent?: readonly (string | null)[];
  readonly mappings: string;
  readonly names: readonly string[];
  readonly file?: string;
  readonly sourceRoot?: string;
}

/** A package the compiled module imports at run time. */
export interface ModelImport {
  /** The package name, e.g. `@tensorflow/tfjs`. */
  readonly name: string;
  /** The specifier as written, e.g. `@tensorflow/tfjs-core/dist/ops/ops`. */
  readonly specifier: string;
  /** `import()` rather than a static import: the model may catch its failure. */
  readonly dynamic: boolean;
}

/** The result of {@link compileModel}. */
export interface CompiledModel {
  /** The ES module (target node20), without a `sourceMappingURL` comment. */
  readonly code: string;
  /** Maps `code` back to the user's sources; `sources` are relative to the job's folder. */
  readonly map: SourceMapJson;
  readonly warnings: readonly CompileDiagnostic[];
  readonly durationMs: number;
  /** The entry source's name, as given in the options. */
  readonly fileName: string;
  /** The module's file name, unique to its code: `model.<hash>.mjs`. */
  readonly outputFile: string;
  /** The packages it imports at run time (see {@link EXTERNAL_PACKAGES}), without Node built-ins. */
  readonly imports: readonly ModelImport[];
}

/**
 * The model source did not compile. `diagnostics` lists every error (and warning) with its
 * position, for editor markers; the message names the first error as `file:line:column`.
 */
export class ModelCompileError extends TfstreamError {
  /** Every error, then every warning, in esbuild's order. */
  readonly diagnostics: readonly CompileDiagnostic[];
  /** The source lines around the first error, with a caret under it. */
  readonly codeFrame: string;

  constructor(
    fileName: string,
    diagnostics: readonly CompileDiagnostic[],
    frame: string,
    options?: ErrorOptions,
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : '';
    super(
      'COMPILE_ERROR',
      first === undefined
        ? `${fileName}: the model did not compile`
        : `${formatPosition(first)}: ${first.message}${more}`,
      {},
      options,
    );
    this.diagnostics = diagnostics;
    this.codeFrame = frame;
    this.stack = [this.message, frame].filter((part) => part !== '').join('\n\n');
  }
}

/**
 * Compiles model code with esbuild into one ES module for Node 20: types are erased, the
 * model's relative imports are bundled in, and `@tfstream/*`, `@tensorflow/*` and Node built-ins
 * stay imports. Types are not checked (esbuild does not type-check): only syntax errors fail.
 *
 * @throws ModelCompileError (`COMPILE_ERROR`) with `file:line:column` of the first error and
 *   the list of all diagnostics
 *
 * @example
 * ```ts
 * const compiled = await compileModel(job.model.source, { fileName: job.model.fileName, dir: job.dir });
 * const { exports } = await loadModelModule(compiled, { dir: runDir });
 * ```
 */
export async function compileModel(
  source: string,
  options: CompileModelOptions = {},
): Promise<CompiledModel> {
  const fileName = options.fileName ?? 'model.ts';
  const dir = resolve(options.dir ?? '.');
  const stem = basename(fileName, extname(fileName)).replace(/[^\w.-]/g, '_') || 'model';
  // A made-up output path inside `dir`, so that the map's `sources` are relative to the job.
  const outfile = resolve(dir, `${stem}.mjs`);
  const entry = resolve(dir, fileName);
  const started = performance.now();
  let result;
  try {
    result = await build({
      entryPoints: [ENTRY],
      plugins: [sourceAt(entry, source)],
      absWorkingDir: dir,
      outfile,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: [...EXTERNAL_PACKAGES],
      sourcemap: 'external',
      sourcesContent: true,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (error) {
    const failure = error as Partial<BuildFailure>;
    if (!Array.isArray(failure.errors)) {
      throw error;
    }
    const diagnostics = [
      ...failure.errors.map((m) => toDiagnostic(m, 'error', fileName)),
      ...(failure.warnings ?? []).map((m) => toDiagnostic(m, 'warning', fileName)),
    ];
    const first = diagnostics[0];
    const frame =
      first === undefined
        ? ''
        : codeFrame(
            resolve(dir, first.file) === entry ? source : readOrEmpty(resolve(dir, first.file)),
            first.line,
            first.column,
          );
    throw new ModelCompileError(fileName, diagnostics, frame, { cause: error });
  }

  const durationMs = performance.now() - started;
  let code = '';
  let mapText = '';
  for (const file of result.outputFiles) {
    if (file.path.endsWith('.map')) {
      mapText = file.text;
    } else {
      code = file.text;
    }
  }
  const hash = createHash('sha256').update(code).update(mapText).digest('hex').slice(0, 12);
  return {
    code,
    map: JSON.parse(mapText) as SourceMapJson,
    warnings: result.warnings.map((m) => toDiagnostic(m, 'warning', fileName)),
    durationMs,
    fileName,
    outputFile: `${stem}.${hash}.mjs`,
    imports: externalImports(result.metafile),
  };
}

/**
 * Serves `source` as the file at `path` (which need not exist), so that its relative imports,
 * diagnostics and source map all see it where the job puts it. (esbuild's `stdin` would name it
 * relative to its `resolveDir`, not to the job's folder.)
 */
function sourceAt(path: string, source: string): Plugin {
  return {
    name: 'tfstream-model-source',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^tfstream:model-entry$/ }, () => ({ path }));
      pluginBuild.onLoad({ filter: /.*/ }, (args) =>
        args.path === path
          ? { contents: source, loader: 'ts', resolveDir: dirname(path) }
          : undefined,
      );
    },
  };
}

/** A bundled file's text for a code frame; none when it cannot be read. */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** esbuild counts columns in UTF-8 bytes from 0; editors and V8 count UTF-16 units from 1. */
function utf16Column(lineText: string, byteColumn: number): number {
  const bytes = new TextEncoder().encode(lineText);
  return new TextDecoder().decode(bytes.subarray(0, byteColumn)).length + 1;
}

function toDiagnostic(
  message: Message,
  severity: 'error' | 'warning',
  fileName: string,
): CompileDiagnostic {
  const location = message.location;
  const notes = message.notes
    .map((note) => note.text)
    // Advice for people who configure esbuild; the job cannot mark paths external.
    .filter((note) => !note.startsWith('You can mark the path'));
  const unresolved = /^Could not resolve "([^./][^"]*)"$/.exec(message.text);
  if (unresolved !== null) {
    notes.push(
      `install the package where the job is (npm install ${packageName(unresolved[1]!)}); packages other than ${EXTERNAL_PACKAGES.join(' and ')} are bundled into the model`,
    );
  }
  const text = [message.text, ...notes].join('; ');
  if (location === null) {
    return { file: fileName, line: 1, column: 1, endColumn: 1, severity, message: text };
  }
  const column = utf16Column(location.lineText, location.column);
  return {
    file: location.file,
    line: location.line,
    column,
    endColumn: utf16Column(location.lineText, location.column + location.length),
    severity,
    message: text,
  };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function externalImports(metafile: Metafile): ModelImport[] {
  const seen = new Set<string>();
  const out: ModelImport[] = [];
  for (const output of Object.values(metafile.outputs)) {
    for (const record of output.imports) {
      if (record.external !== true || isBuiltin(record.path)) {
        continue;
      }
      const dynamic = record.kind === 'dynamic-import';
      const key = `${record.path}\0${dynamic}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ name: packageName(record.path), specifier: record.path, dynamic });
      }
    }
  }
  return out;
}
