import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, collect, joinBytes, splitAt, streamOf } from '../test-support/chunks.js';
import { RecordSplitter, skipBom } from './line-splitter.js';

const text = new TextDecoder();

function split(chunks: readonly Uint8Array[], max = 1 << 20): [string | null, number][] {
  const splitter = new RecordSplitter(max);
  const out: [string | null, number][] = [];
  for (const chunk of chunks) {
    for (const line of splitter.push(chunk)) {
      out.push([line === null ? null : text.decode(line), splitter.line]);
    }
  }
  for (const line of splitter.end()) {
    out.push([line === null ? null : text.decode(line), splitter.line]);
  }
  return out;
}

describe('RecordSplitter', () => {
  it('cuts lines that straddle chunks, wherever the chunks are cut', () => {
    const bytes = bytesOf('{"a":"ü€😀"}\r\n\nsecond\nthird');
    const expected = [
      ['{"a":"ü€😀"}\r', 1],
      ['', 2],
      ['second', 3],
      ['third', 4],
    ];
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        expect(split(splitAt(bytes, [i, j]))).toEqual(expected);
      }
    }
  });

  it('yields the same lines for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme' }).map((s) => s.replaceAll('\n', '')),
          {
            maxLength: 6,
          },
        ),
        fc.array(fc.nat()),
        (lines, cuts) => {
          const bytes = bytesOf(lines.map((l) => `${l}\n`).join(''));
          const got = split(
            splitAt(
              bytes,
              cuts.map((c) => c % (bytes.length + 1)),
            ),
          );
          expect(got).toEqual(lines.map((l, i) => [l, i + 1]));
        },
      ),
    );
  });

  it('reports a line over the limit once, as soon as it passes it, and goes on after it', () => {
    const long = 'x'.repeat(100);
    const bytes = bytesOf(`ok\n${long}\nafter\n${long}`);
    for (const size of [1, 7, 64, 1000]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) {
        chunks.push(bytes.subarray(i, i + size));
      }
      expect(split(chunks, 50)).toEqual([
        ['ok', 1],
        [null, 2],
        ['after', 3],
        [null, 4],
      ]);
    }
  });

  it('keeps no more than the limit of a line that never ends', () => {
    const splitter = new RecordSplitter(1000);
    const chunk = new Uint8Array(4096).fill(0x61);
    let nulls = 0;
    for (let i = 0; i < 1000; i++) {
      for (const line of splitter.push(chunk)) {
        expect(line).toBe(null);
        nulls++;
      }
    }
    expect(nulls).toBe(1);
    expect((splitter as unknown as { pendingBytes: number }).pendingBytes).toBe(0);
  });
});

describe('skipBom', () => {
  it('drops a byte order mark at the start, even split over chunks, and nothing else', async () => {
    const bytes = bytesOf('\uFEFFa\uFEFF');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const chunks = await collect(skipBom(streamOf(splitAt(bytes, [i, j]))));
        expect(text.decode(joinBytes(chunks))).toBe('a\uFEFF');
      }
    }
    const short = await collect(skipBom(streamOf([new Uint8Array([0xef, 0xbb])])));
    expect(short).toEqual([new Uint8Array([0xef, 0xbb])]);
  });
});
