// Interop: the Palmer Penguins CSVs of the TFX penguin example, as TensorFlow's tutorials ship them.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FloatType } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { assertSameRows } from '../test-support/arbitraries.js';
import { PENGUIN_DATA } from '../test-support/tensorflow-files.js';
import { decodeRows, encodeRows, everyN } from '../test-support/chunks.js';
import { jsonlFormat } from '../json/jsonl-format.js';
import { csvFormat } from './csv-format.js';

const MEASUREMENTS = ['culmen_length_mm', 'culmen_depth_mm', 'flipper_length_mm', 'body_mass_g'];

function penguinSchema(type: FloatType, species: 'int64' | 'int64?' | 'none') {
  return defineSchema([
    ...(species === 'none'
      ? []
      : [{ name: 'species', type: 'int64' as const, nullable: species === 'int64?' }]),
    ...MEASUREMENTS.map((name) => ({ name, type })),
  ]);
}

/** The rows as a plain reading of the text gives them. */
function expectedRows(text: string, type: FloatType, species: boolean): Record<string, unknown>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, unknown> = species ? { species: null } : {};
    names.forEach((name, i) => {
      row[name] =
        name === 'species'
          ? BigInt(cells[i]!)
          : type === 'float32'
            ? Math.fround(Number(cells[i]))
            : Number(cells[i]);
    });
    return row;
  });
}

describe('the penguin CSVs', () => {
  it('decode penguins_processed.csv: 334 rows, species int64, measurements float64 and float32', async () => {
    const bytes = await readFile(resolve(PENGUIN_DATA, 'penguins_processed.csv'));
    const text = bytes.toString('utf8');
    for (const type of ['float64', 'float32'] as const) {
      const schema = penguinSchema(type, 'int64');
      const rows = await decodeRows(csvFormat, everyN(bytes, 4096), {
        schema,
        source: 'penguins_processed.csv',
        batchSize: 100,
      });
      expect(rows).toHaveLength(334);
      assertSameRows(rows, expectedRows(text, type, true));
      expect(new Set(rows.map((r) => r.species))).toEqual(new Set([0n, 1n, 2n]));
      expect(rows[0]).toEqual({
        species: 0n,
        culmen_length_mm: type === 'float32' ? Math.fround(0.2545454545454545) : 0.2545454545454545,
        culmen_depth_mm: type === 'float32' ? Math.fround(0.6666666666666666) : 0.6666666666666666,
        flipper_length_mm:
          type === 'float32' ? Math.fround(0.15254237288135594) : 0.15254237288135594,
        body_mass_g: type === 'float32' ? Math.fround(0.2916666666666667) : 0.2916666666666667,
      });
      // And back out through CSV and JSONL, unchanged.
      for (const format of [csvFormat, jsonlFormat]) {
        assertSameRows(
          await decodeRows(format, [encodeRows(format, schema, rows)], { schema }),
          rows,
        );
      }
    }
  });

  it('decode penguins_unlabelled.csv: species is null when nullable, an error naming it when not', async () => {
    const bytes = await readFile(resolve(PENGUIN_DATA, 'penguins_unlabelled.csv'));
    const text = bytes.toString('utf8');
    const rows = await decodeRows(csvFormat, [bytes], {
      schema: penguinSchema('float32', 'int64?'),
    });
    expect(rows).toHaveLength(10);
    assertSameRows(rows, expectedRows(text, 'float32', true));
    const unlabelled = await decodeRows(csvFormat, [bytes], {
      schema: penguinSchema('float64', 'none'),
    });
    assertSameRows(unlabelled, expectedRows(text, 'float64', false));
    await expect(
      decodeRows(csvFormat, [bytes], {
        schema: penguinSchema('float64', 'int64'),
        source: 'penguins_unlabelled.csv',
      }),
    ).rejects.toThrow(
      'CODEC_NULL_VALUE: penguins_unlabelled.csv: record 1: field "species": the header has no column "species"',
    );
  });
});
