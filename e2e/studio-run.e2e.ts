// A new user opens the studio, creates a job from the online-sensors template and runs it:
// output rows and log lines stream in and the run finishes.
import { expect, test } from '@playwright/test';
import { StudioPage, TERMINAL_STATE, recordMetrics } from './support/studio-page.js';

// The target is 2 s: the server keeps a spare run host with its role processes started ahead
// (`--warm-roles`), so the run's cluster is up in a few hundred ms.
// Met here (0.8–1.0 s); as for the streaming test, metrics.json says whether a run met it and
// twice the target fails the test.
const FIRST_ROW_TARGET_MS = 2000;
const FIRST_ROW_BOUND_MS = 2 * FIRST_ROW_TARGET_MS;

// A trace's DOM snapshots run in the page, at every action: they would be counted in the figure.
test.use({ trace: 'off' });

test('runs the online-sensors template with live output rows and logs', async ({ page }) => {
  test.setTimeout(120_000);
  const studio = new StudioPage(page);
  await studio.open();
  await studio.newFromTemplate('online-sensors');
  await expect(studio.runButton).toBeEnabled();
  // Measured as a person meets it: the template's page has loaded (its code editor has its
  // typings and has checked the code) before they press Run.
  await studio.editorReady();

  const clickedAt = Date.now();
  await studio.runButton.click();
  const firstRow = page.getByTestId('output-row').first();
  await expect(firstRow).toBeVisible({ timeout: 30_000 });
  const wallMs = Date.now() - clickedAt;
  const marks = await page.evaluate(() => {
    const at = (name: string) => performance.getEntriesByName(name, 'mark').at(-1)?.startTime;
    return { clicked: at('tfstream:run-clicked'), firstRow: at('tfstream:first-output-row') };
  });
  expect(marks.clicked).toBeDefined();
  expect(marks.firstRow).toBeDefined();
  const clickToFirstRowMs = Math.round(marks.firstRow! - marks.clicked!);

  await expect(studio.statusBadge).toHaveText(/^(starting|running|finished)$/);
  await expect(page.getByTestId('log-view').getByTestId('log-line').first()).toBeVisible();
  await studio.screenshotCells('studio-run-during');

  await expect(studio.statusBadge).toHaveText(TERMINAL_STATE, { timeout: 90_000 });
  await expect(studio.statusBadge).toHaveText('finished');
  const hooks = await page.evaluate(() => {
    const h = (window as unknown as { __tfstream: Record<string, unknown> }).__tfstream;
    return { outputRows: h.outputRows, gaps: h.gaps, lastSeq: h.lastSeq, state: h.state };
  });
  expect(hooks.gaps).toBe(0);
  expect(hooks.outputRows).toBeGreaterThan(0);
  expect(await page.getByTestId('log-line').count()).toBeGreaterThan(0);
  await studio.screenshotCells('studio-run-after');

  await recordMetrics(test.info(), 'click-to-first-output-row', {
    template: 'online-sensors',
    clickToFirstRowMs,
    wallClockMs: wallMs,
    targetMs: FIRST_ROW_TARGET_MS,
    assertedBoundMs: FIRST_ROW_BOUND_MS,
    withinTarget: clickToFirstRowMs < FIRST_ROW_TARGET_MS,
    outputRows: hooks.outputRows,
    lastSeq: hooks.lastSeq,
  });
  expect(clickToFirstRowMs).toBeLessThan(FIRST_ROW_BOUND_MS);
});
