// Monaco, bundled (no CDN): the editor and TypeScript workers through Vite `?worker` imports,
// compiler options under which `import * as tf from '@tensorflow/tfjs'` resolves, and the
// server's typings for @tfstream/sdk and @tensorflow/tfjs as extra libs. Loaded on demand.
import { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import { api, errorText } from '../lib/api';

self.MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    return label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker();
  },
};

loader.config({ monaco });

const ts = monaco.typescript;

ts.typescriptDefaults.setCompilerOptions({
  target: ts.ScriptTarget.ES2020,
  lib: ['es2022', 'dom'],
  // CommonJS emit is what the dry run evaluates, with a `require` that maps the two packages.
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.NodeJs,
  esModuleInterop: true,
  allowSyntheticDefaultImports: true,
  strict: true,
  noEmit: false,
  skipLibCheck: true,
  allowNonTsExtensions: true,
  isolatedModules: true,
});
ts.typescriptDefaults.setDiagnosticsOptions({
  noSemanticValidation: false,
  noSyntaxValidation: false,
});
ts.typescriptDefaults.setEagerModelSync(true);

export const MODEL_URI = 'file:///model.ts';

/** Packages whose typings came without a package.json: point `types` at their entry file. */
function packageJsons(paths: readonly string[]): { path: string; content: string }[] {
  const byPackage = new Map<string, string[]>();
  for (const path of paths) {
    const match = /^file:\/\/\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(path);
    if (match !== null) {
      const list = byPackage.get(match[1]!) ?? [];
      list.push(match[2]!);
      byPackage.set(match[1]!, list);
    }
  }
  const out: { path: string; content: string }[] = [];
  for (const [name, files] of byPackage) {
    if (files.includes('package.json')) {
      continue;
    }
    const entry =
      ['index.d.ts', 'dist/index.d.ts', 'dist/tfjs.d.ts', 'dist/main.d.ts'].find((f) =>
        files.includes(f),
      ) ??
      files
        .filter((f) => f.endsWith('index.d.ts'))
        .sort((a, b) => a.split('/').length - b.split('/').length)[0];
    if (entry !== undefined) {
      out.push({
        path: `file:///node_modules/${name}/package.json`,
        content: JSON.stringify({ name, version: '0.0.0', types: entry }),
      });
    }
  }
  return out;
}

let typings: Promise<{ files: number; error?: string }> | undefined;

/** Loads GET /api/typings into the TypeScript service, once. */
export function loadTypings(): Promise<{ files: number; error?: string }> {
  typings ??= api.typings().then(
    (response) => {
      const files = [...response.files, ...packageJsons(response.files.map((f) => f.path))];
      ts.typescriptDefaults.setExtraLibs(
        files.map((f) => ({ filePath: f.path, content: f.content })),
      );
      return { files: response.files.length };
    },
    (error: unknown) => {
      typings = undefined;
      // Without the packages' types every import is an error; keep the syntax checks only.
      ts.typescriptDefaults.setDiagnosticsOptions({
        noSemanticValidation: true,
        noSyntaxValidation: false,
      });
      return { files: 0, error: errorText(error) };
    },
  );
  return typings;
}

/**
 * Errors in the model code, once the TypeScript worker has checked it (semantically too, when the
 * typings loaded). The worker answers in order, so this settles after the check it started when
 * the typings came: the editor's start-up is then over.
 */
export async function checkModel(semantic: boolean): Promise<number> {
  const uri = monaco.Uri.parse(MODEL_URI);
  const getWorker = await ts.getTypeScriptWorker();
  const worker = await getWorker(uri);
  const diagnostics = [
    ...(await worker.getSyntacticDiagnostics(uri.toString())),
    ...(semantic ? await worker.getSemanticDiagnostics(uri.toString()) : []),
  ];
  return diagnostics.filter((d) => d.category === 1).length;
}

/** The model source compiled to CommonJS by the editor's TypeScript worker. */
export async function emitCommonJs(): Promise<string> {
  const uri = monaco.Uri.parse(MODEL_URI);
  const getWorker = await ts.getTypeScriptWorker();
  const worker = await getWorker(uri);
  const output = await worker.getEmitOutput(uri.toString());
  const js = output.outputFiles.find((f) => f.name.endsWith('.js'));
  if (js === undefined) {
    throw new Error('TypeScript emitted no JavaScript for the model');
  }
  return js.text;
}

export { monaco };
