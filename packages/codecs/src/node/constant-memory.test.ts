import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const STREAM_MB = 400;
const PEAK_RSS_LIMIT = 220e6;

function decodeInChild(
  format: string,
): Promise<{ records: number; bytes: number; maxRssBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        join(here, 'test-support/stream-decode.ts'),
        format,
        String(STREAM_MB),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

describe('decoding a stream larger than the memory it may use', () => {
  it.each(['tfrecord', 'jsonl', 'csv', 'arrow'])(
    '%s: %s MB in, peak memory stays bounded',
    async (format) => {
      const result = await decodeInChild(format);
      expect(result.bytes).toBeGreaterThan(STREAM_MB * 1e6 * 0.99);
      // The whole stream would not fit: peak resident memory stays well below its size.
      expect(result.maxRssBytes).toBeLessThan(PEAK_RSS_LIMIT);
      expect(result.maxRssBytes).toBeLessThan(result.bytes / 1.8);
    },
  );
});
