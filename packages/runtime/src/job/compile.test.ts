import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTfstreamError } from '@tfstream/schema';
import type { ModelCompileError } from './compile.js';
import { compileModel } from './compile.js';
import { loadModelModule } from './load-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'tfstream-compile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function compileError(source: string, dir = scratch): Promise<ModelCompileError> {
  try {
    await compileModel(source, { fileName: 'model.ts', dir });
  } catch (error) {
    if (isTfstreamError(error, 'COMPILE_ERROR')) {
      return error as ModelCompileError;
    }
    throw error;
  }
  throw new Error('expected a COMPILE_ERROR');
}

/** A realistic model of exactly `lines` lines: types, a class, generics, an enum, helpers. */
function modelOfLines(lines: number): string {
  const head = [
    "import * as tf from '@tensorflow/tfjs';",
    "import type { Schema } from '@tfstream/schema';",
    '',
    'enum Phase { Warmup, Steady, Cooldown }',
    '',
    'export interface Hyperparameters { learningRate: number; units: number }',
    '',
  ];
  const body: string[] = [];
  let n = 0;
  while (head.length + body.length + 8 <= lines) {
    body.push(
      `export function layer${n}<T extends { units: number }>(hp: T, phase: Phase): tf.layers.Layer {`,
      `  const units: number = phase === Phase.Warmup ? hp.units : hp.units * ${n + 1};`,
      `  const name = \`dense_${n}_\${Phase[phase]}\` as const;`,
      `  return tf.layers.dense({ units, name, activation: 'relu' });`,
      '}',
      '',
    );
    n++;
  }
  const tail = [
    'export function fieldCount(schema: Schema): number {',
    '  return schema.fields.length;',
    '}',
  ];
  const source = [...head, ...body, ...tail];
  while (source.length < lines) {
    source.push('// padding');
  }
  return source.join('\n') + '\n';
}

describe('compileModel', () => {
  it('compiles TypeScript-only syntax: types, interfaces, generics, enums, namespaces, casts', async () => {
    const source = [
      'type Pair<A, B> = readonly [A, B];',
      'interface Scaler { scale(x: number): number }',
      'enum Kind { Linear = 1, Square }',
      'const enum Flag { On = 3 }',
      'namespace Util { export const twice = (x: number): number => x * 2; }',
      'abstract class Base<T> implements Scaler {',
      '  constructor(protected readonly factor: T) {}',
      '  abstract scale(x: number): number;',
      '}',
      'class Times extends Base<number> {',
      '  override scale(x: number): number { return x * this.factor; }',
      '}',
      'function first<T>(items: readonly T[]): T | undefined { return items[0]; }',
      'export function run(): Pair<number, string> {',
      '  const s = new Times(Util.twice(Kind.Square)) satisfies Scaler;',
      '  const n = first<number>([s.scale(Flag.On)])! as number;',
      '  return [n, Kind[Kind.Linear]];',
      '}',
      '',
    ].join('\n');
    const compiled = await compileModel(source, { fileName: 'model.ts', dir: scratch });
    expect(compiled.code).not.toMatch(/interface|implements|satisfies/);
    expect(compiled.map.sources).toEqual(['model.ts']);
    expect(compiled.map.sourcesContent).toEqual([source]);
    expect(compiled.outputFile).toMatch(/^model\.[0-9a-f]{12}\.mjs$/);
    const loaded = await loadModelModule(compiled, { dir: join(scratch, 'run-ts-only') });
    expect((loaded.exports.run as () => unknown)()).toEqual([12, 'Linear']);
  });

  it('reports a syntax error with its exact line and column, counting UTF-16 units', async () => {
    const source = [
      '// Modèle: a comment with non-ASCII text before the error', // line 1
      'export function train(): number {', // line 2
      "  const naïve = 'ü'; const x: = 3;", // line 3: the stray '=' is in column 31
      '  return x;',
      '}',
    ].join('\n');
    const error = await compileError(source);
    expect(error.message).toBe('COMPILE_ERROR: model.ts:3:31: Unexpected "="');
    expect(error.diagnostics).toEqual([
      {
        file: 'model.ts',
        line: 3,
        column: 31,
        endColumn: 32,
        severity: 'error',
        message: 'Unexpected "="',
      },
    ]);
    expect(error.codeFrame).toBe(
      [
        '  1 | // Modèle: a comment with non-ASCII text before the error',
        '  2 | export function train(): number {',
        "> 3 |   const naïve = 'ü'; const x: = 3;",
        '    |                               ^',
        '  4 |   return x;',
        '  5 | }',
      ].join('\n'),
    );
    expect(error.stack).toContain(error.codeFrame);
  });

  it('lists every error for the editor, and names the bundled file each is in', async () => {
    const dir = join(scratch, 'job-with-lib');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    writeFileSync(join(dir, 'lib', 'broken.ts'), 'export const a = 1;\nexport const b = ;\n');
    const source = [
      "import { a } from './lib/broken';",
      "import { c } from './lib/missing';",
      "import lodash from 'lodash-not-installed';",
      'export const sum = a + c + lodash;',
    ].join('\n');
    const error = await compileError(source, dir);
    expect(error.diagnostics.map(({ file, line, column }) => ({ file, line, column }))).toEqual(
      expect.arrayContaining([
        { file: 'model.ts', line: 2, column: 19 },
        { file: 'model.ts', line: 3, column: 20 },
        { file: 'lib/broken.ts', line: 2, column: 18 },
      ]),
    );
    expect(error.message).toMatch(/^COMPILE_ERROR: [\w/.]+\.ts:\d+:\d+: .+ \(and 2 more errors\)$/);
    expect(error.diagnostics.find((d) => d.line === 3)?.message).toBe(
      'Could not resolve "lodash-not-installed"; install the package where the job is (npm install lodash-not-installed); packages other than @tfstream/* and @tensorflow/* are bundled into the model',
    );
  });

  it('keeps @tfstream, @tensorflow and Node built-in imports as imports, and lists packages', async () => {
    const source = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { SDK_VERSION } from '@tfstream/sdk';",
      "import { join } from 'node:path';",
      "export const load = () => import('@tensorflow/tfjs-node');",
      'export const parts = [tf.version, SDK_VERSION, join("a", "b")];',
    ].join('\n');
    const compiled = await compileModel(source, { dir: scratch });
    expect(compiled.code).toContain('from "@tensorflow/tfjs"');
    expect(compiled.code).toContain('from "@tfstream/sdk"');
    expect(compiled.code).toContain('from "node:path"');
    expect(compiled.imports).toEqual(
      expect.arrayContaining([
        { name: '@tensorflow/tfjs', specifier: '@tensorflow/tfjs', dynamic: false },
        { name: '@tfstream/sdk', specifier: '@tfstream/sdk', dynamic: false },
        { name: '@tensorflow/tfjs-node', specifier: '@tensorflow/tfjs-node', dynamic: true },
      ]),
    );
    expect(compiled.imports).toHaveLength(3);
  });

  it('compiles a 200-line model in less than 200 ms', async () => {
    const source = modelOfLines(200);
    expect(source.split('\n')).toHaveLength(201);
    await compileModel('export {};', { dir: scratch }); // esbuild's service starts once per process
    const started = performance.now();
    const compiled = await compileModel(source, { fileName: 'model.ts', dir: scratch });
    const elapsed = performance.now() - started;
    expect(compiled.warnings).toEqual([]);
    expect(compiled.durationMs).toBeLessThan(200);
    expect(elapsed).toBeLessThan(200);
  });
});
