import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeFrame } from './code-frame.js';
import { compileModel } from './compile.js';
import { loadModelModule } from './load-model.js';
import type { UserCodeError } from './map-error.js';
import { mapErrorToSource } from './map-error.js';

const scratch = mkdtempSync(join(tmpdir(), 'tfstream-map-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;

/** Compiles and loads `source` as the job's model.ts, and returns its exports and the model. */
async function load(source: string, dir = scratch) {
  const compiled = await compileModel(source, { fileName: 'model.ts', dir });
  const loaded = await loadModelModule(compiled, { dir: join(scratch, 'runs', String(runs++)) });
  return { compiled, exports: loaded.exports as Record<string, (...args: unknown[]) => unknown> };
}

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the model code to throw');
}

describe('mapErrorToSource', () => {
  it('maps a throw on user line 7 back to line 7 and its column', async () => {
    const source = [
      '// A model whose training step fails.', // 1
      'interface Batch { size: number; rows: number[][] }', // 2
      'type Rate = number;', // 3
      '', // 4
      'export function train(batch: Batch, rate: Rate = 0.1): number {', // 5
      '  if (batch.size > 0) {', // 6
      '    throw new Error(`boom at rate ${rate}`);', // 7: `new` is in column 11
      '  }', // 8
      '  return rate;', // 9
      '}', // 10
    ].join('\n');
    const { compiled, exports } = await load(source);
    const error = mapErrorToSource(
      await caught(() => exports.train!({ size: 1, rows: [] })),
      compiled,
    );
    expect(error.code).toBe('USER_CODE_ERROR');
    expect(error.message).toBe('USER_CODE_ERROR: model.ts:7:11: Error: boom at rate 0.1');
    expect(error.position).toEqual({ file: 'model.ts', line: 7, column: 11 });
    // V8 names a function called on the module namespace `Module.train`.
    expect(error.frames[0]).toEqual({
      functionName: 'Module.train',
      async: false,
      file: 'model.ts',
      line: 7,
      column: 11,
      mapped: true,
    });
    expect(error.codeFrame).toBe(
      [
        '  5 | export function train(batch: Batch, rate: Rate = 0.1): number {',
        '  6 |   if (batch.size > 0) {',
        '> 7 |     throw new Error(`boom at rate ${rate}`);',
        '    |           ^',
        '  8 |   }',
        '  9 |   return rate;',
      ].join('\n'),
    );
    expect(error.stack).toMatch(
      /^USER_CODE_ERROR: model\.ts:7:11: Error: boom at rate 0\.1\n\n {2}5 \| [^]*\n\n {4}at Module\.train \(model\.ts:7:11\)\n/,
    );
    expect((error.cause as Error).message).toBe('boom at rate 0.1');
  });

  it('maps a throw in an async function, after an await, with its awaiting callers', async () => {
    const source = [
      'const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));', // 1
      '', // 2
      'async function step(values: readonly number[]): Promise<number> {', // 3
      '  await tick();', // 4
      '  let sum = 0;', // 5
      '  for (const v of values) sum += v;', // 6
      '  if (sum > 2) throw new RangeError(`sum ${sum} is too large`);', // 7: `new` at 22
      '  return sum;', // 8
      '}', // 9
      '', // 10
      'export async function train(): Promise<number> {', // 11
      '  return await step([1, 2]);', // 12: `await` at 10
      '}', // 13
    ].join('\n');
    const { compiled, exports } = await load(source);
    const error = mapErrorToSource(await caught(() => exports.train!()), compiled);
    expect(error.message).toBe('USER_CODE_ERROR: model.ts:7:22: RangeError: sum 3 is too large');
    const mapped = error.frames.filter((frame) => frame.mapped);
    expect(mapped).toEqual([
      { functionName: 'step', async: false, file: 'model.ts', line: 7, column: 22, mapped: true },
      {
        functionName: 'Module.train',
        async: true,
        file: 'model.ts',
        line: 12,
        column: 10, // V8 gives an awaiting caller's `await`
        mapped: true,
      },
    ]);
  });

  it('maps a throw in a nested helper, and each caller on the way out', async () => {
    const source = [
      'class Normalizer {', // 1
      '  constructor(private readonly scale: number) {}', // 2
      '  apply(x: number): number {', // 3
      '    return check(x) / this.scale;', // 4: `check` at 12
      '  }', // 5
      '}', // 6
      "function check(x: number): number { if (Number.isNaN(x)) { throw new TypeError('NaN feature'); } return x; }", // 7
      '', // 8
      'export function predict(xs: number[]): number[] {', // 9
      '  const n = new Normalizer(2);', // 10
      '  return xs.map((x) => n.apply(x));', // 11: `n.apply` at 26 (`apply` at 28), `xs.map` at 13
      '}', // 12
    ].join('\n');
    const { compiled, exports } = await load(source);
    const error = mapErrorToSource(await caught(() => exports.predict!([1, NaN])), compiled);
    const column = source.split('\n')[6]!.indexOf('new TypeError') + 1;
    expect(error.message).toBe(`USER_CODE_ERROR: model.ts:7:${column}: TypeError: NaN feature`);
    expect(error.frames.filter((f) => f.mapped).map((f) => [f.line, f.column])).toEqual([
      [7, column],
      [4, 12],
      [11, 26],
      [11, 13],
    ]);
  });

  it('maps a throw in a bundled file to that file', async () => {
    const dir = join(scratch, 'job-with-helper');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    writeFileSync(
      join(dir, 'lib', 'features.ts'),
      [
        'export interface Row { [field: string]: number | null }', // 1
        '', // 2
        'export function feature(row: Row, name: string): number {', // 3
        '  const value = row[name];', // 4
        '  if (value === null || value === undefined) {', // 5
        '    throw new Error(`field "${name}" is missing`);', // 6
        '  }', // 7
        '  return value;', // 8
        '}', // 9
      ].join('\n'),
    );
    const source = [
      "import { feature, type Row } from './lib/features.js';",
      'export const first = (row: Row): number => feature(row, "age");',
    ].join('\n');
    const { compiled, exports } = await load(source, dir);
    const error = mapErrorToSource(await caught(() => exports.first!({})), compiled);
    expect(error.message).toBe(
      'USER_CODE_ERROR: lib/features.ts:6:11: Error: field "age" is missing',
    );
    expect(error.codeFrame).toContain('> 6 |     throw new Error(`field "${name}" is missing`);');
    expect(error.frames.filter((f) => f.mapped).map((f) => `${f.file}:${f.line}`)).toEqual([
      'lib/features.ts:6',
      'model.ts:2',
    ]);
  });

  it('maps an exception thrown while the module loads', async () => {
    const source = [
      'const config: Record<string, number> = {};', // 1
      'const units = config.units;', // 2
      'if (units === undefined) {', // 3
      "  throw new Error('hyperparameter units is missing');", // 4
      '}', // 5
      'export default units;',
    ].join('\n');
    const compiled = await compileModel(source, { dir: scratch });
    const error = (await caught(() =>
      loadModelModule(compiled, { dir: join(scratch, 'runs', 'top-level') }),
    )) as UserCodeError;
    expect(error.message).toBe(
      'USER_CODE_ERROR: model.ts:4:9: Error: hyperparameter units is missing',
    );
    expect(error.frames[0]).toMatchObject({ line: 4, column: 9, mapped: true });
    expect(error.frames[0]!.functionName).toBeUndefined();
  });

  it('says what to do when the model throws something that is not an Error', async () => {
    const { compiled, exports } = await load("export function train(): void { throw 'oops'; }");
    const error = mapErrorToSource(await caught(() => exports.train!()), compiled);
    expect(error.message).toBe(
      'USER_CODE_ERROR: model.ts: threw "oops", which is not an Error and so has no stack; throw new Error(...) instead',
    );
    expect(error.position).toBeUndefined();
    expect(error.codeFrame).toBe('');
  });

  it('leaves frames outside the model as they are, and returns a mapped error as it is', async () => {
    const { compiled, exports } = await load(
      'export function parse(text: string): unknown {\n  return JSON.parse(text);\n}\n',
    );
    const error = mapErrorToSource(await caught(() => exports.parse!('{')), compiled);
    expect(error.message).toMatch(/^USER_CODE_ERROR: model\.ts:2:15: SyntaxError: /);
    const outside = error.frames.filter((frame) => !frame.mapped);
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.some((frame) => frame.file.includes('map-error.test.ts'))).toBe(true);
    expect(mapErrorToSource(error, compiled)).toBe(error);
  });
});

describe('codeFrame', () => {
  it('keeps tabs so that the caret lines up, and trims at the edges of the file', () => {
    expect(codeFrame('a\n\tb = 1;\nc', 2, 3)).toBe(
      ['  1 | a', '> 2 | \tb = 1;', '    | \t ^', '  3 | c'].join('\n'),
    );
    expect(codeFrame('one line', 2, 1)).toBe('');
  });
});
