import { describe, expect, it } from 'vitest';
import type { StudioJob } from '@tfstream/studio-api';
import {
  MAX_LINK_LENGTH,
  decodeJob,
  encodeJob,
  fromBase64Url,
  jobLink,
  toBase64Url,
} from './job-link';

const job: StudioJob = {
  version: 1,
  name: 'sensor-anomaly',
  description: 'Ünïcödé survives — and so do "quotes" & emoji 🐧',
  mode: 'train',
  input: {
    source: { kind: 'synthetic', generator: 'sensors', count: 1000 },
    schema: { version: 1, fields: [{ name: 'temp', type: 'float32' }] },
  },
  transfer: { mode: 'micro-batch', batchSize: 64, lingerMs: 20 },
  hyperparameters: { learningRate: 0.01, deep: true, activation: 'relu' },
  model: { language: 'typescript', source: "import * as tf from '@tensorflow/tfjs';\n".repeat(20) },
};

describe('job in a link', () => {
  it('round-trips a job through deflate-raw and base64url', async () => {
    const encoded = await encodeJob(job);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await decodeJob(encoded)).toEqual(job);
  });

  it('compresses repetitive model code', async () => {
    expect((await encodeJob(job)).length).toBeLessThan(JSON.stringify(job).length / 2);
  });

  it('round-trips every byte value through base64url', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
  });

  it('names a damaged link instead of throwing a zlib error', async () => {
    await expect(decodeJob('not-a-job')).rejects.toThrow(/damaged/);
  });

  it('offers no link for a job too big for a URL', async () => {
    const random = Array.from({ length: 40_000 }, () => Math.random().toString(36)).join('');
    const big = { ...job, model: { source: random } };
    expect(await jobLink(big, 'http://x')).toBeUndefined();
    expect((await jobLink(job, 'http://x'))!.length).toBeLessThan(MAX_LINK_LENGTH);
  });
});
