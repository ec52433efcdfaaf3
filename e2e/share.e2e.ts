// Sharing a job as a read-only snapshot, opening the link in a browser without the token, and
// forking it (the studio asks for the token) into a new editable job.
import { expect, test } from '@playwright/test';
import { StudioPage } from './support/studio-page.js';
import { E2E_TOKEN } from './support/studio.js';

test('shares a snapshot that a fresh browser views read-only and forks with the token', async ({
  page,
  browser,
}) => {
  const studio = new StudioPage(page);
  await studio.open();
  const jobId = await studio.newFromTemplate('penguin-train');

  await page.getByTestId('share-button').click();
  await expect(page.getByTestId('share-popover')).toBeVisible();
  await page.getByTestId('create-share').click();
  const linkInput = page.getByTestId('share-link');
  await expect(linkInput).toHaveValue(/\/share\/[A-Za-z0-9_-]+$/);
  const link = await linkInput.inputValue();

  const visitor = await browser.newContext();
  try {
    expect(await visitor.cookies()).toEqual([]);
    const guest = await visitor.newPage();
    await guest.goto(link);
    await expect(guest.getByTestId('share-page')).toBeVisible();
    await expect(guest.getByTestId('read-only-banner')).toBeVisible();
    await expect(guest.getByTestId('cell-run')).toBeVisible();
    // The snapshot cannot be run: the run button is absent or disabled.
    const runButtons = guest.getByTestId('run-button');
    for (const button of await runButtons.all()) {
      await expect(button).toBeDisabled();
    }
    await expect(guest.getByTestId('save-button')).toHaveCount(0);

    await guest.getByTestId('fork-button').click();
    await expect(guest.getByTestId('token-prompt')).toBeVisible();
    await guest.getByTestId('token-input').fill(E2E_TOKEN);
    await guest.getByTestId('token-submit').click();

    await guest.waitForURL(/\/jobs\/[^/?]+/);
    const forked = new StudioPage(guest);
    expect(forked.jobId()).not.toBe(jobId);
    await expect(forked.editor).toBeVisible();
    await expect(guest.getByTestId('read-only-banner')).toHaveCount(0);
    await expect(forked.runButton).toBeEnabled();
    await expect(guest.getByTestId('save-button')).toBeVisible();
  } finally {
    await visitor.close();
  }
});
