import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { TYPES_DOC_PATH, renderTypesDoc } from './type-table-doc.js';
import { SHAPE_FORMS, TYPE_TABLE, typeMapping } from './type-table.js';
import type { DataType } from './types.js';
import { DATA_TYPES } from './types.js';

const docPath = resolve(fileURLToPath(new URL('../../../', import.meta.url)), TYPES_DOC_PATH);

/** The document as `scripts/gen-types-doc.ts` writes it. */
async function generatedDoc(): Promise<string> {
  const config = await prettier.resolveConfig(docPath);
  return prettier.format(renderTypesDoc(), { ...config, filepath: docPath });
}

describe('TYPE_TABLE', () => {
  it('has exactly one row per data type, in the order of DATA_TYPES', () => {
    expect(TYPE_TABLE.map((row) => row.type)).toEqual(DATA_TYPES);
    for (const type of DATA_TYPES) {
      expect(typeMapping(type).type).toBe(type);
    }
    expect(() => typeMapping('int128' as DataType)).toThrow('no mapping for type int128');
  });

  it('describes every representation of every type', () => {
    for (const row of TYPE_TABLE) {
      for (const text of [row.meaning, row.js, row.storage, row.example.form, row.tfjs.exact]) {
        expect(text, row.type).not.toBe('');
      }
      for (const text of [row.arrow, row.json, row.csv, row.flink]) {
        expect(text, row.type).not.toBe('');
      }
    }
    expect(Object.keys(SHAPE_FORMS).sort()).toEqual(['arrow', 'csv', 'example', 'json']);
  });
});

describe('docs/types.md', () => {
  it('is what scripts/gen-types-doc.ts writes; run `npx tsx scripts/gen-types-doc.ts` if not', async () => {
    const committed = readFileSync(docPath, 'utf8');
    expect(committed).toBe(await generatedDoc());
  });

  it('has one row per data type in the table of types', async () => {
    const doc = await generatedDoc();
    const section = doc.slice(doc.indexOf('## The types'), doc.indexOf('## In memory'));
    const rowTypes = section
      .split('\n')
      .map((line) => /^\| `([a-z0-9]+)` +\|/.exec(line)?.[1])
      .filter((type) => type !== undefined);
    expect(rowTypes).toEqual(DATA_TYPES);
  });
});
