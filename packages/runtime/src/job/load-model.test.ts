import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from './compile.js';
import { loadJob } from './job-document.js';
import { loadModelModule } from './load-model.js';
import { FIXTURES_DIR } from './test-support/job-examples.js';

// Run folders outside the repository: resolution must not depend on node_modules above them.
const scratch = mkdtempSync(join(tmpdir(), 'tfstream-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = promisify(execFile);
const repo = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '../../../..'));

describe('loadModelModule', () => {
  it('imports @tfstream/sdk from a run folder outside the repository, in a plain Node process', async () => {
    // Vitest runs with the `source` export condition, under which @tfstream/sdk is TypeScript that
    // Node cannot import; a role process has no such condition, so the check runs in one.
    const dir = join(scratch, 'runs', 'sdk');
    const script = join(repo, 'packages/runtime/src/job/test-support/load-in-node.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, dir], {
      cwd: repo,
    });
    const result = JSON.parse(stdout) as { sdkUrl: string; sdkExports: string[]; message: string };
    expect(lstatSync(join(dir, 'node_modules', '@tfstream', 'sdk')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'node_modules', '@tensorflow', 'tfjs')).isSymbolicLink()).toBe(true);
    expect(result.sdkUrl).toBe(pathToFileURL(join(repo, 'packages/sdk/dist/index.js')).href);
    expect(result.sdkExports.length).toBeGreaterThan(0);
    expect(result.message).toBe('USER_CODE_ERROR: model.ts:7:9: Error: boom in tfjs 4.22.0');
  });

  it('writes the module and its source map into the run folder', async () => {
    const compiled = await compileModel('export const answer: number = 42;', { dir: scratch });
    const dir = join(scratch, 'runs', 'files');
    const loaded = await loadModelModule(compiled, { dir });
    expect(loaded.path).toBe(join(dir, compiled.outputFile));
    expect(loaded.url).toBe(pathToFileURL(loaded.path).href);
    expect(loaded.exports.answer).toBe(42);
    expect(readFileSync(loaded.path, 'utf8')).toBe(compiled.code);
    expect(JSON.parse(readFileSync(`${loaded.path}.map`, 'utf8'))).toEqual(compiled.map);
  });

  it('runs the penguin model against the same TensorFlow.js instance as the runtime', async () => {
    const job = loadJob(join(FIXTURES_DIR, 'penguin-train', 'job.json'));
    const compiled = await compileModel(job.model.source, {
      fileName: job.model.fileName,
      dir: job.dir,
    });
    expect(compiled.imports).toEqual([
      { name: '@tensorflow/tfjs', specifier: '@tensorflow/tfjs', dynamic: false },
    ]);
    const loaded = await loadModelModule(compiled, { dir: join(scratch, 'runs', 'penguin') });
    const createModel = loaded.exports.createModel as (hp: object) => tf.LayersModel;
    const model = createModel(job.hyperparameters);
    // One engine: the model's layers are the runtime's classes, and its tensors the runtime's.
    expect(model).toBeInstanceOf(tf.LayersModel);
    const probabilities = tf.tidy(() => model.predict(tf.zeros([2, 4])) as tf.Tensor);
    expect(probabilities.shape).toEqual([2, 3]);
    const sums = (await probabilities.sum(1).array()) as number[];
    expect(sums.map((sum) => Math.round(sum * 1000) / 1000)).toEqual([1, 1]);
    probabilities.dispose();
    model.dispose();
  });

  it('bundles the model files of the online sensors job and runs them', async () => {
    const job = loadJob(join(FIXTURES_DIR, 'online-sensors', 'job.json'));
    const compiled = await compileModel(job.model.source, {
      fileName: job.model.fileName,
      dir: job.dir,
    });
    expect([...compiled.map.sources].sort()).toEqual(['model/anomaly.ts', 'model/standardize.ts']);
    const loaded = await loadModelModule(compiled, { dir: join(scratch, 'runs', 'sensors') });
    const model = (loaded.exports.createModel as (rate: number) => tf.LayersModel)(0.001);
    const score = loaded.exports.score as (m: tf.LayersModel, x: tf.Tensor2D) => tf.Tensor1D;
    const scores = score(model, tf.randomNormal([5, 8], 0, 1, 'float32', 7) as tf.Tensor2D);
    expect(scores.shape).toEqual([5]);
    scores.dispose();
    model.dispose();
  });

  it('names the import line when a statically imported package cannot be found', async () => {
    const source = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { node } from '@tensorflow/tfjs-not-a-package';",
      'export const backends = [tf.getBackend(), node];',
    ].join('\n');
    const compiled = await compileModel(source, { dir: scratch });
    const dir = join(scratch, 'runs', 'missing');
    await expect(loadModelModule(compiled, { dir })).rejects.toThrow(
      /^USER_CODE_ERROR: model\.ts:2:22: cannot find package "@tensorflow\/tfjs-not-a-package" where the tfstream runtime is installed \(.+\); install it there, e\.g\. npm install @tensorflow\/tfjs-not-a-package$/,
    );
    await expect(loadModelModule(compiled, { dir })).rejects.toMatchObject({
      code: 'USER_CODE_ERROR',
      position: { file: 'model.ts', line: 2, column: 22 },
      codeFrame: expect.stringContaining('> 2 | import { node }') as unknown,
    });
  });

  it('lets the model catch a failed import() of an optional package', async () => {
    const source = [
      'export async function backend(): Promise<string> {',
      '  try {',
      "    await import('@tensorflow/tfjs-node-not-installed');",
      "    return 'tensorflow';",
      '  } catch {',
      "    return 'cpu';",
      '  }',
      '}',
    ].join('\n');
    const compiled = await compileModel(source, { dir: scratch });
    const loaded = await loadModelModule(compiled, { dir: join(scratch, 'runs', 'optional') });
    await expect((loaded.exports.backend as () => Promise<string>)()).resolves.toBe('cpu');
    expect(existsSync(join(scratch, 'runs', 'optional', 'node_modules', '@tensorflow'))).toBe(
      false,
    );
  });

  it('loads the same module again from the same run folder', async () => {
    const compiled = await compileModel('export const state = { calls: 0 };', { dir: scratch });
    const dir = join(scratch, 'runs', 'twice');
    const first = await loadModelModule(compiled, { dir });
    (first.exports.state as { calls: number }).calls++;
    const second = await loadModelModule(compiled, { dir });
    expect(second.exports).toBe(first.exports);
    expect((second.exports.state as { calls: number }).calls).toBe(1);
  });
});
