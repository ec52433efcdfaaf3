import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './crc32c.js';

/** Bit-at-a-time CRC-32C, straight from the definition, as the reference. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    const iscsiRead = Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
      0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00,
    ]);
    expect(crc32c(iscsiRead)).toBe(0xd9963a56);
  });

  it('equals the bitwise definition at every length and alignment, whole or in parts', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat(7),
        fc.nat(),
        (data, shift, cutSeed) => {
          const buffer = new Uint8Array(data.length + shift);
          buffer.set(data, shift);
          const view = buffer.subarray(shift);
          const expected = referenceCrc32c(data);
          expect(crc32c(view)).toBe(expected);
          const cut = data.length === 0 ? 0 : cutSeed % data.length;
          expect(crc32c(view, cut, view.length, crc32c(view, 0, cut))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('masks as TensorFlow does, and unmasks back', () => {
    // crc32c::Mask from tensorflow/core/lib/hash/crc32c.h, spelled out with BigInt.
    const mask = (crc: number): number =>
      Number(
        ((((BigInt(crc) >> 15n) | (BigInt(crc) << 17n)) & 0xffffffffn) + 0xa282ead8n) & 0xffffffffn,
      );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (crc) => {
        expect(maskCrc(crc)).toBe(mask(crc));
        expect(unmaskCrc(maskCrc(crc))).toBe(crc);
      }),
    );
    expect(maskedCrc32c(ascii('123456789'))).toBe(mask(0xe3069283));
  });
});
