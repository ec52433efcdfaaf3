// A template with a synthetic source (online-sensors, `"schema": "infer"`): the schema cell takes
// the generator's first records from the server, shows their fields, types and rows, and saves
// the schema inline; a changed type is flagged and the save refused (a run does not convert).
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SCREENSHOTS, StudioPage, apiGet } from './support/studio-page.js';

interface FieldJson {
  readonly name: string;
  readonly type: string;
}

const GENERATOR_FIELDS: readonly (readonly [string, string])[] = [
  ['id', 'int64'],
  ['temperature', 'float32'],
  ['humidity', 'float32'],
  ['vibration', 'float32'],
  ['label', 'int32'],
];

test("shows and saves a synthetic source's schema from its generator's records", async ({
  page,
}) => {
  const studio = new StudioPage(page);
  await studio.open();
  await studio.newFromTemplate('online-sensors');
  const schemaCell = studio.cell('schema');
  await expect(schemaCell).toContainText('The run takes the schema of the sensors generator');

  await schemaCell.getByTestId('infer-button').click();
  const preview = schemaCell.getByTestId('sample-preview');
  await expect(preview.locator('tbody tr')).toHaveCount(20);
  await expect(preview.locator('thead th')).toHaveText(['#', ...GENERATOR_FIELDS.map(([n]) => n)]);
  await expect(schemaCell).toContainText('1000 records looked at · synthetic');
  await expect(schemaCell).toContainText('generator sensors, seed 7');
  // The first record of seed 7 is id 0; labels are 0 or 1.
  await expect(preview.locator('tbody tr').first().locator('td').nth(1)).toHaveText('0');
  await expect(preview.locator('tbody tr').first().locator('td').nth(5)).toHaveText(/^[01]$/);

  const fields = schemaCell.getByTestId('input-schema').getByTestId('schema-field');
  await expect(fields).toHaveCount(GENERATOR_FIELDS.length);
  for (const [i, [name, type]] of GENERATOR_FIELDS.entries()) {
    await expect(fields.nth(i)).toHaveAttribute('data-field', name);
    await expect(fields.nth(i).getByTestId('field-type')).toHaveValue(type);
  }
  await schemaCell.screenshot({ path: join(SCREENSHOTS, 'synthetic-schema.png') });

  await page.getByTestId('save-button').click();
  await expect(page.getByTestId('save-state')).toHaveText('saved · v2');
  const saved = await apiGet<{ job: { input: { schema: { fields: FieldJson[] } } } }>(
    `/api/jobs/${encodeURIComponent(studio.jobId())}`,
  );
  expect(saved.job.input.schema.fields.map((f) => [f.name, f.type])).toEqual(GENERATOR_FIELDS);

  // Another type for a generator's field: flagged in the cell, refused by the server on save.
  const humidity = fields.nth(2);
  await humidity.getByTestId('field-type').selectOption('float64');
  await expect(humidity.getByText('override', { exact: true })).toBeVisible();
  await expect(schemaCell.getByTestId('synthetic-override-note')).toBeVisible();
  await page.getByTestId('save-button').click();
  await expect(page.getByTestId('save-error')).toContainText(
    'input.schema.fields[2]: the "sensors" generator makes {"name":"humidity","type":"float32"} here',
  );
  await humidity.getByTestId('field-type').selectOption('float32');
  await expect(schemaCell.getByTestId('synthetic-override-note')).toHaveCount(0);
});
