import { describe, expect, it } from 'vitest';
import { decodeTensors, encodeTensors, parsePsRequest, psMessage } from './ps-protocol.js';

describe('parameter-server protocol', () => {
  it('carries tensors as concatenated little-endian float32 values', () => {
    const values = [Float32Array.of(1.5, -2), Float32Array.of(), Float32Array.of(3.25)];
    const body = encodeTensors(values)!;
    expect(body.byteLength).toBe(12);
    expect(new DataView(body.buffer).getFloat32(0, true)).toBe(1.5);
    expect(decodeTensors(body, [2, 0, 1])).toEqual(values);
  });

  it('rejects a body of the wrong length', () => {
    expect(() => decodeTensors(new Uint8Array(8), [3])).toThrow(
      /^PROTOCOL_ERROR: a parameter-server body has 8 bytes/,
    );
  });

  it('rejects a request without an op or model', () => {
    expect(() =>
      parsePsRequest({ kind: 'data', channel: 'ps', seq: 3, meta: { op: 'pull' } }),
    ).toThrow(/^PROTOCOL_ERROR: bad parameter-server request \(seq 3\)/);
    expect(parsePsRequest(psMessage(4, { op: 'pull', model: 'm' }))).toEqual({
      op: 'pull',
      model: 'm',
    });
  });
});
