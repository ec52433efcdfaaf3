import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, modelArtifacts, tf } from '@tfstream/sdk';
import { readSavedModel, writeSavedModel } from './saved-model.js';

const folders: string[] = [];

beforeAll(async () => {
  await initEngine();
});

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('saved models', () => {
  it('reads back a model it saved, and tfjs loads it with the same weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tfstream-model-'));
    folders.push(dir);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const path = await writeSavedModel(join(dir, 'model'), await modelArtifacts(model));
    expect(path).toBe(join(dir, 'model', 'model.json'));
    for (const location of [join(dir, 'model'), path]) {
      const artifacts = await readSavedModel(location);
      const copy = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      expect(copy.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
        model.getWeights().map((w) => Array.from(w.dataSync())),
      );
      copy.dispose();
    }
    model.dispose();
  });

  it('answers undefined when there is no saved model', async () => {
    await expect(readSavedModel(join(tmpdir(), 'tfstream-no-such-model'))).resolves.toBeUndefined();
  });
});
