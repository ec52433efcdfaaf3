// A new job from scratch: upload a CSV through the schema cell, let the studio infer the schema,
// override one field's type, save, check the saved job carries the override, and run it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { StudioPage, TERMINAL_STATE, apiGet } from './support/studio-page.js';

interface FieldJson {
  readonly name: string;
  readonly type: string;
}

/** Rows of the blank job's sensors shape (id, temperature, humidity, vibration → label). */
function sensorsCsv(rows: number): string {
  const lines = ['id,temperature,humidity,vibration,label'];
  for (let i = 0; i < rows; i++) {
    const temperature = 15 + ((i * 7) % 20) + 0.25;
    const humidity = 0.3 + ((i * 13) % 50) / 100;
    const vibration = ((i * 31) % 100) / 100 + 0.125;
    const label = temperature > 25 && vibration > 0.5 ? 1 : 0;
    lines.push(`${i},${temperature},${humidity.toFixed(3)},${vibration.toFixed(3)},${label}`);
  }
  return `${lines.join('\n')}\n`;
}

test('uploads a CSV, overrides an inferred type, saves and runs the new job', async ({ page }) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tfstream-e2e-wizard-'));
  const csv = join(dir, 'sensors-sample.csv');
  writeFileSync(csv, sensorsCsv(400));
  try {
    const studio = new StudioPage(page);
    await studio.open();
    await page.goto('/new');
    await expect(studio.editor).toBeVisible();

    const schemaCell = studio.cell('schema');
    await schemaCell.getByTestId('source-kind').locator('[data-value="file"]').click();
    await schemaCell.getByTestId('upload-input').setInputFiles(csv);
    await expect(schemaCell.getByTestId('sample-preview')).toBeVisible();
    await expect(schemaCell.getByTestId('source-path')).toHaveValue(/sensors-sample/);

    const inputSchema = schemaCell.getByTestId('input-schema');
    const temperature = inputSchema.locator(
      '[data-testid="schema-field"][data-field="temperature"]',
    );
    await expect(temperature).toBeVisible();
    const typeSelect = temperature.getByTestId('field-type');
    const inferred = await typeSelect.inputValue();
    const override = inferred === 'float64' ? 'float32' : 'float64';
    await typeSelect.selectOption(override);
    await expect(typeSelect).toHaveValue(override);
    await expect(temperature.getByText('override', { exact: true })).toBeVisible();

    await page.getByTestId('save-button').click();
    await page.waitForURL(/\/jobs\/[^/?]+/);
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-dirty', 'false');
    const jobId = studio.jobId();
    const record = await apiGet<{
      job: { input: { source: { kind: string; path?: string }; schema: unknown } };
    }>(`/api/jobs/${encodeURIComponent(jobId)}`);
    expect(record.job.input.source).toMatchObject({ kind: 'file' });
    const schema = record.job.input.schema;
    const fields = (
      Array.isArray(schema) ? schema : (schema as { fields: FieldJson[] }).fields
    ) as FieldJson[];
    expect(fields.find((f) => f.name === 'temperature')?.type).toBe(override);
    expect(fields.map((f) => f.name)).toEqual([
      'id',
      'temperature',
      'humidity',
      'vibration',
      'label',
    ]);

    await studio.runButton.click();
    await expect(studio.statusBadge).toHaveText(TERMINAL_STATE, { timeout: 90_000 });
    await expect(studio.statusBadge).toHaveText('finished');
    await studio.screenshotCells('wizard-after');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
