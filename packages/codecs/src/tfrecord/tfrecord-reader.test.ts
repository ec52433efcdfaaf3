import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TfstreamError, isTfstreamError } from '@tfstream/schema';
import { concatBytes } from '../batch/decode-context.js';
import { below, mutate, prng, randomBytes } from '../example/test-support/fuzz.js';
import { maskedCrc32c } from './crc32c.js';
import type { TfRecordFrame, TfRecordReaderOptions } from './tfrecord-reader.js';
import { TfRecordReader, readTfRecords } from './tfrecord-reader.js';
import { frameTfRecord, writeTfRecords } from './tfrecord-writer.js';

/** Splits `bytes` at the given cut points (any order, any values). */
function chunksAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** Reads every frame; returns them and the error that ended the stream, if any. */
function drain(
  chunks: readonly Uint8Array[],
  options: TfRecordReaderOptions = {},
): { frames: TfRecordFrame[]; error: unknown } {
  const reader = new TfRecordReader(options);
  const frames: TfRecordFrame[] = [];
  try {
    for (const chunk of chunks) {
      reader.push(chunk);
      for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
        frames.push(frame);
      }
    }
    reader.end();
    return { frames, error: undefined };
  } catch (error) {
    return { frames, error };
  }
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
}

/** A 12-byte header claiming `length`, with a valid length CRC. */
function header(length: number): Uint8Array {
  const out = new Uint8Array(12);
  writeU32(out, 0, length % 2 ** 32);
  writeU32(out, 4, Math.floor(length / 2 ** 32));
  writeU32(out, 8, maskedCrc32c(out, 0, 8));
  return out;
}

const payloads = (...texts: string[]): Uint8Array[] =>
  texts.map((t) => new TextEncoder().encode(t));

describe('TfRecordReader', () => {
  it('reads back what the writer framed, with byte offsets, however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (records, cuts) => {
          const stream = concatBytes(records.map(frameTfRecord));
          const { frames, error } = drain(chunksAt(stream, cuts));
          expect(error).toBeUndefined();
          expect(frames.map((frame) => frame.payload)).toEqual(records);
          let offset = 0;
          frames.forEach((frame, i) => {
            expect(frame.offset).toBe(offset);
            expect(frame.record).toBe(i + 1);
            offset += 16 + records[i]!.length;
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('returns a record that lies inside one chunk as a view of that chunk', () => {
    const stream = concatBytes(payloads('first', 'second').map(frameTfRecord));
    const { frames } = drain([stream]);
    expect(frames.map((frame) => frame.payload.buffer === stream.buffer)).toEqual([true, true]);
    expect(frames[1]!.payload.byteOffset).toBe(21 + 12);
  });

  it('fails with TFRECORD_CORRUPT at the record and offset of a bad length CRC, and reads no further', () => {
    const stream = concatBytes(payloads('a', 'bb', 'ccc').map(frameTfRecord));
    stream[17 + 8]! ^= 1; // the length CRC of record 2, at offset 17
    for (const skipCorruptData of [false, true]) {
      const reader = new TfRecordReader({ source: 'x.tfrecord', skipCorruptData });
      reader.push(stream);
      expect(reader.next()!.payload).toEqual(payloads('a')[0]);
      expect(() => reader.next()).toThrow(
        /^TFRECORD_CORRUPT: x\.tfrecord: record 2: byte offset 17: the length CRC does not match \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\); the file is damaged or not a TFRecord file/,
      );
      expect(() => reader.next()).toThrow('TFRECORD_CORRUPT');
      expect(() => reader.end()).toThrow('TFRECORD_CORRUPT');
    }
  });

  it('fails on a bad data CRC, or hands the record back marked and goes on under skipCorruptData', () => {
    const stream = concatBytes(payloads('a', 'bb', 'ccc').map(frameTfRecord));
    stream[17 + 12]! ^= 0x40; // a data byte of record 2
    const failed = drain([stream], { source: 'x.tfrecord' });
    expect(failed.frames).toHaveLength(1);
    expect(String(failed.error)).toMatch(
      /TFRECORD_CORRUPT: x\.tfrecord: record 2: byte offset 17: the data CRC of this 2-byte record does not match/,
    );
    const skipped = drain([stream], { source: 'x.tfrecord', skipCorruptData: true });
    expect(skipped.error).toBeUndefined();
    expect(skipped.frames.map((frame) => frame.error?.code)).toEqual([
      undefined,
      'TFRECORD_CORRUPT',
      undefined,
    ]);
    expect(skipped.frames[2]!.payload).toEqual(payloads('ccc')[0]);
    expect(drain([stream], { verifyChecksums: false }).frames).toHaveLength(3);
  });

  it('fails with TFRECORD_TRUNCATED at the offset of a record the stream ends inside', () => {
    const stream = concatBytes(payloads('a', 'bb').map(frameTfRecord));
    for (const cut of [17 + 5, 17 + 12, 17 + 17]) {
      const { frames, error } = drain(chunksAt(stream.subarray(0, cut), [3, 19]), {
        source: 'x.tfrecord',
      });
      expect(frames).toHaveLength(1);
      expect(String(error)).toMatch(
        /^TfstreamError: TFRECORD_TRUNCATED: x\.tfrecord: record 2: byte offset 17: the stream ends inside a record/,
      );
    }
    expect(drain([]).error).toBeUndefined();
    expect(drain([stream.subarray(0, 17)]).frames).toHaveLength(1);
  });

  it('rejects a length above maxRecordBytes before reading or allocating its data', () => {
    const { error } = drain([header(1025)], { maxRecordBytes: 1024, source: 'x.tfrecord' });
    expect(String(error)).toContain(
      'CODEC_LIMIT_EXCEEDED: x.tfrecord: record 1: byte offset 0: the record length 1025 exceeds the limit of 1024 bytes; raise limits.maxRecordBytes if the file is trusted',
    );
    expect(String(drain([header(2 ** 40)]).error)).toContain('the record length 1099511627776');
    expect(drain([frameTfRecord(new Uint8Array(1024))], { maxRecordBytes: 1024 }).error).toBe(
      undefined,
    );
  });

  it('does not allocate for the length a header claims, only for the bytes that arrive', () => {
    const before = process.memoryUsage().arrayBuffers;
    const reader = new TfRecordReader();
    reader.push(header(60 * 1024 * 1024));
    expect(reader.next()).toBeUndefined();
    reader.push(new Uint8Array(100));
    expect(reader.next()).toBeUndefined();
    expect(() => reader.end()).toThrow('TFRECORD_TRUNCATED');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('reassembles a large record from many small chunks, growing its buffer as bytes arrive', () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 31) & 255);
    const stream = concatBytes([frameTfRecord(big), frameTfRecord(payloads('after')[0]!)]);
    const chunks = chunksAt(
      stream,
      Array.from({ length: 400 }, (_, i) => i * 777),
    );
    const { frames, error } = drain(chunks);
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(2);
    expect(Buffer.compare(frames[0]!.payload, big)).toBe(0);
    expect(frames[1]!.offset).toBe(300_016);
  });

  it('reads a stream of chunks with readTfRecords, and writeTfRecords frames one', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield* writeTfRecords(payloads('x', '', 'zz'));
    }
    const frames: TfRecordFrame[] = [];
    for await (const frame of readTfRecords(source())) {
      frames.push(frame);
    }
    expect(frames.map((frame) => [frame.offset, frame.payload.length])).toEqual([
      [0, 1],
      [17, 0],
      [33, 2],
    ]);
  });
});

