// Hovering an SDK symbol in the model code shows its TSDoc from the server's typings, with the
// `@example` as a code block.
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS, StudioPage } from './support/studio-page.js';

test('shows the SDK TSDoc when hovering a symbol in the model code', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await studio.newFromTemplate('online-sensors');
  const code = studio.cell('code');
  await code.scrollIntoViewIfNeeded();
  const editor = code.locator('.monaco-editor').first();
  await expect(editor).toBeVisible({ timeout: 30_000 });
  // Typings loaded and the model type-checked with them.
  await expect(code.getByTestId('ts-problems')).toHaveText(/no problems/, { timeout: 60_000 });
  const hover = page.locator('.monaco-hover').filter({ hasText: /\S/ });

  // `export default defineModel({`: the function's summary, its signature and its example.
  await studio.hoverCode('export default defineModel({', 'defineModel');
  await expect(hover).toContainText('Defines a model in the migration-template form', {
    timeout: 20_000,
  });
  await expect(hover).toContainText('ModelDefinition<');
  // The example is a highlighted code block, one line per line (not run into one paragraph).
  const example = hover
    .locator('.monaco-tokenized-source')
    .filter({ hasText: "import { defineModel } from '@tfstream/sdk';" });
  await expect(example).toHaveCount(1);
  expect(await example.innerText()).toMatch(
    /'@tfstream\/sdk';\n\nexport default defineModel\(\{\n/,
  );
  await code.screenshot({ path: join(SCREENSHOTS, 'hover-define-model.png') });

  // `batch.tensor('label')`: a method of the batch the model gets.
  await page.keyboard.press('Escape');
  await studio.hoverCode("ys: batch.tensor('label')", 'tensor');
  await expect(hover).toContainText('One field as a tensor of shape', { timeout: 20_000 });
  await expect(hover).toContainText('columnToTensor');
  await expect(hover).not.toContainText('{@link');
  await code.screenshot({ path: join(SCREENSHOTS, 'hover-batch-tensor.png') });
});
