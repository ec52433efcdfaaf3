// Compiles, loads and runs a model in a plain Node process (no Vitest, no `source` condition), as
// a role process does, and prints what happened as JSON. Usage: load-in-node.ts <run folder>.
import { compileModel } from '../compile.js';
import { loadModelModule } from '../load-model.js';
import { mapErrorToSource } from '../map-error.js';

const SOURCE = [
  "import * as sdk from '@tfstream/sdk';", // 1
  "import * as tf from '@tensorflow/tfjs';", // 2
  '', // 3
  "export const sdkUrl: string = import.meta.resolve('@tfstream/sdk');", // 4
  'export const sdkExports: string[] = Object.keys(sdk);', // 5
  'export function train(): never {', // 6
  '  throw new Error(`boom in tfjs ${tf.version.tfjs}`);', // 7
  '}', // 8
].join('\n');

const dir = process.argv[2]!;
const compiled = await compileModel(SOURCE, { fileName: 'model.ts', dir });
const loaded = await loadModelModule(compiled, { dir });
let message = '';
try {
  (loaded.exports.train as () => never)();
} catch (error) {
  message = mapErrorToSource(error, compiled).message;
}
process.stdout.write(
  JSON.stringify({ sdkUrl: loaded.exports.sdkUrl, sdkExports: loaded.exports.sdkExports, message }),
);
