import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatch } from '@tfstream/codecs';
import { defineSchema } from '@tfstream/schema';
import type { BatchKeys } from '../../protocol/record-channels.js';
import { keyList } from '../../protocol/record-channels.js';
import type { RecordSink } from './record-sink.js';
import { DedupeSink, FileSink, MemorySink, StdoutSink, keyField } from './record-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'tfstream-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const output = defineSchema([
  { name: 'label', type: 'int32' },
  { name: 'score', type: 'float32' },
]);

function outputs(labels: number[]): RecordBatch {
  return RecordBatch.fromRows(
    output,
    labels.map((label) => ({ label, score: label / 2 })),
  );
}

/** A sink that remembers what it was given. */
function recorder(): RecordSink & { written: [number[], (string | number | bigint)[]][] } {
  const written: [number[], (string | number | bigint)[]][] = [];
  return {
    written,
    write(records, keys) {
      written.push([records.toObjects().map((row) => Number(row.label)), [...keyList(keys)]]);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

describe('DedupeSink', () => {
  it('writes each input key once, cutting the rows it has seen out of a batch', async () => {
    const inner = recorder();
    const kept: BatchKeys[] = [];
    const sink = new DedupeSink(inner, { onWrite: (_, keys) => kept.push(keys) });
    await sink.write(outputs([0, 1, 2, 3]), { first: 0, count: 4 });
    await sink.write(outputs([2, 3, 4, 5]), { first: 2, count: 4 });
    await sink.write(outputs([1, 4]), [1, 4n]);
    await sink.write(outputs([9, 6, 7]), ['nine', 6, 'nine']);
    sink.skip(3);
    expect(inner.written).toEqual([
      [
        [0, 1, 2, 3],
        [0, 1, 2, 3],
      ],
      [
        [4, 5],
        [4, 5],
      ],
      [
        [9, 6],
        ['nine', 6],
      ],
    ]);
    expect(kept[1]).toEqual({ first: 4, count: 2 });
    expect(sink.written).toBe(8);
    expect(sink.dropped).toBe(2 + 2 + 1 + 3);
  });
});

describe('MemorySink', () => {
  it('keeps the last rows of the batches it took, with their keys', async () => {
    const sink = new MemorySink(5);
    await sink.write(outputs([0, 1, 2]), { first: 0, count: 3 });
    await sink.write(outputs([3, 4, 5]), { first: 3, count: 3 });
    expect(sink.rows().map((row) => [row.key, row.row.label])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    await sink.write(outputs([6, 7, 8, 9, 10, 11, 12]), ['g', 'h', 'i', 'j', 'k', 'l', 'm']);
    expect(sink.rows().map((row) => row.key)).toEqual(['i', 'j', 'k', 'l', 'm']);
    expect(sink.rows()[0]!.row).toEqual({ label: 8, score: 4 });
  });
});

describe('the key column', () => {
  const input = defineSchema([
    { name: 'id', type: 'string' },
    { name: 'x', type: 'float32' },
  ]);

  it('comes first in a JSON Lines file: the position, as "key", when records have no key field', async () => {
    const path = join(dir, 'positions.jsonl');
    const sink = new FileSink(path, output, undefined, { key: keyField(undefined, input) });
    await sink.write(outputs([1, 0]), { first: 7, count: 2 });
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(
      '{"key":7,"label":1,"score":0.5}\n{"key":8,"label":0,"score":0}\n',
    );
  });

  it('is the key field with its type in CSV, and left out when the output has that field', async () => {
    const path = join(dir, 'ids.csv');
    const sink = new FileSink(path, output, undefined, { key: keyField('id', input) });
    await sink.write(outputs([1]), ['penguin-1']);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('id,label,score\npenguin-1,1,0.5\n');

    const own = join(dir, 'own.jsonl');
    const withId = defineSchema([{ name: 'id', type: 'string' }]);
    const ownSink = new FileSink(own, withId, undefined, { key: keyField('id', input) });
    await ownSink.write(RecordBatch.fromRows(withId, [{ id: 'written by the model' }]), ['k']);
    await ownSink.close();
    expect(readFileSync(own, 'utf8')).toBe('{"id":"written by the model"}\n');
  });

  it('comes first in the lines a stdout sink writes', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const sink = new StdoutSink(out, { key: keyField(undefined, input) });
    await sink.write(outputs([2]), [41]);
    expect(text).toBe('{"key":41,"label":2,"score":1}\n');
  });
});