describe('TfRecordReader fuzzing', () => {
  const CODES = new Set(['TFRECORD_CORRUPT', 'TFRECORD_TRUNCATED', 'CODEC_LIMIT_EXCEEDED']);

  function randomStream(rand: () => number): { stream: Uint8Array; records: Uint8Array[] } {
    const records = Array.from({ length: below(rand, 6) }, () =>
      randomBytes(rand, below(rand, 8) === 0 ? below(rand, 2000) : below(rand, 100)),
    );
    return { stream: concatBytes(records.map(frameTfRecord)), records };
  }

  function randomChunks(rand: () => number, bytes: Uint8Array): Uint8Array[] {
    return chunksAt(
      bytes,
      Array.from({ length: below(rand, 5) }, () => rand()),
    );
  }

  /** Reads an input; any outcome but a value or a TfstreamError of the framing codes fails. */
  function check(chunks: Uint8Array[], options: TfRecordReaderOptions): TfRecordFrame[] {
    const reader = new TfRecordReader(options);
    const frames: TfRecordFrame[] = [];
    let received = 0;
    try {
      for (const chunk of chunks) {
        received += chunk.length;
        reader.push(chunk);
        for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
          frames.push(frame);
        }
        // A straddling record's buffer grows with the bytes received, never with the claim.
        const body = (reader as unknown as { body?: Uint8Array }).body;
        if (body !== undefined && body.length > Math.max(64 * 1024, 2 * received)) {
          throw new Error(`a ${body.length}-byte buffer after ${received} bytes received`);
        }
      }
      reader.end();
    } catch (error) {
      if (!(error instanceof TfstreamError) || !CODES.has(error.code)) {
        throw error;
      }
      if (error.location.record !== frames.length + 1 || !(error.location.offset! >= 0)) {
        throw new Error(`badly located: ${error.message}`, { cause: error });
      }
    }
    return frames;
  }

  it('ends 100,000 mutated streams (CRC failures included) in frames or a framing error', () => {
    const rand = prng(0x7f4a7c15);
    const started = performance.now();
    let errors = 0;
    for (let i = 0; i < 100_000; i++) {
      const { stream } = randomStream(rand);
      const input = i % 10 === 0 ? randomBytes(rand, below(rand, 64)) : mutate(rand, stream);
      const frames = check(randomChunks(rand, input), {
        skipCorruptData: (i & 1) === 1,
        maxRecordBytes: below(rand, 2) === 0 ? 4096 : undefined,
      });
      errors += frames.filter((frame) => frame.error !== undefined).length;
    }
    expect(errors).toBeGreaterThan(1000);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('ends 100,000 streams with valid CRCs but lying lengths, or unchecked, in frames or a framing error', () => {
    const rand = prng(0x2545f491);
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const { stream, records } = randomStream(rand);
      let input: Uint8Array;
      if (i % 2 === 0 && records.length > 0) {
        // Re-frame with one length replaced by a hostile one, its CRC made valid.
        const victim = below(rand, records.length);
        const claims = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 64 * 1024 * 1024, 100_000];
        const claim = claims[below(rand, claims.length)]!;
        input = concatBytes(
          records.map((record, r) =>
            r === victim
              ? concatBytes([header(claim), record, new Uint8Array(4)])
              : frameTfRecord(record),
          ),
        );
        input = i % 4 === 0 ? input : input.subarray(0, below(rand, input.length + 1));
        check(randomChunks(rand, input), {});
      } else {
        input = mutate(rand, stream);
        const frames = check(randomChunks(rand, input), { verifyChecksums: false });
        expect(frames.every((frame) => frame.error === undefined)).toBe(true);
      }
    }
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('is a TfstreamError with a code for every error it raises', () => {
    const { error } = drain([new Uint8Array(5)]);
    expect(isTfstreamError(error, 'TFRECORD_TRUNCATED')).toBe(true);
  });
});
