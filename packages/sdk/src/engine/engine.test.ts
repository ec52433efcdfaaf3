import { describe, expect, it } from 'vitest';
import { isTfstreamError } from '@tfstream/schema';
import { currentEngine, initEngine } from './engine.js';
import { isTfjsNodeInstalled, wasmDirectory } from '../node/node-engine.js';

describe('initEngine', () => {
  it('picks wasm when tfjs-node is not installed, and says why', async () => {
    expect(isTfjsNodeInstalled()).toBe(false);
    const engine = await initEngine();
    expect(engine.backend).toBe('wasm');
    expect(engine.tfBackend).toBe('wasm');
    expect(engine.tf.getBackend()).toBe('wasm');
    expect(engine.detail).toMatch(/^wasm \(/);
    expect(engine.detail).toContain('because node: @tensorflow/tfjs-node is not installed');
    expect(engine.detail).toContain('single-threaded');
    expect(engine.detail).toContain(wasmDirectory());
    expect(engine.attempts.map((a) => [a.backend, a.ok])).toEqual([
      ['node', false],
      ['wasm', true],
    ]);
    expect(engine.tf.add(engine.tf.tensor1d([1, 2]), 1).arraySync()).toEqual([2, 3]);
  });

  it('is idempotent and refuses a second, different backend', async () => {
    const first = await initEngine();
    expect(await initEngine({ backend: 'auto' })).toBe(first);
    expect(await initEngine({ backend: 'wasm' })).toBe(first);
    expect(currentEngine()).toBe(first);
    const error = await initEngine({ backend: 'cpu' }).catch((e: unknown) => e);
    expect(isTfstreamError(error, 'ENGINE_ERROR')).toBe(true);
    await expect(initEngine({ backend: 'cpu' })).rejects.toThrow(/wasm backend already runs/);
  });
});
