import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSchema } from '@tfstream/schema';
import { arbSchemaWithRows, arbString, assertSameRows } from '../test-support/arbitraries.js';
import {
  arbChunking,
  bytesOf,
  collect,
  decodeOutcome,
  decodeRows,
  encodeRows,
  everyN,
  splitAt,
  streamOf,
} from '../test-support/chunks.js';
import { createCsvFormat, csvFormat } from './csv-format.js';

const text = new TextDecoder();

describe('csvFormat', () => {
  it('decodes what it encodes, bit for bit, for every type and shape, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows(),
        fc.nat(),
        arbChunking,
        fc.integer({ min: 1, max: 5 }),
        async ({ schema, rows }, cut, chunking, batchSize) => {
          const bytes = encodeRows(csvFormat, schema, rows, cut);
          const decoded = await decodeRows(csvFormat, chunking(bytes), { schema, batchSize });
          assertSameRows(decoded, rows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('decodes what it encodes with other delimiters', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows({ maxRows: 4 }),
        fc.constantFrom(';', '\t', '|', ' ', '.', '0', ']'),
        arbChunking,
        async ({ schema, rows }, delimiter, chunking) => {
          const format = createCsvFormat({ delimiter });
          const bytes = encodeRows(format, schema, rows);
          assertSameRows(await decodeRows(format, chunking(bytes), { schema }), rows);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives back strings with CR, quotes, delimiters and white space anywhere, in the last column too', async () => {
    const troublesome = fc.oneof(
      arbString,
      fc.constantFrom(
        '\r',
        'a\r',
        '\r\r',
        '\ra',
        ' ',
        '\t',
        'a ',
        '"',
        '""',
        ',',
        '\uFEFF',
        '\u2028',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(troublesome, troublesome), { maxLength: 5 }),
        arbChunking,
        async (pairs, chunking) => {
          const schema = defineSchema([
            { name: 'a', type: 'string' },
            { name: 'b', type: 'string' },
          ]);
          const rows = pairs.map(([a, b]) => ({ a, b }));
          const bytes = encodeRows(csvFormat, schema, rows);
          assertSameRows(await decodeRows(csvFormat, chunking(bytes), { schema }), rows);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes a document cut at every byte: BOM, CRLF, quotes, newlines in cells, multi-byte characters', async () => {
    const schema = defineSchema([
      { name: 'name', type: 'string', nullable: true },
      { name: 'ids', type: 'uint64', shape: 'list' },
      { name: 'x', type: 'float32' },
    ]);
    const bytes = bytesOf(
      '\uFEFFx,name,ids\r\n-0,"a ""q"",\r\nü€😀",[18446744073709551615]\r\n\r\nNaN,,[]\r\n1.5,"","[1,""2""]"',
    );
    const expected = [
      { x: -0, name: 'a "q",\r\nü€😀', ids: [18446744073709551615n] },
      { x: Number.NaN, name: null, ids: [] },
      { x: 1.5, name: '', ids: [1n, 2n] },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      assertSameRows(await decodeRows(csvFormat, splitAt(bytes, [i]), { schema }), expected);
      assertSameRows(await decodeRows(csvFormat, splitAt(bytes, [i, i + 1]), { schema }), expected);
    }
    assertSameRows(await decodeRows(csvFormat, everyN(bytes, 1), { schema }), expected);
  });

  it('writes a header and LF-ended rows, quoting only what needs it, "" for the empty string', () => {
    const schema = defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'note', type: 'string', nullable: true },
      { name: 'xs', type: 'float64', shape: 'list', nullable: true },
      { name: 'when', type: 'timestamp', unit: 'us' },
    ]);
    const bytes = encodeRows(csvFormat, schema, [
      { id: 9223372036854775807n, note: 'a, "b"', xs: [1.5, -0, Infinity], when: 1n },
      { id: -9223372036854775808n, note: '', xs: [], when: 0n },
      { id: 0n, note: null, xs: null, when: -1n },
      { id: 1n, note: ' padded ', xs: [Number.NaN], when: 0n },
    ]);
    expect(text.decode(bytes)).toBe(
      'id,note,xs,when\n' +
        '9223372036854775807,"a, ""b""","[1.5,-0,""Infinity""]",1970-01-01T00:00:00.000001Z\n' +
        '-9223372036854775808,"",[],1970-01-01T00:00:00.000000Z\n' +
        '0,,,1969-12-31T23:59:59.999999Z\n' +
        '1," padded ","[""NaN""]",1970-01-01T00:00:00.000000Z\n',
    );
  });

  it('keeps 64-bit extremes exact in cells and in JSON arrays written as bare numbers', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'int64' },
      { name: 'b', type: 'uint64' },
      { name: 'c', type: 'int64', shape: [2] },
    ]);
    const rows = await decodeRows(
      csvFormat,
      [
        bytesOf(
          'a,b,c\n9223372036854775807,18446744073709551615,"[-9223372036854775808,9007199254740993]"\n',
        ),
      ],
      { schema },
    );
    assertSameRows(rows, [
      {
        a: 9223372036854775807n,
        b: 18446744073709551615n,
        c: [-9223372036854775808n, 9007199254740993n],
      },
    ]);
  });

  it('maps columns by header name: any order, extra columns ignored, missing nullable fields null', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'int32' },
      { name: 'b', type: 'string' },
      { name: 'c', type: 'bool', nullable: true },
    ]);
    const rows = await decodeRows(csvFormat, [bytesOf('extra,b,a\nzzz,hello,1\n,"",2\n')], {
      schema,
    });
    expect(rows).toEqual([
      { a: 1, b: 'hello', c: null },
      { a: 2, b: '', c: null },
    ]);
  });

  it('says which non-nullable field has no column, at the first record', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'int32' },
      { name: 'species', type: 'int64' },
    ]);
    await expect(
      decodeRows(csvFormat, [bytesOf('a\n1\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_NULL_VALUE: data.csv: record 1: field "species": the header has no column "species" and the field is not nullable; add the column or make the field nullable',
    );
    expect(await decodeRows(csvFormat, [bytesOf('a\n')], { schema })).toEqual([]);
  });

  it('names file, record and field of a cell that does not fit its type', async () => {
    const schema = defineSchema([
      { name: 'id', type: 'int32' },
      { name: 'age', type: 'int32' },
    ]);
    const lines = ['id,age'];
    for (let i = 1; i <= 16; i++) {
      lines.push(`${i},${20 + i}`);
    }
    lines.push('17,abc', '18,40');
    await expect(
      decodeRows(csvFormat, [bytesOf(lines.join('\n'))], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      /^CODEC_TYPE_MISMATCH: data\.csv: record 17: field "age": expected int32, got "abc"$/,
    );
  });

  it('says what a list or tensor cell must hold when it is not a JSON array', async () => {
    const schema = defineSchema([{ name: 'xs', type: 'int32', shape: 'list' }]);
    await expect(
      decodeRows(csvFormat, [bytesOf('xs\n"[1,2]"\n1;2\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: data.csv: record 2: field "xs": expected a JSON array such as [1, 2] for a list field, got "1;2"',
    );
    await expect(
      decodeRows(csvFormat, [bytesOf('xs\n"[1,2.5]"\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: data.csv: record 1: field "xs": expected int32, got 2.5',
    );
  });

  it('keeps an int16 an int16', async () => {
    const schema = defineSchema([{ name: 'age', type: 'int16' }]);
    expect(await decodeRows(csvFormat, [bytesOf('age\n-32768\n32767\n')], { schema })).toEqual([
      { age: -32768 },
      { age: 32767 },
    ]);
    await expect(
      decodeRows(csvFormat, [bytesOf('age\n70000\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: data.csv: record 1: field "age": 70000 is out of range for int16',
    );
  });

  it('names record and line of a row with the wrong number of cells', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string' },
    ]);
    await expect(
      decodeRows(csvFormat, [bytesOf('a,b\n"x\ny",1\n1,2,3\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_MALFORMED: data.csv: record 2: line 4 has 3 cells but the header has 2; quote cells that hold the delimiter',
    );
    await expect(
      decodeRows(csvFormat, [bytesOf('a,b\n1,"2')], { schema, source: 'data.csv' }),
    ).rejects.toThrow('CODEC_MALFORMED: data.csv: record 1: line 2: a quoted cell is not closed');
    await expect(
      decodeRows(csvFormat, [bytesOf('a,a\n1,2\n')], { schema, source: 'data.csv' }),
    ).rejects.toThrow(
      'CODEC_MALFORMED: data.csv: line 1: field "a": the header names column "a" more than once',
    );
  });

  it('reads empty unquoted cells as null and "" as the empty string', async () => {
    const schema = defineSchema([
      { name: 's', type: 'string' },
      { name: 'n', type: 'int8', nullable: true },
    ]);
    expect(await decodeRows(csvFormat, [bytesOf('s,n\n"",\n')], { schema })).toEqual([
      { s: '', n: null },
    ]);
    await expect(decodeRows(csvFormat, [bytesOf('s,n\n,1\n')], { schema })).rejects.toThrow(
      'CODEC_NULL_VALUE: record 1: field "s": the field is not nullable but the value is missing',
    );
  });

  it('skips empty lines, except in a one-column file where an empty line is a null', async () => {
    const two = defineSchema([
      { name: 'a', type: 'int8', nullable: true },
      { name: 'b', type: 'int8', nullable: true },
    ]);
    expect(
      await decodeRows(csvFormat, [bytesOf('a,b\n\n1,2\r\n\r\n,\n\n')], { schema: two }),
    ).toEqual([
      { a: 1, b: 2 },
      { a: null, b: null },
    ]);
    const one = defineSchema([{ name: 'a', type: 'string', nullable: true }]);
    const rows = [{ a: null }, { a: '' }, { a: null }];
    const bytes = encodeRows(csvFormat, one, rows);
    expect(text.decode(bytes)).toBe('a\n\n""\n\n');
    expect(await decodeRows(csvFormat, [bytes], { schema: one })).toEqual(rows);
  });

  it('reads NaN, the infinities and -0, and floats in any decimal spelling', async () => {
    const schema = defineSchema([{ name: 'x', type: 'float64' }]);
    const rows = await decodeRows(
      csvFormat,
      [bytesOf('x\nNaN\nInfinity\n-Infinity\n-0\n1e3\n.5\n')],
      {
        schema,
      },
    );
    assertSameRows(
      rows,
      [Number.NaN, Infinity, -Infinity, -0, 1000, 0.5].map((x) => ({ x })),
    );
  });

  it('yields the records before a bad one, then fails; or skips bad ones to dead letters', async () => {
    const schema = defineSchema([{ name: 'a', type: 'uint8' }]);
    const input = bytesOf(`a\n1\n2\n-1\n3\n"4\n5"\n${'9'.repeat(80)}\n6\n7"\n8`);
    const failed = await decodeOutcome(csvFormat, everyN(input, 3), { schema, batchSize: 1 });
    expect(failed.rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect((failed.error as Error).message).toBe(
      'CODEC_TYPE_MISMATCH: record 3: field "a": -1 is out of range for uint8',
    );
    const skipped = await decodeOutcome(csvFormat, everyN(input, 3), {
      schema,
      onError: 'skip',
      limits: { maxRecordBytes: 40 },
    });
    expect(skipped.error).toBeUndefined();
    expect(skipped.rows).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 6 }, { a: 8 }]);
    expect(skipped.dead.map((d) => [d.record, d.error.code, d.raw && text.decode(d.raw)])).toEqual([
      [3, 'CODEC_TYPE_MISMATCH', '-1'],
      [5, 'CODEC_TYPE_MISMATCH', '"4\n5"'],
      [6, 'CODEC_LIMIT_EXCEEDED', undefined],
      [8, 'CODEC_MALFORMED', '7"'],
    ]);
    expect(skipped.dead[1]!.error.message).toBe(
      'CODEC_TYPE_MISMATCH: record 5: field "a": expected uint8, got "4\\n5"',
    );
  });

  it('samples records as text cells by header name, null for empty unquoted cells', async () => {
    const samples = await collect(
      csvFormat.sample(streamOf([bytesOf('\uFEFFb,a\r\n1,""\r\n,"[1, 2]"\r\n3,4\r\n')]), {
        limit: 2,
      }),
    );
    expect(samples.map((s) => [...s.entries()])).toEqual([
      [
        ['b', { kind: 'text', text: '1' }],
        ['a', { kind: 'text', text: '' }],
      ],
      [
        ['b', null],
        ['a', { kind: 'text', text: '[1, 2]' }],
      ],
    ]);
    await expect(
      collect(csvFormat.sample(streamOf([bytesOf('a,b\n1\n')]), { source: 's.csv' })),
    ).rejects.toThrow('CODEC_MALFORMED: s.csv: record 1: line 2 has 1 cells but the header has 2');
  });

  it('names itself and its file ending', () => {
    expect(csvFormat.name).toBe('csv');
    expect(csvFormat.extensions).toEqual(['.csv']);
    expect(csvFormat.mediaType).toBe('text/csv');
    expect(() => createCsvFormat({ delimiter: '"' })).toThrow('USAGE');
  });
});
