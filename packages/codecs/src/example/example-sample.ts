// Reads a tf.train.Example without a schema, for inference: every feature with the values its
// kind declares (message layout in example-decoder.ts).
import type { SampleCell, SampleRecord, ScalarValue } from '@tfstream/schema';

import { KIND_BYTES, KIND_FLOAT, KIND_INT64 } from './example-kinds.js';
import { WireReader } from './wire.js';

const text = new TextDecoder('utf-8', { ignoreBOM: true });
const scratch = new Float32Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/**
 * Every feature of one serialized Example, in the order the record lists them: an `int64_list` as
 * `int64` bigints, a `float_list` as `float32` numbers, a `bytes_list` as `bytes`, a Feature with
 * no list as `null`.
 * @throws TfstreamError `CODEC_MALFORMED`
 */
export function sampleExample(bytes: Uint8Array): SampleRecord {
  const r = new WireReader();
  r.reset(bytes);
  const out = new Map<string, SampleCell>();
  const end = bytes.length;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag !== 0x0a) {
      r.skip(tag, end);
      continue;
    }
    const featuresEnd = r.delimited(end);
    while (r.pos < featuresEnd) {
      const entryTag = r.tag(featuresEnd);
      if (entryTag !== 0x0a) {
        r.skip(entryTag, featuresEnd);
        continue;
      }
      const entryEnd = r.delimited(featuresEnd);
      let key = '';
      let valueStart = 0;
      let valueEnd = 0;
      while (r.pos < entryEnd) {
        const inner = r.tag(entryEnd);
        if (inner === 0x0a) {
          const length = r.length(entryEnd);
          key = text.decode(bytes.subarray(r.pos, r.pos + length));
          r.pos += length;
        } else if (inner === 0x12) {
          const length = r.length(entryEnd);
          valueStart = r.pos;
          valueEnd = r.pos += length;
        } else {
          r.skip(inner, entryEnd);
        }
      }
      r.field = key;
      out.set(key, feature(r, valueStart, valueEnd));
      r.field = undefined;
      r.pos = entryEnd;
    }
  }
  return out;
}

function feature(r: WireReader, start: number, end: number): SampleCell {
  let kind = 0;
  let values: ScalarValue[] = [];
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    const number = tag >>> 3;
    if ((tag & 7) !== 2 || number < KIND_BYTES || number > KIND_INT64) {
      r.skip(tag, end);
      continue;
    }
    const listEnd = r.delimited(end);
    if (number !== kind) {
      kind = number;
      values = [];
    }
    list(r, kind, listEnd, values);
    r.pos = listEnd;
  }
  if (kind === 0) {
    return null;
  }
  return {
    kind: 'typed',
    type: kind === KIND_INT64 ? 'int64' : kind === KIND_FLOAT ? 'float32' : 'bytes',
    values,
  };
}

function list(r: WireReader, kind: number, end: number, values: ScalarValue[]): void {
  const buf = r.buf;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (kind === KIND_INT64 && (tag === 0x08 || tag === 0x0a)) {
      if (tag === 0x08) {
        r.varint64(end);
        values.push(int64(r));
      } else {
        const valuesEnd = r.delimited(end);
        while (r.pos < valuesEnd) {
          r.varint64(valuesEnd);
          values.push(int64(r));
        }
      }
    } else if (kind === KIND_FLOAT && (tag === 0x0d || tag === 0x0a)) {
      const length = tag === 0x0d ? 4 : r.length(end);
      if (length % 4 !== 0 || end - r.pos < length) {
        throw r.malformed(`a float_list of ${length} bytes is not a whole number of floats`);
      }
      for (let i = 0; i < length; i += 4) {
        scratchBytes.set(buf.subarray(r.pos + i, r.pos + i + 4));
        values.push(scratch[0]!);
      }
      r.pos += length;
    } else if (kind === KIND_BYTES && tag === 0x0a) {
      const length = r.length(end);
      // A copy, as a plain Uint8Array even when the input is a Node.js Buffer.
      values.push(new Uint8Array(buf.subarray(r.pos, r.pos + length)));
      r.pos += length;
    } else {
      r.skip(tag, end);
    }
  }
}

function int64(r: WireReader): bigint {
  return BigInt.asIntN(64, (BigInt(r.hi >>> 0) << 32n) | BigInt(r.lo >>> 0));
}
