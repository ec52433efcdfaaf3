import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbString } from '../test-support/arbitraries.js';
import { arbChunking, bytesOf } from '../test-support/chunks.js';
import { RecordSplitter } from '../json/line-splitter.js';
import { CsvCellWriter, CsvRecordScanner, checkDelimiter, splitCsvRecord } from './csv-parser.js';

const text = new TextDecoder();

function records(chunks: readonly Uint8Array[], delimiter = ','): [(string | null)[], number][] {
  const splitter = new RecordSplitter(1 << 20, new CsvRecordScanner(delimiter.charCodeAt(0)));
  const out: [(string | null)[], number][] = [];
  const take = (bytes: Uint8Array | null): void => {
    const line = text.decode(bytes!).replace(/\r$/, '');
    out.push([splitCsvRecord(line, delimiter, splitter.line), splitter.line]);
  };
  for (const chunk of chunks) {
    for (const bytes of splitter.push(chunk)) {
      take(bytes);
    }
  }
  for (const bytes of splitter.end()) {
    take(bytes);
  }
  return out;
}

const arbCell = fc.oneof(fc.constant(null), arbString, fc.constantFrom('";"', ';', '\t', '"\r'));

describe('CSV records and cells', () => {
  it('gives back the cells it writes, with null apart from "", however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(',', ';', '\t', '|'),
        fc
          .integer({ min: 1, max: 4 })
          .chain((width) =>
            fc.array(fc.array(arbCell, { minLength: width, maxLength: width }), { maxLength: 5 }),
          ),
        arbChunking,
        fc.boolean(),
        (delimiter, rows, chunking, crlf) => {
          // A row of one null cell is an empty line: keep those out of this test of the parser.
          const kept = rows.filter((row) => row.some((cell) => cell !== null));
          const writer = new CsvCellWriter(delimiter);
          const csv = kept
            .map((row) =>
              row.map((cell) => (cell === null ? '' : writer.cell(cell))).join(delimiter),
            )
            .map((line) => line + (crlf ? '\r\n' : '\n'))
            .join('');
          const got = records(chunking(bytesOf(csv)), delimiter);
          expect(got.map(([cells]) => cells)).toEqual(kept);
          // Line numbers count the newlines inside quoted cells.
          let line = 1;
          got.forEach(([, start], i) => {
            expect(start).toBe(line);
            line +=
              1 +
              kept[i]!.filter((c) => c !== null && c.includes('\n')).reduce(
                (n, c) => n + c!.split('\n').length - 1,
                0,
              );
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads quoted delimiters, doubled quotes and newlines inside quotes (RFC 4180 section 2)', () => {
    expect(records([bytesOf('a,"b,c","say ""hi""","x\r\ny\nz",,""\r\nlast')])).toEqual([
      [['a', 'b,c', 'say "hi"', 'x\r\ny\nz', null, ''], 1],
      [['last'], 4],
    ]);
  });

  it('says what is wrong with bad quoting, and on which line', () => {
    expect(() => splitCsvRecord('a,b"c', ',', 3)).toThrow(
      'CODEC_MALFORMED: line 3: a quote inside the unquoted cell "b\\"c"; enclose the cell in quotes and double the quote',
    );
    expect(() => splitCsvRecord('"a\nb"x,c', ',', 3)).toThrow(
      'CODEC_MALFORMED: line 4: "x,c" follows a closing quote; a quote inside a quoted cell must be doubled ("")',
    );
    expect(() => splitCsvRecord('a,"b\nc', ',', 7)).toThrow(
      'CODEC_MALFORMED: line 7: a quoted cell is not closed; end it with a quote (")',
    );
  });

  it('ends a record at the LF after a stray quote, so that one bad record does not swallow the next', () => {
    const got: string[] = [];
    const splitter = new RecordSplitter(1000, new CsvRecordScanner(0x2c));
    for (const bytes of splitter.push(bytesOf('a"b,c\nd,e\n'))) {
      got.push(text.decode(bytes!));
    }
    expect(got).toEqual(['a"b,c', 'd,e']);
  });

  it('quotes cells with the delimiter, quotes, CR, LF or white space at either end, and the empty string', () => {
    const writer = new CsvCellWriter(';');
    expect(writer.cell('')).toBe('""');
    expect(writer.cell('a,b')).toBe('a,b');
    expect(writer.cell('a;b')).toBe('"a;b"');
    expect(writer.cell('say "hi"')).toBe('"say ""hi"""');
    expect(writer.cell('a\rb')).toBe('"a\rb"');
    expect(writer.cell(' a')).toBe('" a"');
    expect(writer.cell('a\t')).toBe('"a\t"');
    expect(writer.cell('\uFEFFa')).toBe('"\uFEFFa"');
    expect(new CsvCellWriter(']').cell('[1]')).toBe('"[1]"');
  });

  it('accepts one ASCII character other than a quote, CR or LF as delimiter', () => {
    expect(checkDelimiter('\t')).toBe(9);
    for (const bad of ['', ',,', '"', '\n', '\r', '€']) {
      expect(() => checkDelimiter(bad)).toThrow(
        'USAGE: the CSV delimiter must be one ASCII character',
      );
    }
  });
});
