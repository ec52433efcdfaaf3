// A type error typed into the model code shows as a Monaco error marker and in the problem count.
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { SCREENSHOTS, StudioPage } from './support/studio-page.js';

test('marks a type error in the model code', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await studio.newFromTemplate('online-sensors');
  const code = studio.cell('code');
  await code.scrollIntoViewIfNeeded();
  const editor = code.locator('.monaco-editor').first();
  await expect(editor).toBeVisible({ timeout: 30_000 });
  // Typings loaded: the problem count settles on "no problems" for the template's code.
  await expect(code.getByTestId('ts-problems')).toHaveText(/no problems/, { timeout: 30_000 });
  await expect(editor.locator('.squiggly-error')).toHaveCount(0);

  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type("const notANumber: number = 'a';", { delay: 5 });

  await expect(editor.locator('.squiggly-error').first()).toBeAttached({ timeout: 20_000 });
  await expect(code.getByTestId('ts-problems')).toHaveText(/[1-9]\d* problems?/);
  await code.screenshot({ path: join(SCREENSHOTS, 'code-marker.png') });
});
