// TFRecord framing, write side; the layout is described in tfrecord-reader.ts
// (tensorflow/core/lib/io/record_writer.cc, `RecordWriter::WriteRecord`).
import { maskedCrc32c } from './crc32c.js';
import { TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from './tfrecord-reader.js';

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 255;
  bytes[at + 1] = (value >>> 8) & 255;
  bytes[at + 2] = (value >>> 16) & 255;
  bytes[at + 3] = (value >>> 24) & 255;
}

/**
 * Frames a payload that is already in place: `target[at + 12 .. at + 12 + length)` holds the
 * data; this writes the 12-byte header before it and the 4-byte CRC after it. Returns the offset
 * just past the frame.
 */
export function frameInPlace(target: Uint8Array, at: number, length: number): number {
  writeU32(target, at, length >>> 0);
  writeU32(target, at + 4, Math.floor(length / 0x100000000));
  writeU32(target, at + 8, maskedCrc32c(target, at, at + 8));
  const start = at + TFRECORD_HEADER_BYTES;
  writeU32(target, start + length, maskedCrc32c(target, start, start + length));
  return start + length + TFRECORD_FOOTER_BYTES;
}

/** One record framed as TFRecord: header, the payload (copied), data CRC. */
export function frameTfRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(TFRECORD_HEADER_BYTES + payload.length + TFRECORD_FOOTER_BYTES);
  out.set(payload, TFRECORD_HEADER_BYTES);
  frameInPlace(out, 0, payload.length);
  return out;
}

/**
 * Frames a stream of payloads as a TFRecord stream, one chunk per record.
 *
 * @example
 * ```ts
 * await pipeline(Readable.from(writeTfRecords(payloads)), createWriteStream('out.tfrecord'));
 * ```
 */
export async function* writeTfRecords(
  payloads: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  for await (const payload of payloads) {
    yield frameTfRecord(payload);
  }
}
