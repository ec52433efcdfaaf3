import { describe, expect, it } from 'vitest';
import type { Frame, Message } from './messages.js';
import { FRAME_PREFIX_BYTES, FrameDecoder, encodeFrame } from './frame.js';

function bytesOf(frames: readonly Frame[]): Uint8Array {
  return Buffer.concat(frames.flatMap((frame) => encodeFrame(frame.message, frame.body)));
}

function prefix(headerBytes: number, bodyBytes: number): Uint8Array {
  const out = Buffer.alloc(FRAME_PREFIX_BYTES);
  out.writeUInt32LE(headerBytes, 0);
  out.writeUInt32LE(bodyBytes, 4);
  return out;
}

function plain(frames: readonly Frame[]): unknown[] {
  return frames.map((frame) => ({
    message: frame.message,
    body: frame.body === undefined ? undefined : [...frame.body],
  }));
}

const frames: Frame[] = [
  { message: { kind: 'heartbeat', at: 1_700_000_000_000 } },
  {
    message: { kind: 'data', channel: 'batches', seq: 7, credit: 2, meta: { rows: 3 } },
    body: new Uint8Array([0, 1, 2, 255, 254]),
  },
  { message: { kind: 'log', level: 'warn', message: 'naïve ünïcödé ✓' } },
  {
    message: {
      kind: 'cluster',
      spec: { worker: ['127.0.0.1:1', '127.0.0.1:2'], ps: ['127.0.0.1:3'] },
      attempts: { worker: [1, 2], ps: [1] },
      generation: 2,
    },
  },
];

describe('FrameDecoder', () => {
  it('decodes frames split at every byte boundary', () => {
    const bytes = bytesOf(frames);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder();
      const out = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      expect(plain(out), `cut at byte ${cut}`).toEqual(plain(frames));
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const bytes = bytesOf(frames);
    const decoder = new FrameDecoder();
    const out: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) {
      out.push(...decoder.push(bytes.subarray(i, i + 1)));
    }
    expect(plain(out)).toEqual(plain(frames));
  });

  it('rejects a hostile length from the 8-byte prefix alone, before buffering the frame', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decoder.push(prefix(16, 0xffff_ffff))).toThrow(
      /PROTOCOL_ERROR: byte offset 0: a frame of 4294967311 bytes exceeds the limit of 1024 bytes/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
    expect(decoder.bufferedBytes).toBe(0);
    // Broken for good: later bytes are not parsed as a fresh frame.
    expect(() => decoder.push(bytesOf(frames))).toThrow(/PROTOCOL_ERROR/);
  });

  it('rejects an oversized header and an empty one', () => {
    expect(() => new FrameDecoder({ maxHeaderBytes: 64 }).push(prefix(65, 0))).toThrow(
      /a frame header of 65 bytes exceeds the limit of 64 bytes/,
    );
    expect(() => new FrameDecoder().push(prefix(0, 10))).toThrow(/empty header/);
  });

  it('rejects a header that is not JSON, not a message, or not of this protocol', () => {
    const frame = (header: string): Uint8Array => {
      const json = Buffer.from(header);
      return Buffer.concat([prefix(json.length, 0), json]);
    };
    const decode = (header: string): Frame[] => new FrameDecoder().push(frame(header));
    expect(() => decode('{"kind":')).toThrow(
      /PROTOCOL_ERROR: byte offset 0: a frame header is not UTF-8 JSON/,
    );
    expect(() => decode('[1]')).toThrow(/must be a JSON object/);
    expect(() => decode('{"kind":"teleport"}')).toThrow(/unknown message kind "teleport"/);
    expect(() => decode('{"kind":"metric","name":"loss","value":"low","step":1}')).toThrow(
      /bad "metric" message: "value" must be a finite number/,
    );
    expect(() => decode('{"kind":"register","role":"chief","index":0}')).toThrow(
      /"role" must be "worker" or "ps"/,
    );
  });

  it('keeps extra fields that a newer peer may add', () => {
    const json = Buffer.from('{"kind":"heartbeat","at":5,"load":0.5}');
    const [frame] = new FrameDecoder().push(Buffer.concat([prefix(json.length, 0), json]));
    expect(frame?.message).toEqual({ kind: 'heartbeat', at: 5, load: 0.5 });
  });

  it('refuses to encode a frame over the limit', () => {
    const message: Message = { kind: 'data', channel: 'c', seq: 1 };
    expect(() => encodeFrame(message, new Uint8Array(2048), { maxFrameBytes: 1024 })).toThrow(
      /^PROTOCOL_ERROR: a frame of \d+ bytes exceeds the limit of 1024 bytes/,
    );
  });
});
