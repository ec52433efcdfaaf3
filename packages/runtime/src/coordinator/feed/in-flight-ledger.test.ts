import { describe, expect, it } from 'vitest';
import { RecordBatch } from '@tfstream/codecs';
import { defineSchema } from '@tfstream/schema';
import type { BatchKeys } from '../../protocol/record-channels.js';
import { InFlightLedger } from './in-flight-ledger.js';

const schema = defineSchema([{ name: 'x', type: 'int32' }]);

function batch(
  id: number,
  keys: BatchKeys,
): { id: number; epoch: number; records: RecordBatch; keys: BatchKeys } {
  const rows = Array.isArray(keys) ? keys.length : (keys as { count: number }).count;
  return {
    id,
    epoch: 0,
    records: RecordBatch.fromRows(
      schema,
      Array.from({ length: rows }, (_, x) => ({ x })),
    ),
    keys,
  };
}

describe('InFlightLedger', () => {
  it('completes a batch answered whole, with the keys of its rows', () => {
    const ledger = new InFlightLedger();
    ledger.send(batch(1, { first: 0, count: 64 }), 0, 0);
    ledger.send(batch(2, { first: 64, count: 64 }), 1, 0);
    expect(ledger.records).toBe(128);
    const answered = ledger.answer(2, 0, 64);
    expect(answered?.done).toBe(64);
    expect(answered?.keys).toEqual({ first: 64, count: 64 });
    expect(ledger.batches).toBe(1);
    expect(ledger.records).toBe(64);
    // Answered again (a duplicate): the batch is gone, the feed drops the rows.
    expect(ledger.answer(2, 0, 64)).toBeUndefined();
  });

  it('counts each row of a batch answered in parts once', () => {
    const ledger = new InFlightLedger();
    ledger.send(batch(1, ['a', 'b', 'c', 'd']), 0, 0);
    expect(ledger.answer(1, 0, 2)).toMatchObject({ done: 2, keys: ['a', 'b'] });
    expect(ledger.answer(1, 1, 2)).toMatchObject({ done: 1, keys: ['b', 'c'] });
    expect(ledger.records).toBe(1);
    expect(ledger.answer(1, 3, 1)?.done).toBe(1);
    expect(ledger.batches).toBe(0);
    expect(() => {
      ledger.send(batch(2, ['e']), 0, 0);
      ledger.answer(2, 1, 1);
    }).toThrow(/PROTOCOL_ERROR: an output answers rows 1 to 1 of input batch 2, which has 1/);
  });

  it('matches outputs written with keys of their own, by key', () => {
    const ledger = new InFlightLedger();
    ledger.send(batch(1, { first: 0, count: 3 }), 0, 0);
    ledger.send(batch(2, [10n, 'k']), 1, 0);
    expect(ledger.completeKeys([2, 'k', 'unknown', 2])).toBe(2);
    expect(ledger.records).toBe(3);
    ledger.send(batch(3, { first: 3, count: 2 }), 0, 0);
    expect(ledger.completeKeys([0, 1, 3, 4, 10])).toBe(5);
    expect(ledger.batches).toBe(0);
  });

  it('keeps the batches of a dead worker findable until they are sent again', () => {
    const ledger = new InFlightLedger();
    ledger.send(batch(1, { first: 0, count: 2 }), 1, 0);
    ledger.send(batch(2, { first: 2, count: 2 }), 0, 0);
    ledger.send(batch(3, { first: 4, count: 2 }), 1, 0);
    const taken = ledger.takeBack(1);
    expect(taken.map((b) => b.id)).toEqual([1, 3]);
    expect(ledger.recordsAt(1)).toBe(0);
    // A late output of the dead worker still counts.
    expect(ledger.answer(3, 0, 2)?.done).toBe(2);
    ledger.send(taken[0]!, 0, 5);
    expect(ledger.get(1)).toMatchObject({ worker: 0, sentAt: 5 });
    expect(ledger.recordsAt(0)).toBe(4);
    expect(ledger.completeBatches([1, 2])).toBe(4);
    expect(ledger.records).toBe(0);
    expect(ledger.maxRecords).toBe(6);
  });
});
