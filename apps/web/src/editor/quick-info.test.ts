import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { quickInfoMarkdown, type QuickInfo } from './quick-info';

const SOURCE = `
/** Rows per batch. */
export const batchSize = 32;

/**
 * Defines a model: see {@link batchSize} and {@link batchSize | the batch size}.
 *
 * @param spec - what the model is
 * @throws TfstreamError \`MODEL_INVALID\` when a part is missing
 * @example
 * \`\`\`ts
 * export default defineModel({
 *   epochs: 2,
 * });
 * \`\`\`
 * @example
 * defineModel({ epochs: 1 });
 */
export function defineModel(spec: { epochs: number }): void {}

defineModel({ epochs: 3 });
`;

/** TypeScript's quick info at the last occurrence of `word` in {@link SOURCE}, for real. */
function quickInfoAt(word: string): QuickInfo {
  const file = '/model.ts';
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => ({ noLib: true, target: ts.ScriptTarget.ES2022 }),
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: (name) => (name === file ? ts.ScriptSnapshot.fromString(SOURCE) : undefined),
    getCurrentDirectory: () => '/',
    getDefaultLibFileName: () => 'lib.d.ts',
    fileExists: (name) => name === file,
    readFile: (name) => (name === file ? SOURCE : undefined),
  };
  const service = ts.createLanguageService(host);
  const info = service.getQuickInfoAtPosition(file, SOURCE.lastIndexOf(word) + 1);
  service.dispose();
  if (info === undefined) {
    throw new Error(`no quick info for ${word}`);
  }
  return info;
}

describe('quickInfoMarkdown', () => {
  const { signature, documentation } = quickInfoMarkdown(quickInfoAt('defineModel'));

  it('puts the signature in a TypeScript code block', () => {
    expect(signature).toBe(
      '```typescript\nfunction defineModel(spec: {\n    epochs: number;\n}): void\n```',
    );
  });

  it('keeps the summary and shows links as code', () => {
    expect(documentation).toMatch(
      /^Defines a model: see `batchSize` and `the batch size`\.\n\n\*@param\* `spec` — what the model is\n\n/,
    );
  });

  it('keeps the text of other tags', () => {
    expect(documentation).toContain('*@throws* — TfstreamError `MODEL_INVALID` when a part');
  });

  it('renders an example with fences as its own code block, line by line', () => {
    expect(documentation).toContain(
      '*@example*\n\n```ts\nexport default defineModel({\n  epochs: 2,\n});\n```',
    );
  });

  it('puts an example without fences into a TypeScript code block', () => {
    expect(documentation).toMatch(
      /\*@example\*\n\n```typescript\ndefineModel\(\{ epochs: 1 \}\);\n```$/,
    );
  });

  it('has no documentation part for a symbol without TSDoc', () => {
    const local = quickInfoMarkdown({
      textSpan: { start: 0, length: 1 },
      displayParts: [{ text: 'const x: number', kind: 'text' }],
    });
    expect(local).toEqual({ signature: '```typescript\nconst x: number\n```', documentation: '' });
  });
});
