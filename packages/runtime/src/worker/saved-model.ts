import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TfstreamError } from '@tfstream/schema';
import { tf } from '@tfstream/sdk';

/** The file name of a saved model's topology and weights manifest. */
export const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
let temporaries = 0;

/**
 * Writes tfjs `ModelArtifacts` into `dir` in the TensorFlow.js layers-model format
 * (`model.json` with a `weightsManifest`, and `weights.bin`), as `tf.io` file handlers and
 * `tensorflowjs_converter` do, so that `tf.loadLayersModel('file://…/model.json')` reads it.
 * Each file is written to a temporary name and renamed; `model.json` last.
 * @throws `IO_ERROR` naming the folder when it cannot be written.
 */
export async function writeSavedModel(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
): Promise<string> {
  const path = join(dir, MODEL_JSON);
  const weightData =
    artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'tfstream',
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
    ...(artifacts.userDefinedMetadata === undefined
      ? {}
      : { userDefinedMetadata: artifacts.userDefinedMetadata }),
  };
  try {
    await mkdir(dir, { recursive: true });
    await atomicWrite(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
    await atomicWrite(path, JSON.stringify(modelJson));
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `could not save the model to ${dir}: ${(error as Error).message}; check that the run folder is writable`,
      { file: path },
      { cause: error },
    );
  }
  return path;
}

/**
 * Reads a TensorFlow.js layers model saved by {@link writeSavedModel} or by tfjs itself:
 * `path` is its `model.json` or the folder holding it. Resolves `undefined` when there is none.
 * @throws `IO_ERROR` naming the file when it exists but cannot be read.
 */
export async function readSavedModel(path: string): Promise<tf.io.ModelArtifacts | undefined> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) {
      file = join(path, MODEL_JSON);
    }
    await stat(file);
  } catch {
    return undefined;
  }
  try {
    const modelJson = JSON.parse(await readFile(file, 'utf8')) as tf.io.ModelJSON;
    return await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const buffers = await Promise.all(
        manifest.flatMap((group) =>
          group.paths.map(async (p) => {
            const bytes = await readFile(join(dirname(file), p));
            return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
          }),
        ),
      );
      return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
    });
  } catch (error) {
    throw new TfstreamError(
      'IO_ERROR',
      `could not read the saved model: ${(error as Error).message}; is it a TensorFlow.js model.json with its weight files?`,
      { file },
      { cause: error },
    );
  }
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}-${++temporaries}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}
