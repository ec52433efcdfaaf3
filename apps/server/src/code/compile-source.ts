// `POST /api/compile`: model code compiled as a run would compile it (esbuild parses and bundles;
// nothing runs), its diagnostics positioned in the given source for the editor's markers.
import { performance } from 'node:perf_hooks';
import type { CompileDiagnostic as RuntimeDiagnostic } from '@tfstream/runtime';
import { ModelCompileError, compileModel } from '@tfstream/runtime';
import type { CompileDiagnostic, CompileResponse } from '@tfstream/studio-api';

const FILE_NAME = 'model.ts';

function diagnostic(d: RuntimeDiagnostic): CompileDiagnostic {
  return {
    severity: d.severity,
    // A problem in a file the model imports is marked at the top, naming the file and place.
    message: d.file === FILE_NAME ? d.message : `${d.file}:${d.line}:${d.column}: ${d.message}`,
    line: d.file === FILE_NAME ? d.line : 1,
    column: d.file === FILE_NAME ? d.column : 1,
    endLine: d.file === FILE_NAME ? d.line : 1,
    endColumn: d.file === FILE_NAME ? Math.max(d.endColumn, d.column) : 1,
  };
}

/** Compiles `source` as `model.ts` of a job in `home`. */
export async function compileSource(source: string, home: string): Promise<CompileResponse> {
  const started = performance.now();
  try {
    const compiled = await compileModel(source, { fileName: FILE_NAME, dir: home });
    return {
      ok: true,
      diagnostics: compiled.warnings.map(diagnostic),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (error instanceof ModelCompileError) {
      return {
        ok: false,
        diagnostics: error.diagnostics.map(diagnostic),
        durationMs: Math.round(performance.now() - started),
      };
    }
    throw error;
  }
}
