import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '@tfstream/codecs';
import { parseSchema } from '@tfstream/schema';
import { PushSource } from './push-source.js';

const schema = parseSchema({
  version: 1,
  fields: [
    { name: 'id', type: 'int32' },
    { name: 'label', type: 'string' },
  ],
});

async function drain(
  source: PushSource,
  signal = new AbortController().signal,
): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const batch of source.records(signal)) {
    rows.push(...(batch as RecordBatch).toObjects());
  }
  return rows;
}

describe('PushSource', () => {
  it('queues the good records of a JSONL body and names each bad one by record and field', async () => {
    const push = new PushSource({ schema });
    const result = await push.write(
      '{"id":1,"label":"a"}\n{"id":"x","label":"b"}\n{"id":3,"label":"c"}\n',
      'jsonl',
    );
    expect(result.accepted).toBe(2);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ record: 2, field: 'id' });
    expect(result.rejected[0]!.message).toMatch(/^CODEC_TYPE_MISMATCH: .*record 2: field "id"/);
    push.end();
    expect(await drain(push)).toEqual([
      { id: 1, label: 'a' },
      { id: 3, label: 'c' },
    ]);
  });

  it('reads CSV with a header line in any column order', async () => {
    const push = new PushSource({ schema });
    const result = await push.write('label,id\nx,7\ny,oops\n', 'csv');
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => r.record)).toEqual([2]);
    push.end();
    expect(await drain(push)).toEqual([{ id: 7, label: 'x' }]);
  });

  it('refuses a body that does not fit a full queue, and takes it once the feed made room', async () => {
    const push = new PushSource({ schema, capacity: 2 });
    expect(
      (await push.write('{"id":1,"label":"a"}\n{"id":2,"label":"b"}\n', 'jsonl')).accepted,
    ).toBe(2);
    expect(await push.write('{"id":3,"label":"c"}\n', 'jsonl')).toMatchObject({
      accepted: 0,
      refused: 'full',
    });
    const waiting = push.write('{"id":3,"label":"c"}\n', 'jsonl', { timeoutMs: 5000 });
    const iterator = push.records(new AbortController().signal)[Symbol.asyncIterator]();
    await iterator.next(); // the feed takes the first batch: room for one more record
    expect((await waiting).accepted).toBe(1);
    push.end();
    expect((await push.write('{"id":4,"label":"d"}\n', 'jsonl')).refused).toBe('ended');
  });

  it('ends the pass when aborted, even with no record pushed', async () => {
    const push = new PushSource({ schema });
    const abort = new AbortController();
    const drained = drain(push, abort.signal);
    abort.abort();
    expect(await drained).toEqual([]);
  });
});
