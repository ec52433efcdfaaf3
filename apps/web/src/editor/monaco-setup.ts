// Monaco, bundled (no CDN): the editor and TypeScript workers through Vite `?worker` imports,
// compiler options under which `import * as tf from '@tensorflow/tfjs'` resolves, the server's
// typings for @tfstream/sdk and @tensorflow/tfjs as extra libs, and a hover that shows their TSDoc
// (examples as code). Loaded on demand.
import { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import { api, errorText } from '../lib/api';
import { quickInfoMarkdown, type QuickInfo } from './quick-info';

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
// Our hover instead of Monaco's, which runs an `@example` into one line (see quick-info.ts).
ts.typescriptDefaults.setModeConfiguration({
  ...ts.typescriptDefaults.modeConfiguration,
  hovers: false,
});

export const MODEL_URI = 'file:///model.ts';

async function typeScriptWorker(uri: monaco.Uri) {
  const getWorker = await ts.getTypeScriptWorker();
  return getWorker(uri);
}

monaco.languages.registerHoverProvider('typescript', {
  async provideHover(model, position) {
    const worker = await typeScriptWorker(model.uri);
    if (model.isDisposed()) {
      return null;
    }
    const info = (await worker.getQuickInfoAtPosition(
      model.uri.toString(),
      model.getOffsetAt(position),
    )) as QuickInfo | undefined;
    if (info === undefined || model.isDisposed()) {
      return null;
    }
    const { signature, documentation } = quickInfoMarkdown(info);
    const start = model.getPositionAt(info.textSpan.start);
    const end = model.getPositionAt(info.textSpan.start + info.textSpan.length);
    return {
      range: monaco.Range.fromPositions(start, end),
      contents: [{ value: signature }, ...(documentation === '' ? [] : [{ value: documentation }])],
    };
  },
});

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
 * Type-checks the model in the TypeScript worker. The first check builds the worker's program
 * over the ~1 500 typing files, which takes seconds; until it has, a hover or a completion waits
 * behind it. The editor calls this once the typings are in, to say when types are checked.
 */
export async function checkTypes(): Promise<void> {
  const uri = monaco.Uri.parse(MODEL_URI);
  const worker = await typeScriptWorker(uri);
  await worker.getSemanticDiagnostics(uri.toString());
}

/** The model source compiled to CommonJS by the editor's TypeScript worker. */
export async function emitCommonJs(): Promise<string> {
  const uri = monaco.Uri.parse(MODEL_URI);
  const worker = await typeScriptWorker(uri);
  const output = await worker.getEmitOutput(uri.toString());
  const js = output.outputFiles.find((f) => f.name.endsWith('.js'));
  if (js === undefined) {
    throw new Error('TypeScript emitted no JavaScript for the model');
  }
  return js.text;
}

export { monaco };
