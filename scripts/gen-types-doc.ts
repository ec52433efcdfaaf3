// Writes docs/types.md from the type table: `npx tsx scripts/gen-types-doc.ts`.
// The content comes from renderTypesDoc; this script only formats it with the repository's
// Prettier settings and writes it (packages/schema/src/type-table.test.ts does the same to check
// that the committed file is current). A relative import, because tsx resolves the package
// name to its built dist/ rather than to src/.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { TYPES_DOC_PATH, renderTypesDoc } from '../packages/schema/src/type-table-doc.js';

const target = resolve(fileURLToPath(new URL('..', import.meta.url)), TYPES_DOC_PATH);
const config = await prettier.resolveConfig(target);
writeFileSync(target, await prettier.format(renderTypesDoc(), { ...config, filepath: target }));
console.log(`wrote ${target}`);
